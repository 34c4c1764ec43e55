using System.Diagnostics;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Synthetic;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli.Bench;

/// <summary>One vector path of the ES noise draw: nanoseconds per value and bytes allocated per draw.</summary>
public sealed record NoiseMeasurement(SimdWidth Width, double NanosecondsPerValue, long BytesPerDraw);

public sealed record EsMeasurement(int Threads, int Population, int Dimension, double EpisodesPerSecond, double GenerationSeconds);

/// <summary>The strategy's own work (ask, rank, tell) as a share of whole generations of a workload.</summary>
public sealed record StrategyShare(string Workload, int Population, int Dimension, int Threads, double GenerationSeconds, double StrategySeconds)
{
    public double Share => StrategySeconds / GenerationSeconds;
}

/// <summary>
/// Whole ES generations (ask, evaluate, tell) of a PDLF ant_dir-size policy on synthetic observations: what an
/// experiment's wall time is made of, minus the physics.
/// </summary>
public sealed class EsBench(int generations, int population = 64, int episodeSteps = 1000)
{
    /// <summary>Strategy seconds of each thread count's fastest generation in the last <see cref="Measure"/>.</summary>
    private readonly Dictionary<int, double> _strategySeconds = [];

    public static NetworkSpec Spec { get; } = new(28, 128, 8);

    /// <summary>
    /// Measures every thread count with generations interleaved (1, N, 1, N, ...), keeping each one's fastest
    /// generation: on a shared machine whose speed drifts, interleaving keeps the ratio fair.
    /// </summary>
    public IReadOnlyList<EsMeasurement> Measure(IReadOnlyList<int> threadCounts)
    {
        var evaluator = new SyntheticPdlfEvaluator(Spec, PdlfTermSet.Abcd, episodeSteps);
        var runs = threadCounts.Select(t => new EvolutionRun<SyntheticPdlfEvaluator, SyntheticPdlfWorker>(
            new Pgpe(evaluator.Dimension, new PgpeOptions(population, Seed: 1)), evaluator,
            new EvaluationOptions(EpisodesPerMember: 1, Threads: t, CommonRandomNumbers: true, Seed: 1))).ToArray();
        try
        {
            foreach (var run in runs) run.Step(); // warm-up: JIT, first touch of every buffer
            var best = Enumerable.Repeat(double.MaxValue, runs.Length).ToArray();
            for (int g = 0; g < generations; g++)
            {
                for (int r = 0; r < runs.Length; r++)
                {
                    long start = Stopwatch.GetTimestamp();
                    var report = runs[r].Step();
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    if (seconds < best[r]) (best[r], _strategySeconds[threadCounts[r]]) = (seconds, report.StrategySeconds);
                }
            }
            return threadCounts.Select((t, r) => new EsMeasurement(t, population, evaluator.Dimension, population / best[r], best[r])).ToArray();
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
        }
    }

    /// <summary>
    /// The ES noise draw (stream 2) on every vector path this machine runs, one copy-task member's worth of values
    /// (<paramref name="values"/>) per draw: paths alternate round by round and each keeps its fastest round.
    /// </summary>
    public static IReadOnlyList<NoiseMeasurement> MeasureNoise(int values, TimeSpan perRound, int rounds)
    {
        var widths = Vectorisation.Accelerated;
        var destination = new float[values];
        var best = Enumerable.Repeat(double.MaxValue, widths.Count).ToArray();
        var bytes = new long[widths.Count];
        for (int round = 0; round <= rounds; round++) // round 0 warms every path up and is not kept
        {
            for (int w = 0; w < widths.Count; w++)
            {
                long draws = 0, before = GC.GetAllocatedBytesForCurrentThread(), start = Stopwatch.GetTimestamp();
                do GaussianNoise.Fill(1, new StreamId(0, (uint)draws, 0, 7), 0, destination, widths[w]);
                while (++draws < 2 || Stopwatch.GetElapsedTime(start) < perRound);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (round == 0) continue;
                best[w] = Math.Min(best[w], seconds * 1e9 / (draws * (double)values));
                bytes[w] = Math.Max(bytes[w], (GC.GetAllocatedBytesForCurrentThread() - before) / draws);
            }
        }
        return widths.Select((w, i) => new NoiseMeasurement(w, best[i], bytes[i])).ToArray();
    }

    /// <summary>
    /// Ask + tell as a share of a generation: the ant_dir-size synthetic workload, from <paramref name="ant"/> (a
    /// measurement <see cref="Measure"/> returned, its fastest generation), and the copy task at its defaults on as
    /// many threads (median of a few generations).
    /// </summary>
    public IReadOnlyList<StrategyShare> StrategyShares(EsMeasurement ant, int copyGenerations)
    {
        int threads = ant.Threads;
        var shares = new List<StrategyShare>
        {
            new("ant_dir size, synthetic episodes", ant.Population, ant.Dimension, threads, ant.GenerationSeconds, _strategySeconds[threads]),
        };
        var config = new PdlfFast.Tasks.Runs.CopyConfig { Threads = threads };
        using var copy = PdlfFast.Tasks.Runs.CopyRun.CreateSession(config);
        for (int g = 0; g < 3; g++) copy.Run.Step(); // warm-up: the tiered JIT promotes the strategy's loops only after a few generations
        var reports = Enumerable.Range(0, copyGenerations).Select(_ => copy.Run.Step()).OrderBy(r => r.Seconds).ToArray();
        var median = reports[reports.Length / 2];
        shares.Add(new StrategyShare("copy task defaults", config.Population, copy.Strategy.Dimension, threads, median.Seconds, median.StrategySeconds));
        return shares;
    }
}
