using System.Diagnostics;
using PdlfFast.Kernel.Network;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Synthetic;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli.Bench;

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
        copy.Run.Step(); // warm-up
        var reports = Enumerable.Range(0, copyGenerations).Select(_ => copy.Run.Step()).OrderBy(r => r.Seconds).ToArray();
        var median = reports[reports.Length / 2];
        shares.Add(new StrategyShare("copy task defaults", config.Population, copy.Strategy.Dimension, threads, median.Seconds, median.StrategySeconds));
        return shares;
    }
}
