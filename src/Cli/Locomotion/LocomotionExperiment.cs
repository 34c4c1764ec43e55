using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PdlfFast.Cli.Commands;
using PdlfFast.Cli.Copy;
using PdlfFast.Kernel.Observation;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli.Locomotion;

/// <summary>A trained locomotion policy: its config, the ES mean and the observation statistics it was trained with.</summary>
public sealed record TrainedPolicy(LocomotionConfig Config, float[] Parameters, ObservationNormaliser Normaliser, int Generation);

/// <summary>
/// Trains a policy on a multi-task locomotion task: ES generations over the 8 training targets, a test of the mean
/// (one episode per target, fixed seeds, frozen statistics) every <see cref="LocomotionConfig.TestEvery"/>
/// generations, a JSONL log line per generation and checkpoints (config and observation statistics inside), so
/// <c>--resume</c> continues exactly.
/// </summary>
public static class LocomotionExperiment
{
    public const ulong TestSeed = 0x7e57;
    public const string CheckpointName = "checkpoint.ckpt";
    public const string LogName = "log.jsonl";

    public static IEvolutionStrategy CreateStrategy(LocomotionConfig config, int dimension) =>
        Strategies.Create(config.Strategy, dimension, config.Population, config.Sigma, config.LearningRate, config.Seed);

