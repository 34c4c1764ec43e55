using System.Text;
using System.Text.Json;
using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// SpikePropamine training runs on the cue or copy task, by BPTT (minibatches, Adam, clipping) or by PGPE on the same
/// objective, through the shared <see cref="RunLoop"/>: a test on held-out episodes every
/// <see cref="SpikePropamineConfig.TestEvery"/> steps (mean accuracy: the cue task's episodes right, the copy task's bits
/// right), a log line per step, checkpoints (config and the trainer's whole state) every
/// <see cref="SpikePropamineConfig.CheckpointEvery"/> steps and on stop, so <c>--resume</c> continues bit for bit. Writes
/// parameters.bin (the final parameters, little-endian floats) and summary.json at the end. The progress line's "best"
/// is the minibatch accuracy (BPTT) or the best member's fitness, minus its loss (ES); "mean" is minus the mean loss.
/// </summary>
public static class SequenceRun
{
    public const ulong TestSeed = 0x7e57;
    public const string ParametersName = "parameters.bin";

    /// <summary>Options a resume may change: the budget and how the run is scheduled, never what it trains.</summary>
    public static readonly string[] ResumableOptions = ["steps", "threads", "test-every", "checkpoint-every"];

    public static readonly RunLogFormat<SequenceLog> LogFormat = new(SequenceJson.Default.SequenceLog,
        r => r.Step, r => r.ElapsedSeconds,
        (done, s, test, elapsed) => new SequenceLog(done, s.TrainLoss ?? -s.MeanFitness, s.TrainAccuracy, test, elapsed));

    /// <summary>
    /// A SpikePropamine run's session built from its config alone: the BPTT trainer or the PGPE run on the same loss,
    /// its held-out test and its checkpoint format. <see cref="SequenceSession.Parameters"/> gives the current
    /// parameters and <see cref="SequenceSession.ResetAccuracy"/> the copy task's activity-reset probe.
    /// </summary>
    public static SequenceSession CreateSession(SpikePropamineConfig config)
    {
        config.Validated();
        return config.Task == "copy"
            ? Build(config, config.CopyTask, config.CopyTask.Delay)
            : Build(config, config.CueTask, null);
    }

