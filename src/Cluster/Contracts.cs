using Orleans;

namespace PdlfFast.Cluster;

/// <summary>A worker process as the coordinator sees it.</summary>
[GenerateSerializer, Alias("pdlf.WorkerInfo")]
public sealed record WorkerInfo([property: Id(0)] string Id, [property: Id(1)] string Machine, [property: Id(2)] int Threads, [property: Id(3)] string Build);

/// <summary>
/// One generation of a run, as the coordinator publishes it: what a worker needs to rebuild the evaluator (run kind
/// and config, sent to a worker once per run) and the members (the strategy state, once per generation), how many
/// items there are and how they are handed out.
/// </summary>
[GenerateSerializer, Alias("pdlf.GenerationOrder")]
public sealed record GenerationOrder(
    [property: Id(0)] string Run,
    [property: Id(1)] string RunKind,
    [property: Id(2)] string ConfigJson,
    [property: Id(3)] string Build,
    [property: Id(4)] int Generation,
    [property: Id(5)] byte[] StrategyState,
    [property: Id(6)] double[] Shared,
    [property: Id(7)] int Items,
    [property: Id(8)] int ItemLength,
    [property: Id(9)] int ChunkItems,
    [property: Id(10)] double ReissueSeconds);

/// <summary>
/// A chunk of items for a worker. Config and state are included only when the worker does not hold them yet
/// (another run, another generation): per generation a worker receives the state once plus two integers per chunk.
/// </summary>
[GenerateSerializer, Alias("pdlf.Assignment")]
public sealed record Assignment(
    [property: Id(0)] string Run,
    [property: Id(1)] int Generation,
    [property: Id(2)] int Start,
    [property: Id(3)] int End,
    [property: Id(4)] string? RunKind,
    [property: Id(5)] string? ConfigJson,
    [property: Id(6)] byte[]? StrategyState,
    [property: Id(7)] double[]? Shared,
    [property: Id(8)] string? Refusal);

/// <summary>A worker's results for a chunk: one float per item, plus the items' recorded data (e.g. observation statistics).</summary>
[GenerateSerializer, Alias("pdlf.ChunkResult")]
public sealed record ChunkResult(
    [property: Id(0)] string Run,
    [property: Id(1)] int Generation,
    [property: Id(2)] int Start,
    [property: Id(3)] float[] Fitness,
    [property: Id(4)] double[] ItemData,
    [property: Id(5)] double Seconds);

/// <summary>A finished generation: every item's fitness and recorded data, in item order.</summary>
/// <param name="WorkerSeconds">Sum of the workers' evaluation times of the chunks used.</param>
/// <param name="Workers">How many workers returned those chunks.</param>
[GenerateSerializer, Alias("pdlf.GenerationResult")]
public sealed record GenerationResult([property: Id(0)] float[] Fitness, [property: Id(1)] double[] ItemData, [property: Id(2)] int Reissued,
    [property: Id(3)] double WorkerSeconds, [property: Id(4)] int Workers);

/// <summary>What <c>pdlf cluster status</c> lists.</summary>
[GenerateSerializer, Alias("pdlf.WorkerStatus")]
public sealed record WorkerStatus(
    [property: Id(0)] WorkerInfo Worker,
    [property: Id(1)] long Items,
    [property: Id(2)] double ItemsPerSecond,
    [property: Id(3)] DateTime LastSeenUtc,
    [property: Id(4)] string? Refusal);

/// <summary>
/// The coordinator's board: the coordinator publishes a generation and collects its results; workers pull chunks of
/// items and return their fitness. Chunks not returned within the re-issue time go to the next worker that asks, so a
/// lost worker delays a generation but never changes it (an item's fitness depends only on the member and the
/// episode; the first result of a chunk wins, any later one is identical).
/// </summary>
[Alias("pdlf.ICoordinatorGrain")]
public interface ICoordinatorGrain : IGrainWithStringKey
{
    [Alias("Publish")] Task Publish(GenerationOrder order);
    /// <summary>The generation's results once every chunk is in; null after a short wait when it is not (call again).</summary>
    [Alias("Collect")] Task<GenerationResult?> Collect(string run, int generation);
    [Alias("Next")] Task<Assignment?> Next(WorkerInfo worker, string? knownRun, int knownGeneration);
    [Alias("Complete")] Task Complete(WorkerInfo worker, ChunkResult result);
    /// <summary>A worker that cannot evaluate the run (MuJoCo missing, config it cannot build) says so and gets no work.</summary>
    [Alias("Refuse")] Task Refuse(WorkerInfo worker, string run, string reason);
    [Alias("Status")] Task<WorkerStatus[]> Status();
}
