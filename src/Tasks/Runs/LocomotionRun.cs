using System.Text;
using System.Text.Json;
using PdlfFast.Kernel.Observation;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>A trained locomotion policy: its config, the ES mean and the observation statistics it was trained with.</summary>
/// <param name="Config">The run's config (with <see cref="LocomotionConfig.Threads"/> 1).</param>
/// <param name="Parameters">The strategy's mean: the policy genome, <see cref="LocomotionConfig.Dimension"/> values.</param>
/// <param name="Normaliser">The frozen observation statistics of the last completed generation; episodes must normalise with these.</param>
/// <param name="Generation">Generations completed when the checkpoint was written.</param>
public sealed record TrainedPolicy(LocomotionConfig Config, float[] Parameters, ObservationNormaliser Normaliser, int Generation);

/// <summary>
/// Locomotion training runs: builds the MuJoCo evaluator and the ES session from a <see cref="LocomotionConfig"/> alone,
/// trains through the shared <see cref="RunLoop"/> (a test of the mean - one episode per target, fixed seeds, frozen
/// statistics - every <see cref="LocomotionConfig.TestEvery"/> generations, a log line per generation, checkpoints
/// with the config and the observation statistics inside), and loads trained policies back.
/// </summary>
/// <remarks>
/// Needs MuJoCo: every member that builds a session or runs episodes throws
/// <see cref="Physics.PhysicsUnavailableException"/> without it. The class keeps no state: calls on different threads
/// do not interfere (each builds its own model and session; <see cref="TestTrainingTargets"/> uses the worker it is
/// given, which must not be shared). Results are the same bits for any thread count.
/// </remarks>
public static class LocomotionRun
{
    /// <summary>Base seed of the test episodes' reset noise: test episode e of target k uses seed <c>TestSeed + k + 8 e</c>.</summary>
    public const ulong TestSeed = 0x7e57;

    /// <summary>Options a resume may change: the budget and how the run is scheduled, never what it trains.</summary>
    public static readonly string[] ResumableOptions = ["generations", "threads", "test-every", "checkpoint-every", "snapshot-every"];

    /// <summary>How log.jsonl lines (<see cref="LocomotionLog"/>) are made from a generation's figures and read back.</summary>
    public static readonly RunLogFormat<LocomotionLog> LogFormat = new(LocomotionJson.Default.LocomotionLog,
        r => r.Generation + 1, r => r.ElapsedSeconds,
        (done, s, test, elapsed) => new LocomotionLog(done - 1, s.BestFitness, s.MeanFitness, s.BestEverFitness, s.NonFinite,
            s.Instabilities, s.Seconds, s.ItemsPerSecond, test, elapsed));

    /// <summary>
    /// The run's evolution strategy (<see cref="LocomotionConfig.Strategy"/>), in its initial state: centred on zeros, or
    /// for SpikePropamine on <see cref="LocomotionSetup.InitialParameters"/> of the run's seed.
    /// </summary>
    /// <param name="config">A valid config.</param>
    /// <exception cref="ConfigException">Unknown strategy or task name.</exception>
    public static IEvolutionStrategy CreateStrategy(LocomotionConfig config) =>
        Strategies.Create(config.Strategy, checked((int)config.Dimension), config.Population, config.Sigma, config.LearningRate, config.Seed,
            config.Setup().InitialParameters(config.Seed));

    /// <summary>
    /// The run's ES session from the config alone: the MuJoCo model (owned by the session), evaluator, observation
    /// statistics, strategy; the checkpoint payload holds the config and the statistics.
    /// </summary>
    /// <remarks>The caller owns and disposes the session (it frees the model and the worker threads). Its test is the mean return over the task's training targets.</remarks>
    /// <param name="config">The run's options; validated here.</param>
    /// <exception cref="ConfigException">The config is invalid or the run would not fit in memory.</exception>
    /// <exception cref="Physics.PhysicsUnavailableException">MuJoCo is not installed.</exception>
    public static EvolutionSession<LocomotionEvaluator, LocomotionWorker> CreateSession(LocomotionConfig config) => Build(config).Session;

