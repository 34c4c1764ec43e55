using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Orleans;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cluster;

/// <summary>How a worker process evaluates: its threads, and the coordinator board it pulls from.</summary>
public sealed record WorkerOptions(int Threads, string Board = Coordinator.DefaultBoard)
{
    /// <summary>Pause between asks when there is no work (between generations, or before a coordinator starts).</summary>
    public TimeSpan IdleDelay { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>Pause after a failed call (the coordinator is gone or restarting): workers wait for it and reconnect.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// A worker: pulls chunks of items from the coordinator's board, evaluates them on its own threads with the same
/// evaluator a local run uses (rebuilt from the run's stored config, <see cref="RunKinds"/>), and returns one float
/// per item. It keeps the run's evaluator and the generation's state between chunks, so after the first chunk of a
/// generation a chunk costs two integers in and its floats out.
/// </summary>
public sealed class ClusterWorker(IGrainFactory grains, WorkerOptions options) : BackgroundService
{
    private IChunkRunner? _runner;
    private string? _run;

    /// <summary>This worker as the coordinator sees it.</summary>
    public WorkerInfo Info { get; } = new($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}",
        Environment.MachineName, options.Threads, Coordinator.Build);

    /// <summary>Where the worker reports joining or refusing a run (the worker command prints it).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Items evaluated so far (for tests and status).</summary>
    public long Items { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var board = grains.GetGrain<ICoordinatorGrain>(options.Board);
        // Calls overlap the evaluation: the next chunk is asked for while this one runs, and its results travel while the
        // next one runs, so a busy worker waits on no round trip.
        Task<Assignment?>? prefetch = null;
        Task? sending = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var assignment = await (prefetch ?? board.Next(Info, _run, _runner?.Generation ?? -1));
                prefetch = null;
                if (assignment is null || assignment.Refusal is not null)
                {
                    await Task.Delay(assignment is null ? options.IdleDelay : options.RetryDelay, stoppingToken);
                    continue;
                }
                if (assignment.Run != _run && !Prepare(assignment, out string? refusal))
                {
                    await board.Refuse(Info, assignment.Run, refusal!);
                    continue;
                }
                var runner = _runner!;
                if (assignment.StrategyState is { } state) runner.Load(assignment.Generation, state, assignment.Shared ?? []);
                int count = assignment.End - assignment.Start;
                var fitness = new float[count];
                var itemData = new double[count * runner.ItemLength];
                long started = Stopwatch.GetTimestamp();
                var evaluation = Task.Run(() => runner.Evaluate(assignment.Start, assignment.End, fitness, itemData, stoppingToken), stoppingToken);
                prefetch = board.Next(Info, _run, runner.Generation);
                await evaluation;
                Items += count;
                if (sending is not null) await sending;
                sending = board.Complete(Info, new ChunkResult(assignment.Run, assignment.Generation, assignment.Start, fitness, itemData,
                    Stopwatch.GetElapsedTime(started).TotalSeconds));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The coordinator is gone or restarting, or a call timed out: chunks not returned are re-issued; retry.
                Forget(prefetch);
                Forget(sending);
                (prefetch, sending) = (null, null);
                await Task.Delay(options.RetryDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        Forget(prefetch);
        Forget(sending);
    }

    /// <summary>A call whose answer no longer matters: its failure is observed, not thrown.</summary>
    private static void Forget(Task? call) => call?.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>Builds the evaluator of a new run from its config; false (with the reason) when this machine cannot.</summary>
    private bool Prepare(Assignment assignment, out string? refusal)
    {
        _runner?.Dispose();
        _runner = null;
        _run = null;
        refusal = null;
        if (assignment.RunKind is null || assignment.ConfigJson is null)
        {
            refusal = "the coordinator sent no config for a run this worker has not seen";
            return false;
        }
        try
        {
            _runner = RunKinds.CreateChunkRunner(assignment.RunKind, assignment.ConfigJson, options.Threads);
            _run = assignment.Run;
            Log?.Invoke($"cluster worker: evaluating run {assignment.Run} ({assignment.RunKind}, {_runner.Items} items per generation) on {options.Threads} thread(s)");
            return true;
        }
        catch (RunException e)
        {
            refusal = $"refused: {e.Message}";
            Log?.Invoke($"cluster worker: {refusal}");
            return false;
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _runner?.Dispose();
    }
}
