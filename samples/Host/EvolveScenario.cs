using System.Diagnostics;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfHost;

/// <summary>
/// (b) Evolving plasticity rules for the host's own task with its own evaluator: PGPE over the PDLF genome, members
/// evaluated on 2 threads by <see cref="EvolutionRun{TEvaluator,TWorker}"/>.
/// </summary>
internal static class EvolveScenario
{
    public static int Run()
    {
        var spec = new NetworkSpec(inputSize: 2, hiddenSize: 16, outputSize: 1);
        var evaluator = new TrackingEvaluator(spec, steps: 200);
        int dimension = PdlfCoefficients.GenomeLength(spec, PdlfTermSet.Abcd);

        // Seed 1 of 2, the strategy's seed: draws the search noise, i.e. which genomes the members of each
        // generation are. Same seed, same members (given the same fitness values).
        var strategy = new Pgpe(dimension, new PgpeOptions(PopulationSize: 32, CenterLearningRate: 0.05, InitialStdev: 0.05f, Seed: 7));
        // (or Strategies.Create("pgpe" | "openai-es", dimension, population, sigma, learningRate, seed))

        // Seed 2 of 2, the episode seed (EvaluationOptions.Seed): every EpisodeContext.Seed derives from it, and the
        // evaluator draws each episode's task sample (here frequency and phase) from that. With common random numbers
        // all members of a generation are scored on the same episodes. The two seeds draw from different random
        // purposes, so one value could serve as both.
        var options = new EvaluationOptions(EpisodesPerMember: 4, Threads: 2, CommonRandomNumbers: true, Seed: 1);
        using var run = new EvolutionRun<TrackingEvaluator, TrackingWorker>(strategy, evaluator, options);

        Console.WriteLine($"evolve: PGPE, {dimension} rule parameters, population {strategy.PopulationSize}, " +
                          $"{options.EpisodesPerMember} episodes per member, {options.Threads} threads");
        Console.WriteLine("  gen  best      mean      best-ever");
        var clock = Stopwatch.StartNew();
        float firstMean = float.NaN, lastMean = float.NaN;
        for (int g = 0; g < 20; g++)
        {
            GenerationReport report = run.Step();   // ask, evaluate on the workers, tell; allocation-free after the first
            if (g == 0) firstMean = report.MeanFitness;
            lastMean = report.MeanFitness;
            Console.WriteLine($"  {report.Generation,3}  {report.BestFitness,8:F4}  {report.MeanFitness,8:F4}  {report.BestEverFitness,8:F4}");
        }
        // run.Strategy.Mean: the evolved genome; run.Run(generations, progress, cancellation, checkpointPath) checkpoints too.

        // Test the strategy's mean (the current solution) on episodes no generation saw, against the empty genome
        // (all zeros: the weights never leave zero, the output stays 0).
        var worker = evaluator.CreateWorker(0);
        float trained = 0f, empty = 0f;
        var zeros = new float[dimension];
        for (int e = 0; e < 16; e++)
        {
            var episode = new EpisodeContext(Generation: 0, Member: 0, Episode: e, Seed: 1_000_000 + (ulong)e);
            trained += evaluator.Evaluate(worker, run.Strategy.Mean, episode) / 16;
            empty += evaluator.Evaluate(worker, zeros, episode) / 16;
        }
        Console.WriteLine($"evolve: mean fitness {firstMean:F4} -> {lastMean:F4} in {clock.Elapsed.TotalSeconds:F1} s; " +
                          $"held-out fitness of the mean {trained:F4} (empty genome {empty:F4})");
        if (!(lastMean > firstMean))
        {
            Console.Error.WriteLine("error: the mean fitness did not improve");
            return 1;
        }
        return 0;
    }
}

/// <summary>
/// The host's toy task: the network sees a sine wave and its cosine, with a frequency and phase drawn per episode,
/// and must output the sine wave. Fitness: minus the mean squared error after a 20-step warm-up (an output stuck at
/// 0 scores -0.5). The weights start at zero in every episode, so only the evolved rules can build the mapping.
/// </summary>
/// <remarks>
/// A readonly struct holding only read-only settings: EvolutionRun compiles its loop for this type, so
/// <see cref="Evaluate"/> is a direct call, and copies of it on every thread share nothing mutable. Everything an
/// episode writes lives in the per-thread <see cref="TrackingWorker"/>.
/// </remarks>
internal readonly struct TrackingEvaluator(NetworkSpec spec, int steps) : IFitnessEvaluator<TrackingWorker>
{
    private const int WarmUp = 20;

    public NetworkSpec Spec { get; } = spec;
    public int Steps { get; } = steps;

    /// <summary>Called once per thread when the run is built: may allocate.</summary>
    public TrackingWorker CreateWorker(int worker) => new(Spec);

    /// <summary>One episode; called on all threads at once, each with its own worker. Allocates nothing.</summary>
    public float Evaluate(TrackingWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        // Everything random in the episode comes from episode.Seed (never from the worker or the thread), so the
        // fitness is a pure function of (parameters, episode): the same bits on any thread count.
        var random = new RandomStream(episode.Seed, new StreamId(Generation: 0, Member: 0, Episode: 0));
        float omega = 0.05f + 0.1f * random.NextFloat(), phase = 2f * MathF.PI * random.NextFloat();

        worker.Rule.Load(parameters);   // the member's genome -> the rule's coefficients
        worker.State.Reset();           // weights and activity back to zero
        double error = 0;
        for (int t = 0; t < Steps; t++)
        {
            float angle = omega * t + phase;
            worker.Observation[0] = MathF.Sin(angle);
            worker.Observation[1] = MathF.Cos(angle);
            PdlfNetwork.Step(worker.State, worker.Rule, worker.Observation, worker.Action);
            if (t < WarmUp) continue;
            float miss = worker.Action[0] - MathF.Sin(angle);
            error += miss * miss;
        }
        return (float)(-error / (Steps - WarmUp));   // higher is better; NaN would rank last
    }
}

/// <summary>Per-thread scratch of <see cref="TrackingEvaluator"/>: one network state, rule and I/O buffers, reused for every episode the thread runs.</summary>
internal sealed class TrackingWorker(NetworkSpec spec)
{
    public NetworkState State { get; } = new(spec);
    public PdlfCoefficients Rule { get; } = new(spec, PdlfTermSet.Abcd);
    public float[] Observation { get; } = new float[spec.InputSize];
    public float[] Action { get; } = new float[spec.OutputSize];
}