    private static (EvolutionSession<LocomotionEvaluator, LocomotionWorker> Session, double[] TestReturns) Build(LocomotionConfig config)
    {
        config.Validated();
        var setup = config.Setup();
        var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        try
        {
            var statistics = new ObservationStatistics(setup.Task.StateObservationSize, config.Population, config.EpisodesPerMember);
            var evaluator = new LocomotionEvaluator(setup, model, statistics);
            var tester = new LocomotionWorker(setup, model);
            var testReturns = new double[setup.Task.TrainingTargetCount];
            EvolutionSession<LocomotionEvaluator, LocomotionWorker>? session = null;
            session = new EvolutionSession<LocomotionEvaluator, LocomotionWorker>(CreateStrategy(config), evaluator,
                new EvaluationOptions(EpisodesPerMember: config.EpisodesPerMember, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed),
                config.ToJson(), () => Payload(config, statistics.Current),
                mean => TestTrainingTargets(tester, mean, statistics.Current, testReturns))
            {
                AfterGeneration = statistics.EndGeneration,
                Instabilities = () => session!.Run.Driver.Workers.Sum(w => w.Environment.Instabilities),
                RestorePayload = payload =>
                {
                    statistics.Current.ImportState(ReadPayload(payload, "checkpoint").ObservationStatistics);
                    statistics.Current.Prepare();
                },
                Owned = [tester, model],
            };
            return (session, testReturns);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains (or, when <paramref name="directory"/> resumes, continues) the run; writes config.json, log.jsonl, the
    /// checkpoint and summary.json. A stop request finishes the generation in flight and checkpoints.
    /// </summary>
    /// <param name="config">The run's options; validated here.</param>
    /// <param name="directory">The opened run directory (new, or resuming from its checkpoint).</param>
    /// <param name="progress">Receives a report after every generation, or null.</param>
    /// <param name="stop">Requests a stop: honoured between generations, after which the run checkpoints and returns.</param>
    /// <param name="warn">Receives warnings (e.g. a torn log line dropped on resume), or null.</param>
    /// <param name="remote">Where generations are evaluated (e.g. a cluster); null: on this process's threads. Same bits either way.</param>
    /// <returns>How the run ended and the summary written to summary.json (also after a stop).</returns>
    /// <exception cref="ConfigException">The config is invalid or differs from the checkpoint's in a non-resumable option.</exception>
    /// <exception cref="Physics.PhysicsUnavailableException">MuJoCo is not installed.</exception>
    public static (RunOutcome Outcome, LocomotionSummary Summary) Train(LocomotionConfig config, RunDirectory directory,
        IProgress<RunProgress>? progress, CancellationToken stop, Action<string>? warn = null, IGenerationEvaluator? remote = null)
    {
        if (directory.Resuming) EnsureResumable(config, directory.CheckpointPath);
        long instabilities = 0;
        var (session, testReturns) = Build(config);
        using var owned = session;
        var counting = new Progress(progress, p =>
        {
            instabilities += p.Step.Instabilities;
            // Progress is reported on the training thread right after each generation, so the mean is this generation's.
            if (config.SnapshotEvery > 0 && p.Completed % config.SnapshotEvery == 0)
                WriteSnapshot(directory, p.Completed, session.Run.Strategy.Mean);
        });
        session.Run.Remote = remote;
        var outcome = RunLoop.Run(session, directory, new RunSchedule(config.Generations, config.TestEvery, config.CheckpointEvery),
            LogFormat, counting, stop, warn);
        // The loop's final test of the mean left its per-target returns in testReturns.
        var summary = new LocomotionSummary(config.Task, config.Label, outcome.Completed, config.Population, config.EpisodesPerTarget,
            config.EpisodeSteps, outcome.FinalTest, testReturns.ToArray(), instabilities, outcome.WallSeconds, directory.CheckpointPath);
        directory.WriteSummary(JsonSerializer.Serialize(summary, LocomotionJson.Default.LocomotionSummary));
        return (outcome, summary);
    }

    /// <summary>Refuses to resume a checkpoint made with other options, naming each option that differs, or with fewer generations than done.</summary>
    /// <param name="requested">The options the resume asks for.</param>
    /// <param name="checkpoint">Path of the run's checkpoint.</param>
    /// <exception cref="ConfigException">An option other than <see cref="ResumableOptions"/> differs, or the checkpoint is past <see cref="LocomotionConfig.Generations"/>.</exception>
    public static void EnsureResumable(LocomotionConfig requested, string checkpoint)
    {
        var stored = ReadPayload(EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointPayload(checkpoint), checkpoint).Config;
        ConfigDiff.EnsureSame(stored.ToJson(), requested.ToJson(), ResumableOptions, checkpoint);
        RunLoop.EnsureTotal(EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointGeneration(checkpoint),
            new RunSchedule(requested.Generations, requested.TestEvery, requested.CheckpointEvery), checkpoint);
    }

    private sealed class Progress(IProgress<RunProgress>? inner, Action<RunProgress> also) : IProgress<RunProgress>
    {
        public void Report(RunProgress value)
        {
            also(value);
            inner?.Report(value);
        }
    }

    /// <summary>Return of the parameters on each training target (one episode each, fixed seeds); returns the mean.</summary>
    /// <param name="worker">A worker of the run's setup (its injury applies).</param>
    /// <param name="parameters">The policy genome.</param>
    /// <param name="normaliser">The observation statistics to normalise with (read only).</param>
    /// <param name="perTarget">Receives one return per training target.</param>
    public static double TestTrainingTargets(LocomotionWorker worker, ReadOnlySpan<float> parameters, ObservationNormaliser normaliser,
        Span<double> perTarget)
    {
        var recorder = new NoRecorder();
        int targets = worker.Setup.Task.TrainingTargetCount;
        for (int k = 0; k < targets; k++)
            perTarget[k] = worker.RunEpisode(parameters, worker.Setup.Task.TrainingTarget(k), TestEpisodeSeed(worker.Setup.Task, k, 0), normaliser, null, ref recorder);
        double sum = 0;
        foreach (var r in perTarget[..targets]) sum += r;
        return sum / targets;
    }

    /// <summary>Reset seed of test episode <paramref name="episode"/> on training target <paramref name="target"/>.</summary>
    private static ulong TestEpisodeSeed(LocomotionTask task, int target, int episode) =>
        TestSeed + (ulong)(target + task.TrainingTargetCount * episode);

    /// <summary>
    /// Returns of <paramref name="policy"/> on every training target, <paramref name="episodes"/> episodes each:
    /// episode e of target k starts from <see cref="TestEpisodeSeed"/>(k, e), so episode 0 is the test the
    /// training log reports. Each episode is written to its own cell, so any thread count gives the same bits.
    /// </summary>
    /// <param name="policy">A trained policy (<see cref="Load"/>).</param>
    /// <param name="injury">Injury applied to every episode (<see cref="Injury.None"/> for the intact policy).</param>
    /// <param name="episodes">Episodes per target, at least 1.</param>
    /// <param name="threads">Threads to run on, at least 1.</param>
    /// <returns>Returns indexed [target, episode], 8 x <paramref name="episodes"/>.</returns>
    public static double[,] TestEpisodes(TrainedPolicy policy, Injury injury, int episodes, int threads) =>
        TestEpisodes(policy, injury, EnvironmentCondition.None, episodes, threads);

    /// <summary>
    /// As <see cref="TestEpisodes(TrainedPolicy, Injury, int, int)"/>, on the task's model changed by
    /// <paramref name="condition"/> (a novel condition the policy never trained under).
    /// </summary>
    /// <param name="policy">A trained policy (<see cref="Load"/>).</param>
    /// <param name="injury">Injury applied to every episode (<see cref="Injury.None"/> for the intact policy).</param>
    /// <param name="condition">The physics change (<see cref="EnvironmentCondition.None"/> for the trained physics).</param>
    /// <param name="episodes">Episodes per target, at least 1.</param>
    /// <param name="threads">Threads to run on, at least 1.</param>
    /// <returns>Returns indexed [target, episode], 8 x <paramref name="episodes"/>.</returns>
    /// <exception cref="ArgumentException">The condition does not fit the task's model.</exception>
    public static double[,] TestEpisodes(TrainedPolicy policy, Injury injury, EnvironmentCondition condition, int episodes, int threads)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var setup = policy.Config.Setup();
        int targets = setup.Task.TrainingTargetCount, total = targets * episodes;
        var returns = new double[targets, episodes];
        int lanes = Math.Min(threads, total);
        using var model = condition.LoadModel(setup.Task);
        Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = lanes }, lane =>
        {
            using var worker = new LocomotionWorker(setup, model) { Injury = injury };
            var recorder = new NoRecorder();
            for (int i = lane; i < total; i += lanes)
            {
                int k = i % targets, e = i / targets;
                returns[k, e] = worker.RunEpisode(policy.Parameters, setup.Task.TrainingTarget(k), TestEpisodeSeed(setup.Task, k, e),
                    policy.Normaliser, null, ref recorder);
            }
        });
        return returns;
    }

    /// <summary>
    /// The multi-task return of <paramref name="policy"/> under each of <paramref name="conditions"/>: per episode
    /// index the mean over the training targets (one sample of the multi-task return), then the mean and standard
    /// error over <paramref name="episodes"/> such samples. Episodes use the same reset seeds under every condition,
    /// so differences come from the physics alone.
    /// </summary>
    /// <param name="policy">A trained policy (<see cref="Load"/>).</param>
    /// <param name="conditions">Conditions to test, in the order of the result.</param>
    /// <param name="injury">Injury applied under every condition (usually <see cref="Injury.None"/>).</param>
    /// <param name="episodes">Episodes per target, at least 1 (2 or more for a standard error).</param>
    /// <param name="threads">Threads to run on, at least 1.</param>
    /// <exception cref="ArgumentException">A condition does not fit the task's model.</exception>
    public static IReadOnlyList<ConditionResult> TestConditions(TrainedPolicy policy, IReadOnlyList<EnvironmentCondition> conditions,
        Injury injury, int episodes, int threads)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var results = new List<ConditionResult>(conditions.Count);
        foreach (var condition in conditions)
        {
            var returns = TestEpisodes(policy, injury, condition, episodes, threads);
            results.Add(ConditionResult.From(condition, returns));
        }
        return results;
    }

    private static byte[] Payload(LocomotionConfig config, ObservationNormaliser normaliser)
    {
        var state = new double[normaliser.StateLength];
        normaliser.ExportState(state);
        return JsonSerializer.SerializeToUtf8Bytes(new LocomotionCheckpoint(LocomotionCheckpoint.KindName, config, state),
            LocomotionJson.Default.LocomotionCheckpoint);
    }

    private static LocomotionCheckpoint ReadPayload(ReadOnlySpan<byte> payload, string path)
    {
        try
        {
            var checkpoint = JsonSerializer.Deserialize(payload, LocomotionJson.Default.LocomotionCheckpoint);
            if (checkpoint is null || checkpoint.Kind != LocomotionCheckpoint.KindName)
                throw new CheckpointException("not a locomotion checkpoint", path);
            return checkpoint;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"not a locomotion checkpoint: {e.Message}", path, e);
        }
    }

    /// <summary>Folder of a run directory that holds the mean's snapshots (<see cref="LocomotionConfig.SnapshotEvery"/>).</summary>
    public const string SnapshotFolder = "snapshots";

    /// <summary>The snapshot file of the mean after <paramref name="generation"/> generations, inside <paramref name="runDirectory"/>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="generation">Generations completed when the snapshot was taken.</param>
    public static string SnapshotPath(string runDirectory, int generation) =>
        Path.Combine(runDirectory, SnapshotFolder, $"mean-g{generation:D6}.bin");

    /// <summary>
    /// The snapshots of a run's mean, oldest first: generation and parameters (little-endian floats, one genome each).
    /// </summary>
    /// <param name="runDirectory">The run directory (<c>pdlf train TASK --out DIR</c>).</param>
    public static IReadOnlyList<(int Generation, float[] Mean)> ReadSnapshots(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, SnapshotFolder);
        if (!Directory.Exists(folder)) return [];
        var snapshots = new List<(int, float[])>();
        foreach (string file in Directory.EnumerateFiles(folder, "mean-g*.bin"))
        {
            string digits = Path.GetFileNameWithoutExtension(file)["mean-g".Length..];
            if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int generation))
                continue;
            snapshots.Add((generation, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(file)).ToArray()));
        }
        return snapshots.OrderBy(s => s.Item1).ToArray();
    }

    private static void WriteSnapshot(RunDirectory directory, int generation, ReadOnlySpan<float> mean)
    {
        string path = SnapshotPath(directory.Path, generation);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, System.Runtime.InteropServices.MemoryMarshal.AsBytes(mean), "snapshot of the mean");
    }

    /// <summary>True when the checkpoint was written by <see cref="Train"/> (rather than by the copy task).</summary>
    /// <param name="path">Path of a checkpoint written by <c>pdlf train</c>.</param>
    public static bool IsLocomotionCheckpoint(string path)
    {
        var payload = EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointPayload(path);
        return Encoding.UTF8.GetString(payload).Contains($"\"kind\":\"{LocomotionCheckpoint.KindName}\"", StringComparison.Ordinal);
    }

    /// <summary>Loads the trained mean, its config and observation statistics from a checkpoint.</summary>
    /// <param name="path">Path of a checkpoint written by <see cref="Train"/>.</param>
    /// <exception cref="PdlfFast.Training.Checkpoints.CheckpointException">Not a locomotion checkpoint.</exception>
    /// <exception cref="Physics.PhysicsUnavailableException">MuJoCo is not installed (loading rebuilds the session).</exception>
    public static TrainedPolicy Load(string path)
    {
        var extra = ReadPayload(EvolutionRun<LocomotionEvaluator, LocomotionWorker>.ReadCheckpointPayload(path), path);
        var config = extra.Config with { Threads = 1 };
        using var session = CreateSession(config);
        session.LoadCheckpoint(path);
        var normaliser = new ObservationNormaliser(config.Setup().Task.StateObservationSize);
        normaliser.ImportState(extra.ObservationStatistics);
        normaliser.Prepare();
        return new TrainedPolicy(config, session.Strategy.Mean.ToArray(), normaliser, session.Completed);
    }

    /// <summary>Reads a run's log (for plots); a torn last line is dropped with a warning.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="warn">Receives the warning about a dropped line, or null.</param>
    public static IReadOnlyList<LocomotionLog> ReadLog(string directory, Action<string>? warn = null) =>
        RunLog<LocomotionLog>.Read(Path.Combine(directory, RunDirectory.LogName), LocomotionJson.Default.LocomotionLog, warn);
}

