using PdlfFast.Tasks.Copy;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// The kinds of ES run a remote worker can join, each rebuilt from its stored configuration alone: the worker's
/// evaluator is built exactly as the coordinator's, so its items have the coordinator's bits.
/// </summary>
/// <remarks>docs/design.md, "Cluster": the coordinator sends a kind and its config JSON, the worker rebuilds the evaluator and strategy from them.</remarks>
public static class RunKinds
{
    /// <summary>Copy-task runs, configured by <see cref="CopyConfig"/>.</summary>
    public const string Copy = "copy";
    /// <summary>MuJoCo locomotion runs, configured by <see cref="LocomotionConfig"/> (workers need MuJoCo).</summary>
    public const string Locomotion = "locomotion";
    /// <summary>SpikePropamine runs trained by ES, configured by <see cref="SpikePropamineConfig"/>.</summary>
    public const string SpikePropamine = "spikepropamine";
    /// <summary>The synthetic benchmark workload, configured by <see cref="SyntheticConfig"/>.</summary>
    public const string Synthetic = "synthetic";
    /// <summary>Every kind, in declaration order. Treat as read-only.</summary>
    public static readonly string[] Names = [Copy, Locomotion, SpikePropamine, Synthetic];

    /// <summary>A worker's evaluator of the run <paramref name="kind"/> configured by <paramref name="configJson"/>, on <paramref name="threads"/> threads.</summary>
    /// <remarks>The caller owns the runner and disposes it (it holds worker threads and, for locomotion, the MuJoCo model).</remarks>
    /// <param name="kind">One of <see cref="Names"/>.</param>
    /// <param name="configJson">The run's config as the coordinator stored it (<c>ToJson()</c> of the kind's config).</param>
    /// <param name="threads">Worker threads on this machine, 1..1024; the results do not depend on it.</param>
    /// <exception cref="ConfigException">Unknown kind, invalid config, bad thread count, or a SpikePropamine run trained by BPTT (not distributable).</exception>
    /// <exception cref="Physics.PhysicsUnavailableException">A locomotion run on a machine without MuJoCo.</exception>
    public static IChunkRunner CreateChunkRunner(string kind, string configJson, int threads)
    {
        if (threads is < 1 or > 1024) throw new ConfigException($"--threads must be in 1..1024 (got {threads})");
        switch (kind)
        {
            case Copy:
            {
                var config = CopyConfig.FromJson(configJson, "the run's config").Validated();
                return new ChunkEvaluator<CopyEvaluator, CopyWorker>(config.Evaluator(), CopyRun.CreateStrategy(config),
                    new EvaluationOptions(EpisodesPerMember: 1, Threads: threads, CommonRandomNumbers: true, Seed: config.Seed));
            }
            case Locomotion:
            {
                var config = LocomotionConfig.FromJson(configJson, "the run's config").Validated();
                MuJoCoAvailability.Ensure();
                var setup = config.Setup();
                var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
                var statistics = new ObservationStatistics(setup.Task.StateObservationSize, config.Population, config.EpisodesPerMember);
                return new ChunkEvaluator<LocomotionEvaluator, LocomotionWorker>(new LocomotionEvaluator(setup, model, statistics), LocomotionRun.CreateStrategy(config),
                    new EvaluationOptions(config.EpisodesPerMember, threads, CommonRandomNumbers: true, Seed: config.Seed)) { Owned = [model] };
            }
            case SpikePropamine:
            {
                var config = SpikePropamineConfig.FromJson(configJson, "the run's config").Validated();
                if (config.Trainer != "es") throw new ConfigException("only ES runs are evaluated by workers (this run trains by BPTT)");
                return config.Task == "copy" ? SequenceRunner(config, config.CopyTask, threads) : SequenceRunner(config, config.CueTask, threads);
            }
            case Synthetic:
            {
                var config = SyntheticConfig.FromJson(configJson, "the run's config").Validated();
                return new ChunkEvaluator<Synthetic.SyntheticPdlfEvaluator, Synthetic.SyntheticPdlfWorker>(config.Evaluator(), config.CreateStrategy(),
                    config.EvaluationOptions(threads));
            }
            default:
                throw new ConfigException($"unknown run kind '{kind}': use one of {string.Join(", ", Names)}");
        }
    }

    private static IChunkRunner SequenceRunner<TTask>(SpikePropamineConfig config, TTask task, int threads) where TTask : struct, ISequenceTask =>
        new ChunkEvaluator<SequenceEvaluator<TTask>, SequenceWorker>(new SequenceEvaluator<TTask>(config.Spec(), task), SequenceRun.CreateStrategy(config),
            new EvaluationOptions(EpisodesPerMember: config.Batch, Threads: threads, CommonRandomNumbers: true, Seed: config.Seed));
}
