using System.Diagnostics;

namespace PdlfFast.Tests.Support;

/// <summary>Measures what a repeated piece of work allocates on this thread once the JIT has settled.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="work"/> for longer than tiered compilation's call-counting delay (100 ms), then returns the
    /// bytes allocated by one further run. A tier-up that still lands in the measured run (seen in CI: 2,296 bytes) is
    /// retried, up to three windows; a real per-call allocation shows in every window, so it is still reported.
    /// </summary>
    public static long OfWarmedUp(Action work)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 300) work();
        long allocated = -1;
        for (int window = 0; window < 3 && allocated != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return allocated;
    }
}