    public static LocomotionSummary Train(LocomotionConfig config, string directory, bool resume, IProgress<TrainingProgress>? progress,
        CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        string checkpoint = Path.Combine(directory, CheckpointName), logPath = Path.Combine(directory, LogName);
        var setup = config.Setup();
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        var statistics = new ObservationStatistics(setup.Task.StateObservationSize, config.Population, config.EpisodesPerMember);
        var evaluator = new LocomotionEvaluator(setup, model, statistics);
        var strategy = CreateStrategy(config, setup.Dimension);
        using var run = new EvolutionRun<LocomotionEvaluator, LocomotionWorker>(strategy, evaluator,
            new EvaluationOptions(EpisodesPerMember: config.EpisodesPerMember, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed));
        double previousSeconds = 0;
        if (resume)
        {
            var extra = ReadPayload(run.LoadCheckpoint(checkpoint), checkpoint);
            statistics.Current.ImportState(extra.ObservationStatistics);
            statistics.Current.Prepare();
            previousSeconds = TruncateLog(logPath, strategy.Generation);
        }
        else
        {
            File.Delete(logPath);
        }
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        Func<byte[]> payload = () => Payload(config, statistics.Current);
        using var tester = new LocomotionWorker(setup, model);
        var testReturns = new double[LocomotionTask.TrainingTargetCount];
        long instabilities = 0;
        var stopwatch = Stopwatch.StartNew();
        int lastTested = -1;
        using (var log = new StreamWriter(logPath, append: true))
        {
            while (strategy.Generation < config.Generations && !cancellation.IsCancellationRequested)
            {
                long before = InstabilityCount(run);
                GenerationReport report;
                try
                {
                    report = run.Step(cancellation);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                statistics.EndGeneration();
                long unstable = InstabilityCount(run) - before;
                instabilities += unstable;
                int done = strategy.Generation;
                double? test = null;
                if (done % config.TestEvery == 0 || done == config.Generations)
                {
                    test = TestTrainingTargets(tester, strategy.Mean, statistics.Current, testReturns);
                    lastTested = done;
                }
                double elapsed = previousSeconds + stopwatch.Elapsed.TotalSeconds;
                log.WriteLine(JsonSerializer.Serialize(new LocomotionLog(report.Generation, report.BestFitness, report.MeanFitness,
                    report.BestEverFitness, report.NonFiniteEpisodes, unstable, report.Seconds, report.EpisodesPerSecond, test, elapsed),
                    CliJson.Default.LocomotionLog));
                log.Flush();
                if (done % config.CheckpointEvery == 0 || done == config.Generations) run.SaveCheckpoint(checkpoint, payload());
                progress?.Report(new TrainingProgress(done, config.Generations, report.BestFitness, report.MeanFitness, test,
                    report.EpisodesPerSecond, TimeSpan.FromSeconds(elapsed), TimeSpan.FromSeconds((config.Generations - done) * report.Seconds)));
            }
        }
        run.SaveCheckpoint(checkpoint, payload());
        double meanReturn = lastTested == strategy.Generation
            ? testReturns.Average()
            : TestTrainingTargets(tester, strategy.Mean, statistics.Current, testReturns);
        var summary = new LocomotionSummary(config.Task, config.Label, strategy.Generation, config.Population, config.EpisodesPerTarget,
            config.EpisodeSteps, meanReturn, testReturns.ToArray(), instabilities, previousSeconds + stopwatch.Elapsed.TotalSeconds, checkpoint);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary, CliJson.Default.LocomotionSummary));
        return summary;
    }

    /// <summary>Instabilities counted by all workers so far (read between generations, when workers are idle).</summary>
    private static long InstabilityCount(EvolutionRun<LocomotionEvaluator, LocomotionWorker> run) =>
        run.Driver.Workers.Sum(w => w.Environment.Instabilities);

    /// <summary>Return of the parameters on each training target (one episode each, fixed seeds); returns the mean.</summary>
    public static double TestTrainingTargets(LocomotionWorker worker, ReadOnlySpan<float> parameters, ObservationNormaliser normaliser,
        Span<double> perTarget)
    {
        var recorder = new NoRecorder();
        for (int k = 0; k < LocomotionTask.TrainingTargetCount; k++)
            perTarget[k] = worker.RunEpisode(parameters, worker.Setup.Task.TrainingTarget(k), TestEpisodeSeed(k, 0), normaliser, null, ref recorder);
        double sum = 0;
        foreach (var r in perTarget[..LocomotionTask.TrainingTargetCount]) sum += r;
        return sum / LocomotionTask.TrainingTargetCount;
    }

    /// <summary>Reset seed of test episode <paramref name="episode"/> on training target <paramref name="target"/>.</summary>
    private static ulong TestEpisodeSeed(int target, int episode) =>
        TestSeed + (ulong)(target + LocomotionTask.TrainingTargetCount * episode);

    /// <summary>
    /// Returns of <paramref name="policy"/> on every training target, <paramref name="episodes"/> episodes each:
    /// episode e of target k starts from <see cref="TestEpisodeSeed"/>(k, e), so episode 0 is the test the
    /// training log reports. Each episode is written to its own cell, so any thread count gives the same bits.
    /// </summary>
    public static double[,] TestEpisodes(TrainedPolicy policy, Injury injury, int episodes, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var setup = policy.Config.Setup();
        int targets = LocomotionTask.TrainingTargetCount, total = targets * episodes;
        var returns = new double[targets, episodes];
        int lanes = Math.Min(threads, total);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = lanes }, lane =>
        {
            using var worker = new LocomotionWorker(setup, model) { Injury = injury };
            var recorder = new NoRecorder();
            for (int i = lane; i < total; i += lanes)
            {
                int k = i % targets, e = i / targets;
                returns[k, e] = worker.RunEpisode(policy.Parameters, setup.Task.TrainingTarget(k), TestEpisodeSeed(k, e),
                    policy.Normaliser, null, ref recorder);
            }
        });
        return returns;
    }

    private static byte[] Payload(LocomotionConfig config, ObservationNormaliser normaliser)
    {
        var state = new double[normaliser.StateLength];
        normaliser.ExportState(state);
        return JsonSerializer.SerializeToUtf8Bytes(new LocomotionCheckpoint(LocomotionCheckpoint.KindName, config, state),
            CliJson.Default.LocomotionCheckpoint);
    }

    private static LocomotionCheckpoint ReadPayload(ReadOnlySpan<byte> payload, string path)
    {
        try
        {
            var checkpoint = JsonSerializer.Deserialize(payload, CliJson.Default.LocomotionCheckpoint);
            if (checkpoint is null || checkpoint.Kind != LocomotionCheckpoint.KindName)
                throw new ConfigException($"'{path}' is not a locomotion checkpoint.");
            return checkpoint;
        }
        catch (JsonException e)
        {
            throw new ConfigException($"'{path}' is not a locomotion checkpoint: {e.Message}");
        }
    }

    /// <summary>True when the checkpoint was written by <see cref="Train"/> (rather than by the copy task).</summary>
    public static bool IsLocomotionCheckpoint(string path)
    {
        var payload = EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointPayload(path);
        return Encoding.UTF8.GetString(payload).Contains($"\"kind\":\"{LocomotionCheckpoint.KindName}\"", StringComparison.Ordinal);
    }

    /// <summary>Loads the trained mean, its config and observation statistics from a checkpoint.</summary>
    public static TrainedPolicy Load(string path)
    {
        var extra = ReadPayload(EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointPayload(path), path);
        var config = extra.Config.Validated();
        var setup = config.Setup();
        var strategy = CreateStrategy(config, setup.Dimension);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        var statistics = new ObservationStatistics(setup.Task.StateObservationSize, config.Population, config.EpisodesPerMember);
        using var run = new EvolutionRun<LocomotionEvaluator, LocomotionWorker>(strategy, new LocomotionEvaluator(setup, model, statistics),
            new EvaluationOptions(EpisodesPerMember: config.EpisodesPerMember, Threads: 1, Seed: config.Seed));
        run.LoadCheckpoint(path);
        var normaliser = new ObservationNormaliser(setup.Task.StateObservationSize);
        normaliser.ImportState(extra.ObservationStatistics);
        normaliser.Prepare();
        return new TrainedPolicy(config, strategy.Mean.ToArray(), normaliser, strategy.Generation);
    }

    private static double TruncateLog(string logPath, int generations) =>
        JsonLines.Truncate(logPath, generations, CliJson.Default.LocomotionLog, e => e.Generation, e => e.ElapsedSeconds);

    public static IReadOnlyList<LocomotionLog> ReadLog(string directory) => JsonLines.Read(Path.Combine(directory, LogName), CliJson.Default.LocomotionLog);
}