/// <summary>A policy's multi-task return under one <see cref="EnvironmentCondition"/>.</summary>
/// <param name="Condition">The physics change.</param>
/// <param name="Mean">Mean over episodes of the mean return over the training targets.</param>
/// <param name="StandardError">Standard error of <see cref="Mean"/> over the episodes (0 for one episode).</param>
/// <param name="Episodes">Episodes per target.</param>
public sealed record ConditionResult(EnvironmentCondition Condition, double Mean, double StandardError, int Episodes)
{
    /// <summary>Summarises returns indexed [target, episode] (<see cref="LocomotionRun.TestEpisodes(TrainedPolicy, Injury, EnvironmentCondition, int, int)"/>).</summary>
    /// <param name="condition">The condition the returns were measured under.</param>
    /// <param name="returns">Returns [target, episode].</param>
    public static ConditionResult From(EnvironmentCondition condition, double[,] returns)
    {
        ArgumentNullException.ThrowIfNull(returns);
        int targets = returns.GetLength(0), episodes = returns.GetLength(1);
        var samples = new double[episodes];
        for (int e = 0; e < episodes; e++)
        {
            double sum = 0;
            for (int k = 0; k < targets; k++) sum += returns[k, e];
            samples[e] = sum / targets;
        }
        double mean = samples.Average();
        double error = episodes > 1 ? Math.Sqrt(samples.Sum(v => (v - mean) * (v - mean)) / (episodes - 1) / episodes) : 0;
        return new ConditionResult(condition, mean, error, episodes);
    }

    /// <summary>
    /// This return relative to <paramref name="intact"/>'s: the fraction <c>Mean / intact.Mean</c> when the intact
    /// return is positive; null otherwise (a ratio of negative returns reads backwards; compare <see cref="Mean"/> directly).
    /// </summary>
    /// <param name="intact">The result under <see cref="EnvironmentCondition.None"/>.</param>
    public double? FractionOf(ConditionResult intact)
    {
        ArgumentNullException.ThrowIfNull(intact);
        return intact.Mean > 0 ? Mean / intact.Mean : null;
    }
}
