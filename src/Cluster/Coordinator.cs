using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Orleans;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cluster;

/// <summary>Traffic and time of the last distributed generation, as the coordinator prints them.</summary>
/// <param name="BytesOut">Bytes sent: the strategy state and shared values to the board and to each worker that ran a chunk, plus chunk headers.</param>
/// <param name="BytesIn">Bytes that came back (one float per item, plus the items' recorded data).</param>
/// <param name="Milliseconds">Wall time of the generation's distributed evaluation: publish, the workers' evaluation, collection.</param>
/// <param name="CoordinationMilliseconds">
/// The part of <paramref name="Milliseconds"/> that a worker spent not evaluating, on average over the workers that took
/// part: calls, waiting for the generation to be published and for the last chunk. What distribution costs.
/// </param>
public readonly record struct ClusterTraffic(long BytesOut, long BytesIn, double Milliseconds, int Reissued, double CoordinationMilliseconds = 0);

/// <summary>
/// The coordinator's side: evaluates each generation of an <see cref="EvolutionRun{TEvaluator,TWorker}"/> on the
/// cluster's workers (<see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/>). It publishes the generation (strategy state,
/// shared state) on the board and waits for every chunk; workers rebuild the members, so traffic grows with
/// population + dimension, never with their product.
/// </summary>
public sealed class Coordinator(IGrainFactory grains, string runKind, string configJson, CoordinatorOptions? options = null) : IGenerationEvaluator
{
    public const string DefaultBoard = "board";
    private readonly CoordinatorOptions _options = options ?? new CoordinatorOptions();
    private readonly string _run = RunToken(runKind, configJson);

    /// <summary>Fingerprint of the code that evaluates items (deterministic builds: same source, same fingerprint).</summary>
    public static string Build { get; } = Fingerprint();

    public ClusterTraffic LastTraffic { get; private set; }
    /// <summary>Chunks handed out again over the whole run (their first worker was slow, lost or cut off).</summary>
    public long TotalReissued { get; private set; }

    public void Evaluate(int generation, int episodesPerMember, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared, Span<float> episodeFitness,
        Span<double> itemData, CancellationToken cancellation)
    {
        var board = grains.GetGrain<ICoordinatorGrain>(_options.Board);
        int items = episodeFitness.Length, itemLength = items == 0 ? 0 : itemData.Length / items;
        // About 64 chunks a generation, of whole work units (a worker's threads take mirrored pairs of one-episode
        // members, which share a noise draw, or single members): several units per chunk keep a worker's threads busy.
        int unit = episodesPerMember == 1 ? 2 : episodesPerMember;
        int chunk = _options.ChunkItems > 0 ? _options.ChunkItems : Math.Max(unit, items / 64 / unit * unit);
        var order = new GenerationOrder(_run, runKind, configJson, Build, generation, strategyState.ToArray(), shared.ToArray(), items, itemLength,
            chunk, _options.ReissueAfter.TotalSeconds);
        long started = Stopwatch.GetTimestamp();
        GenerationResult? result = null;
        bool published = false;
        while (result is null)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                if (!published) board.Publish(order).GetAwaiter().GetResult();
                published = true;
                result = board.Collect(_run, generation).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException && !cancellation.IsCancellationRequested && e is not OutOfMemoryException)
            {
                // The silo that held the board went away (its state with it) or a call timed out: publish the generation
                // again. Results come only from workers and are the same bits, so starting the generation over is safe.
                published = false;
                Thread.Sleep(_options.RetryDelay);
            }
        }
        result.Fitness.CopyTo(episodeFitness);
        result.ItemData.CopyTo(itemData);
        int chunks = (items + chunk - 1) / chunk;
        TotalReissued += result.Reissued;
        double milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LastTraffic = new ClusterTraffic(
            // The state and shared values go to the board and on to each worker that took part; chunk headers besides.
            BytesOut: (1L + result.Workers) * (strategyState.Length + 8L * shared.Length) + 16L * chunks,
            BytesIn: 4L * items + 8L * itemData.Length + 16L * chunks,
            Milliseconds: milliseconds,
            Reissued: result.Reissued,
            CoordinationMilliseconds: result.Workers == 0 ? milliseconds : Math.Max(0, milliseconds - 1000 * result.WorkerSeconds / result.Workers));
    }

    public Task<WorkerStatus[]> Workers() => grains.GetGrain<ICoordinatorGrain>(_options.Board).Status();

    private static string RunToken(string kind, string json) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\n" + json)))[..16];

    private static string Fingerprint()
    {
        var assemblies = new[] { typeof(EvolutionRun<,>).Assembly, typeof(Tasks.Runs.RunKinds).Assembly, typeof(Kernel.Random.RandomStream).Assembly,
            typeof(Rules.Pdlf.PdlfRule).Assembly };
        var ids = string.Join(",", assemblies.Select(a => a.ManifestModule.ModuleVersionId));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ids)))[..12];
    }
}

/// <summary>How the coordinator hands out work.</summary>
/// <param name="ChunkItems">Items per chunk (0: a 64th of the generation, at least 1).</param>
public sealed record CoordinatorOptions(int ChunkItems = 0, string Board = Coordinator.DefaultBoard)
{
    /// <summary>A chunk not returned after this long goes to the next worker that asks.</summary>
    public TimeSpan ReissueAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Pause before publishing again after the board was lost or a call failed.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);
}
