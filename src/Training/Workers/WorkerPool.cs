using System.Runtime.ExceptionServices;

namespace PdlfFast.Training.Workers;

/// <summary>Work shared by the threads of a <see cref="WorkerPool"/>: each calls <see cref="Execute"/> once per run.</summary>
public interface IParallelJob
{
    /// <summary>Runs on every worker; <paramref name="worker"/> (0 .. Threads-1) selects per-worker scratch.</summary>
    void Execute(int worker);
}

/// <summary>
/// A fixed set of dedicated threads that run one <see cref="IParallelJob"/> at a time. Unlike Parallel.For (about
/// 1.7 KB per call), a run allocates nothing, so a generation loop stays allocation-free. The calling thread works
/// as worker 0; with one thread no other thread exists.
/// </summary>
/// <remarks>
/// docs/design.md, "Vector paths and determinism" (why not Parallel.For). One <see cref="Run"/> at a time; the pool
/// does not split work itself, jobs pull items from a shared counter. Threads are background threads named
/// <c>pdlf worker N</c>. Dispose to stop them.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    // One monitor, preallocated, instead of Barrier: Barrier's events allocate a lock object the first time a thread
    // actually blocks, which can happen in any generation and would break the zero-allocation guarantee.
    private readonly object _gate = new();
    private readonly Thread[] _threads;
    private IParallelJob? _job;
    private ExceptionDispatchInfo? _failure;
    private long _round;
    private int _pending;
    private bool _stopping;
    private long _backgroundAllocatedBytes;

    /// <summary>Starts <paramref name="threads"/> - 1 dedicated threads (1 .. 1024 workers in all, the caller included).</summary>
    public WorkerPool(int threads)
    {
        if (threads < 1 || threads > 1024)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "Thread count must be in 1..1024.");
        Threads = threads;
        _threads = new Thread[threads - 1];
        for (int w = 1; w < threads; w++)
        {
            int worker = w;
            _threads[w - 1] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"pdlf worker {worker}" };
            _threads[w - 1].Start();
        }
    }

    /// <summary>Workers per run, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Bytes allocated by the pool's own threads (workers 1..) inside jobs, summed over all runs. With the calling
    /// thread's GC.GetAllocatedBytesForCurrentThread this accounts for every allocation of a run, unaffected by
    /// whatever else the process is doing.
    /// </summary>
    public long BackgroundAllocatedBytes => Interlocked.Read(ref _backgroundAllocatedBytes);

    /// <summary>Runs <paramref name="job"/> on every worker and returns when all are done; rethrows a worker's exception.</summary>
    public void Run(IParallelJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _job = job;
            _failure = null;
            _pending = Threads - 1;
            _round++;
            Monitor.PulseAll(_gate);
        }
        Execute(0);
        lock (_gate)
        {
            while (_pending > 0) Monitor.Wait(_gate);
            _job = null;
        }
        _failure?.Throw();
    }

    private void Loop(int worker)
    {
        long seen = 0;
        while (true)
        {
            lock (_gate)
            {
                while (_round == seen && !_stopping) Monitor.Wait(_gate);
                if (_stopping) return;
                seen = _round;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            Execute(worker);
            Interlocked.Add(ref _backgroundAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            lock (_gate)
            {
                if (--_pending == 0) Monitor.PulseAll(_gate);
            }
        }
    }

    private void Execute(int worker)
    {
        try
        {
            _job!.Execute(worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    /// <summary>Stops and joins the pool's threads; a later <see cref="Run"/> throws <see cref="ObjectDisposedException"/>. Not during a run.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var t in _threads) t.Join();
    }
}
