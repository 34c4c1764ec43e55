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
public static class RunKinds
{
    public const string Copy = "copy", Locomotion = "locomotion", SpikePropamine = "spikepropamine", Synthetic = "synthetic";
    public static readonly string[] Names = [Copy, Locomotion, SpikePropamine, Synthetic];

    /// <summary>A worker's evaluator of the run <paramref name="kind"/> configured by <paramref name="configJson"/>, on <paramref name="threads"/> threads.</summary>
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
