using System.Diagnostics;
using PdlfFast.Kernel.Network;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Synthetic;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli.Bench;

public sealed record EsMeasurement(int Threads, int Population, int Dimension, double EpisodesPerSecond, double GenerationSeconds);

/// <summary>
/// Whole ES generations (ask, evaluate, tell) of a PDLF ant_dir-size policy on synthetic observations: what an
/// experiment's wall time is made of, minus the physics.
/// </summary>
public sealed class EsBench(int generations, int population = 64, int episodeSteps = 1000)
{
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
                    runs[r].Step();
                    best[r] = Math.Min(best[r], Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
            }
            return threadCounts.Select((t, r) => new EsMeasurement(t, population, evaluator.Dimension, population / best[r], best[r])).ToArray();
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
        }
    }
}
