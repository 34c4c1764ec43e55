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

    public EsMeasurement Measure(int threads)
    {
        var evaluator = new SyntheticPdlfEvaluator(Spec, PdlfTermSet.Abcd, episodeSteps);
        var strategy = new Pgpe(evaluator.Dimension, new PgpeOptions(population, Seed: 1));
        using var run = new EvolutionRun<SyntheticPdlfEvaluator, SyntheticPdlfWorker>(strategy, evaluator,
            new EvaluationOptions(EpisodesPerMember: 1, Threads: threads, CommonRandomNumbers: true, Seed: 1));
        run.Step(); // warm-up: JIT, first-touch of every buffer
        // The fastest generation, like the step bench's best round: on a shared machine the slow ones measure the
        // neighbours, not us.
        double best = double.MaxValue;
        for (int g = 0; g < generations; g++)
        {
            long start = Stopwatch.GetTimestamp();
            run.Step();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return new EsMeasurement(threads, population, evaluator.Dimension, population / best, best);
    }
}
