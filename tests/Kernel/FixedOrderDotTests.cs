using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

/// <summary>The width-independent dot product: the same bits on every path, and still a dot product.</summary>
public class FixedOrderDotTests
{
    [Property(MaxTest = 200, EndSize = 500)]
    public void Every_width_gives_the_scalar_twins_bits(NonNegativeInt length, int seed)
    {
        var data = new Seeded(seed);
        int n = length.Get % 300;
        float[] a = data.Uniform(n, -3f, 3f), b = data.Uniform(n + length.Get % 3, -3f, 3f);
        float expected = FixedOrderDot.DotScalar(a, b);
        foreach (var width in Vectorisation.Accelerated)
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(FixedOrderDot.Dot(a, b, width)),
                $"n = {n}, {width}: {FixedOrderDot.Dot(a, b, width):R} vs scalar twin {expected:R}");
        double exact = 0;
        for (int i = 0; i < n; i++) exact += (double)a[i] * b[i];
        double magnitude = 0;
        for (int i = 0; i < n; i++) magnitude += Math.Abs((double)a[i] * b[i]);
        Assert.True(Math.Abs(expected - exact) <= 1e-6 * magnitude + 1e-30, $"n = {n}: {expected} vs {exact}");
    }

    [Fact]
    public void Hand_computed_order_is_lane_modulo_16_then_halves()
    {
        // 17 elements: lane 0 gets a[0] b[0] + a[16] b[16]; the others one product each.
        var a = Enumerable.Range(1, 17).Select(i => (float)i).ToArray();
        var b = Enumerable.Repeat(1f, 17).ToArray();
        Assert.Equal(153f, FixedOrderDot.DotScalar(a, b));
        foreach (var width in Vectorisation.Accelerated) Assert.Equal(153f, FixedOrderDot.Dot(a, b, width));
        // An order-sensitive case: 1e8 + 1 - 1e8 in lane order loses the 1 only if summed left to right in one lane.
        float[] x = new float[32], ones = Enumerable.Repeat(1f, 32).ToArray();
        x[0] = 1e8f; x[1] = 1f; x[16] = -1e8f; // lane 0: 1e8 - 1e8 = 0; lane 1: 1; tree: 0 + ... + 1 = 1
        Assert.Equal(1f, FixedOrderDot.DotScalar(x, ones));
        foreach (var width in Vectorisation.Accelerated) Assert.Equal(1f, FixedOrderDot.Dot(x, ones, width));
        Assert.Equal(0f, FixedOrderDot.Dot([], []));
        Assert.Throws<ArgumentException>(() => FixedOrderDot.Dot(new float[3], new float[2]));
    }

    [Fact]
    public void Allocates_nothing()
    {
        float[] a = new float[100], b = new float[100];
        // Past tiered compilation's call-counting delay first (see PlasticSnnTests.A_step_allocates_nothing).
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 200) FixedOrderDot.Dot(a, b);
        long allocated = -1;
        for (int window = 0; window < 3 && allocated != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) FixedOrderDot.Dot(a, b);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }
}
