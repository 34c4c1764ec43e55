using PdlfFast.Training.Workers;

namespace PdlfFast.Tests.Training;

public class WorkerPoolTests
{
    private sealed class CountingJob(int threads) : IParallelJob
    {
        public readonly int[] Calls = new int[threads];
        public int ThrowOnWorker = -1;

        public void Execute(int worker)
        {
            Calls[worker]++;
            if (worker == ThrowOnWorker) throw new InvalidOperationException($"worker {worker} failed");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_worker_runs_each_job_once_and_runs_allocate_nothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var job = new CountingJob(threads);
        pool.Run(job);
        long before = GC.GetAllocatedBytesForCurrentThread(), beforeWorkers = pool.BackgroundAllocatedBytes;
        for (int r = 0; r < 200; r++) pool.Run(job);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, pool.BackgroundAllocatedBytes - beforeWorkers);
        Assert.All(job.Calls, c => Assert.Equal(201, c));
    }

    [Fact]
    public void A_worker_exception_reaches_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new WorkerPool(2);
        var job = new CountingJob(2) { ThrowOnWorker = 1 };
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Run(job));
        Assert.Equal("worker 1 failed", ex.Message);
        job.ThrowOnWorker = -1;
        pool.Run(job);
        Assert.Equal([2, 2], job.Calls);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
    }
}