    /// <summary>
    /// Trains (or, when <paramref name="directory"/> resumes, continues) the run; writes config.json, log.jsonl, the
    /// checkpoint, parameters.bin and summary.json. A stop request finishes the step in flight and checkpoints.
    /// </summary>
    /// <param name="remote">ES runs: where generations are evaluated (e.g. a cluster); null: on this process's threads.</param>
    public static (RunOutcome Outcome, SequenceSummary Summary) Train(SpikePropamineConfig config, RunDirectory directory,
        IProgress<RunProgress>? progress, CancellationToken stop, Action<string>? warn = null, IGenerationEvaluator? remote = null)
    {
        config.Validated();
        if (remote is not null && config.Trainer != "es") throw new ConfigException("--cluster applies to --trainer es (BPTT runs on one machine)");
        if (directory.Resuming) EnsureResumable(config, directory.CheckpointPath);
        using var session = CreateSession(config);
        session.Remote = remote;
        var outcome = RunLoop.Run(session, directory, new RunSchedule(config.Steps, config.TestEvery, config.CheckpointEvery, "steps"),
            LogFormat, progress, stop, warn);
        var parameters = session.Parameters.ToArray();
        AtomicFile.Write(Path.Combine(directory.Path, ParametersName), System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan()), "parameters");
        var summary = new SequenceSummary(config.Task, config.Rule, config.Trainer, config.SequenceLength, config.Latency, config.Noise, outcome.Completed,
            outcome.FinalTest, config.TaskShape.Chance, outcome.WallSeconds) { ResetAccuracy = session.ResetAccuracy() };
        directory.WriteSummary(JsonSerializer.Serialize(summary, SequenceJson.Default.SequenceSummary));
        return (outcome, summary);
    }

    /// <summary>The ES strategy of a run (PGPE, centred on the network's initial parameters).</summary>
    public static IEvolutionStrategy CreateStrategy(SpikePropamineConfig config)
    {
        var initial = config.InitialParameters();
        return new Pgpe(initial.Length, new PgpeOptions(config.Population, config.LearningRate, InitialStdev: config.Sigma, Seed: config.Seed), initial);
    }

    /// <param name="delay">Copy task: the delay, where the activity-reset probe wipes activity.</param>
    private static SequenceSession Build<TTask>(SpikePropamineConfig config, TTask task, (int Start, int End)? delay) where TTask : struct, ISequenceTask
    {
        var spec = config.Spec();
        var evaluator = new SequenceEvaluator<TTask>(spec, task);
        var tester = evaluator.CreateWorker(0);
        double Test(ReadOnlySpan<float> p) => evaluator.Accuracy(tester, p, config.TestEpisodes, TestSeed);
        double? Reset(float[] p) => delay is { } d && d.End > d.Start ? evaluator.Accuracy(tester, p, config.TestEpisodes, TestSeed, d) : null;
        string json = config.ToJson();
        if (config.Trainer == "bptt")
        {
            var trainer = new GradientTrainer<TTask>(spec, task,
                new GradientOptions(config.Batch, config.LearningRate, config.Clip, config.Threads, config.Seed)
                {
                    Frozen = config.FrozenParts,
                    Silence = config.TrainWithReset && delay is { } silence ? silence : default,
                },
                config.InitialParameters());
            return new SequenceSession(new GradientSession<TTask>(trainer, json, Test), () => trainer.Parameters, Reset);
        }
        var strategy = CreateStrategy(config);
        byte[] payload = Encoding.UTF8.GetBytes(json);
        var session = new EvolutionSession<SequenceEvaluator<TTask>, SequenceWorker>(strategy, evaluator,
            new EvaluationOptions(EpisodesPerMember: config.Batch, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed),
            json, () => payload, Test);
        return new SequenceSession(session, () => session.Strategy.Mean.ToArray(), Reset, remote => session.Run.Remote = remote);
    }

    /// <summary>The config stored in a SpikePropamine checkpoint (BPTT or ES).</summary>
    public static SpikePropamineConfig ReadConfig(string checkpoint)
    {
        var payload = CheckpointFile.Read(checkpoint);
        string json = GradientSession<Cue.CueTask>.IsGradientCheckpoint(payload)
            ? GradientSession<Cue.CueTask>.ReadConfig(checkpoint)
            : Encoding.UTF8.GetString(EvolutionRun<SequenceEvaluator<Cue.CueTask>, SequenceWorker>.ReadCheckpointPayload(checkpoint));
        return SpikePropamineConfig.FromJson(json, checkpoint);
    }

    /// <summary>Refuses to resume a checkpoint made with other options (naming each option that differs) or beyond --steps.</summary>
    public static void EnsureResumable(SpikePropamineConfig requested, string checkpoint)
    {
        ConfigDiff.EnsureSame(ReadConfig(checkpoint).ToJson(), requested.ToJson(), ResumableOptions, checkpoint);
        int done = GradientSession<Cue.CueTask>.IsGradientCheckpoint(CheckpointFile.Read(checkpoint))
            ? GradientSession<Cue.CueTask>.ReadStep(checkpoint)
            : EvolutionRun<SequenceEvaluator<Cue.CueTask>, SequenceWorker>.ReadCheckpointGeneration(checkpoint);
        RunLoop.EnsureTotal(done, new RunSchedule(requested.Steps, requested.TestEvery, requested.CheckpointEvery, "steps"), checkpoint);
    }

    /// <summary>
    /// The summary of a finished run made before SpikePropamine runs had checkpoints (config.json and summary.json only),
    /// after checking that its stored options are <paramref name="config"/>'s (threads aside); null when the directory
    /// holds no such run. A run made with other options is a <see cref="ConfigException"/> naming them.
    /// </summary>
    public static SequenceSummary? FinishedWithoutCheckpoint(SpikePropamineConfig config, string directory)
    {
        string summaryPath = Path.Combine(directory, RunDirectory.SummaryName), configPath = Path.Combine(directory, RunDirectory.ConfigName);
        if (!File.Exists(summaryPath) || !File.Exists(configPath) || File.Exists(Path.Combine(directory, RunDirectory.CheckpointName))) return null;
        var stored = SpikePropamineConfig.FromFile(configPath);
        ConfigDiff.EnsureSame(stored.ToJson(), config.ToJson(), ["threads", "checkpoint-every"], configPath);
        var summary = ConfigFiles.Parse(ConfigFiles.ReadText(summaryPath), SequenceJson.Default.SequenceSummary, "run summary", summaryPath);
        return summary.Steps == config.Steps ? summary : null;
    }

    public static IReadOnlyList<SequenceLog> ReadLog(string directory, Action<string>? warn = null) =>
        RunLog<SequenceLog>.Read(Path.Combine(directory, RunDirectory.LogName), SequenceJson.Default.SequenceLog, warn);
}

/// <summary>A SpikePropamine session (BPTT or ES) with the current parameters and the activity-reset probe.</summary>
public sealed class SequenceSession(ITrainingSession inner, Func<ReadOnlySpan<float>> parameters, Func<float[], double?> resetAccuracy,
    Action<IGenerationEvaluator?>? setRemote = null) : ITrainingSession
{
    /// <summary>ES runs: where generations are evaluated (see <see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/>).</summary>
    public IGenerationEvaluator? Remote
    {
        set
        {
            if (value is not null && setRemote is null) throw new InvalidOperationException("Only ES runs evaluate remotely.");
            setRemote?.Invoke(value);
        }
    }

    /// <summary>The trained parameters (BPTT) or the strategy mean (ES).</summary>
    public ReadOnlySpan<float> Parameters => parameters();
    public int Completed => inner.Completed;
    public string ConfigJson => inner.ConfigJson;
    public RunStep Step() => inner.Step();
    public double Test() => inner.Test();
    public void SaveCheckpoint(string path) => inner.SaveCheckpoint(path);
    public void LoadCheckpoint(string path) => inner.LoadCheckpoint(path);

    /// <summary>Copy task: accuracy of the current parameters with all activity wiped during the delay; null for the cue task.</summary>
    public double? ResetAccuracy() => resetAccuracy(Parameters.ToArray());

    public void Dispose() => inner.Dispose();
}

/// <summary>One line of a SpikePropamine run's log (step = BPTT step or ES generation).</summary>
/// <remarks>ES reports no training accuracy (its fitness is the loss): null there.</remarks>
public sealed record SequenceLog(int Step, double TrainLoss, double? TrainAccuracy, double? TestAccuracy, double ElapsedSeconds);

/// <summary>The outcome of a run (Latency applies to the copy task, Noise to the cue task).</summary>
public sealed record SequenceSummary(string Task, string Rule, string Trainer, int Length, int Latency, float Noise, int Steps, double TestAccuracy, double Chance, double WallSeconds)
{
    /// <summary>Copy task with a delay: test accuracy with all activity wiped during the delay (memory held by synapses only).</summary>
    public double? ResetAccuracy { get; init; }
}
