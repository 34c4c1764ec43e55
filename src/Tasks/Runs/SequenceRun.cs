using System.Text;
using System.Text.Json;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>A SpikePropamine network trained by <c>pdlf train cue</c> or <c>spikepropamine-copy</c> (<see cref="SequenceRun.Load"/>).</summary>
/// <param name="Config">The run's options, as stored in the checkpoint (task, rule, sizes, trainer).</param>
/// <param name="Spec">The network's architecture, rule and modulation.</param>
/// <param name="Parameters">The trained parameter vector (<see cref="PlasticSnnLayout"/> of <paramref name="Spec"/>).</param>
public sealed record TrainedPlasticSnn(SpikePropamineConfig Config, PlasticSnnSpec Spec, float[] Parameters)
{
    /// <summary>A new inference network with these parameters, at the episode start (one per thread or stream).</summary>
    /// <param name="width">Vector path; results are the same on every path.</param>
    public PlasticSnn CreateNetwork(SimdWidth width = SimdWidth.Auto) => new(Spec, Parameters, width);
}

/// <summary>
/// SpikePropamine training runs on the cue or copy task, by BPTT (minibatches, Adam, clipping) or by PGPE on the same
/// objective, through the shared <see cref="RunLoop"/>: a test on held-out episodes every
/// <see cref="SpikePropamineConfig.TestEvery"/> steps (mean accuracy: the cue task's episodes right, the copy task's bits
/// right), a log line per step, checkpoints (config and the trainer's whole state) every
/// <see cref="SpikePropamineConfig.CheckpointEvery"/> steps and on stop, so <c>--resume</c> continues bit for bit. Writes
/// parameters.bin (the final parameters, little-endian floats) and summary.json at the end. The progress line's "best"
/// is the minibatch accuracy (BPTT) or the best member's fitness, minus its loss (ES); "mean" is minus the mean loss.
/// </summary>
/// <remarks>
/// The networks and rules are docs/design.md's "SpikePropamine plastic layers"; the tasks its "Tasks" (cue-reward
/// association, copy task). Needs no MuJoCo. Members are safe to call from any thread; each call builds its own
/// session. BPTT and ES both give the same bits for a seed on any thread count.
/// </remarks>
public static class SequenceRun
{
    /// <summary>Seed of the held-out test episodes (a stream training never draws from).</summary>
    public const ulong TestSeed = 0x7e57;
    /// <summary>File name of the final parameters in the run directory: raw little-endian float32 values, in the network layout's order.</summary>
    public const string ParametersName = "parameters.bin";

    /// <summary>Options a resume may change: the budget and how the run is scheduled, never what it trains.</summary>
    public static readonly string[] ResumableOptions = ["steps", "threads", "test-every", "checkpoint-every"];

    /// <summary>How log.jsonl lines (<see cref="SequenceLog"/>) are made from a step's figures and read back.</summary>
    public static readonly RunLogFormat<SequenceLog> LogFormat = new(SequenceJson.Default.SequenceLog,
        r => r.Step, r => r.ElapsedSeconds,
        (done, s, test, elapsed) => new SequenceLog(done, s.TrainLoss ?? -s.MeanFitness, s.TrainAccuracy, test, elapsed));

    /// <summary>
    /// A SpikePropamine run's session built from its config alone: the BPTT trainer or the PGPE run on the same loss,
    /// its held-out test and its checkpoint format. <see cref="SequenceSession.Parameters"/> gives the current
    /// parameters and <see cref="SequenceSession.ResetAccuracy"/> the copy task's activity-reset probe.
    /// </summary>
    /// <remarks>The caller owns and disposes the session.</remarks>
    /// <param name="config">The run's options; validated here.</param>
    /// <exception cref="ConfigException">The config is invalid or the run would not fit in memory.</exception>
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
    /// <param name="config">The run's options; validated here.</param>
    /// <param name="directory">The opened run directory (new, or resuming from its checkpoint).</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <param name="stop">Requests a stop: honoured between steps, after which the run checkpoints and returns.</param>
    /// <param name="warn">Receives warnings (e.g. a torn log line dropped on resume), or null.</param>
    /// <param name="remote">ES runs: where generations are evaluated (e.g. a cluster); null: on this process's threads.</param>
    /// <returns>How the run ended and the summary written to summary.json.</returns>
    /// <exception cref="ConfigException">Invalid config, a remote evaluator for a BPTT run, or a resume with other options.</exception>
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
    /// <param name="config">A valid config; <see cref="SpikePropamineConfig.Population"/>, learning rate, sigma and seed are used.</param>
    public static IEvolutionStrategy CreateStrategy(SpikePropamineConfig config)
    {
        var initial = config.InitialParameters();
        return new Pgpe(initial.Length, new PgpeOptions(config.Population, config.LearningRate, InitialStdev: config.Sigma, Seed: config.Seed), initial);
    }

    /// <param name="config">The validated config.</param>
    /// <param name="task">The task the config selects.</param>
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
    /// <param name="checkpoint">Path of a checkpoint written by <see cref="Train"/>.</param>
    /// <exception cref="ConfigException">The checkpoint was written by another kind of run (locomotion, copy task).</exception>
    public static SpikePropamineConfig ReadConfig(string checkpoint)
    {
        var payload = CheckpointFile.Read(checkpoint);
        if (GradientSession<Cue.CueTask>.IsGradientCheckpoint(payload))
            return SpikePropamineConfig.FromJson(GradientSession<Cue.CueTask>.ReadConfig(checkpoint), checkpoint);
        string json = Encoding.UTF8.GetString(EvolutionRun<SequenceEvaluator<Cue.CueTask>, SequenceWorker>.ReadCheckpointPayload(checkpoint));
        if (LocomotionRun.IsLocomotionCheckpoint(checkpoint))
            throw new ConfigException("a locomotion checkpoint (pdlf train TASK), not a SpikePropamine one (pdlf train cue / spikepropamine-copy)", checkpoint);
        return SpikePropamineConfig.FromJson(json, checkpoint);
    }

    /// <summary>
    /// Loads a trained SpikePropamine network (BPTT or ES) for inference: its config, spec and parameters, without
    /// keeping a training session. <see cref="TrainedPlasticSnn.CreateNetwork"/> gives a network to step.
    /// </summary>
    /// <param name="checkpoint">Path of a checkpoint written by <c>pdlf train cue</c> or <c>pdlf train spikepropamine-copy</c>.</param>
    /// <exception cref="ConfigException">Not a SpikePropamine checkpoint.</exception>
    public static TrainedPlasticSnn Load(string checkpoint)
    {
        // The session knows both payloads (the BPTT trainer's and the ES strategy's); one thread is enough to read it.
        var config = ReadConfig(checkpoint) with { Threads = 1 };
        using var session = CreateSession(config);
        session.LoadCheckpoint(checkpoint);
        return new TrainedPlasticSnn(config, config.Spec(), session.Parameters.ToArray());
    }

    /// <summary>Refuses to resume a checkpoint made with other options (naming each option that differs) or beyond --steps.</summary>
    /// <param name="requested">The options the resume asks for.</param>
    /// <param name="checkpoint">Path of the run's checkpoint.</param>
    /// <exception cref="ConfigException">An option other than <see cref="ResumableOptions"/> differs, or the checkpoint is past <see cref="SpikePropamineConfig.Steps"/>.</exception>
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
    /// <param name="config">The options the caller would train with.</param>
    /// <param name="directory">The run directory.</param>
    /// <returns>The stored summary when the old run finished exactly <see cref="SpikePropamineConfig.Steps"/> steps; otherwise null.</returns>
    public static SequenceSummary? FinishedWithoutCheckpoint(SpikePropamineConfig config, string directory)
    {
        string summaryPath = Path.Combine(directory, RunDirectory.SummaryName), configPath = Path.Combine(directory, RunDirectory.ConfigName);
        if (!File.Exists(summaryPath) || !File.Exists(configPath) || File.Exists(Path.Combine(directory, RunDirectory.CheckpointName))) return null;
        var stored = SpikePropamineConfig.FromFile(configPath);
        ConfigDiff.EnsureSame(stored.ToJson(), config.ToJson(), ["threads", "checkpoint-every"], configPath);
        var summary = ConfigFiles.Parse(ConfigFiles.ReadText(summaryPath), SequenceJson.Default.SequenceSummary, "run summary", summaryPath);
        return summary.Steps == config.Steps ? summary : null;
    }

    /// <summary>Reads a run's log (for plots); a torn last line is dropped with a warning.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="warn">Receives the warning about a dropped line, or null.</param>
    public static IReadOnlyList<SequenceLog> ReadLog(string directory, Action<string>? warn = null) =>
        RunLog<SequenceLog>.Read(Path.Combine(directory, RunDirectory.LogName), SequenceJson.Default.SequenceLog, warn);
}

/// <summary>A SpikePropamine session (BPTT or ES) with the current parameters and the activity-reset probe.</summary>
/// <remarks>Made by <see cref="SequenceRun.CreateSession"/>; not thread-safe (one thread drives it); dispose it to stop its workers.</remarks>
public sealed class SequenceSession : ITrainingSession
{
    private readonly ITrainingSession inner;
    private readonly Func<ReadOnlySpan<float>> parameters;
    private readonly Func<float[], double?> resetAccuracy;
    private readonly Action<IGenerationEvaluator?>? setRemote;

    internal SequenceSession(ITrainingSession inner, Func<ReadOnlySpan<float>> parameters, Func<float[], double?> resetAccuracy,
        Action<IGenerationEvaluator?>? setRemote = null)
    {
        this.inner = inner;
        this.parameters = parameters;
        this.resetAccuracy = resetAccuracy;
        this.setRemote = setRemote;
    }

    /// <summary>ES runs: where generations are evaluated (see <see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/>).</summary>
    /// <exception cref="InvalidOperationException">Set to a non-null evaluator on a BPTT run.</exception>
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
    /// <summary>BPTT steps or ES generations done so far.</summary>
    public int Completed => inner.Completed;
    /// <summary>The config as stored in config.json and the checkpoint (<see cref="SpikePropamineConfig.ToJson"/>).</summary>
    public string ConfigJson => inner.ConfigJson;
    /// <summary>One BPTT step (a minibatch of <see cref="SpikePropamineConfig.Batch"/> episodes) or one ES generation.</summary>
    public RunStep Step() => inner.Step();
    /// <summary>Mean accuracy of the current parameters on <see cref="SpikePropamineConfig.TestEpisodes"/> held-out episodes.</summary>
    public double Test() => inner.Test();
    /// <summary>Writes the trainer's whole state and the config, so a resume continues bit for bit.</summary>
    /// <param name="path">Checkpoint file to write.</param>
    public void SaveCheckpoint(string path) => inner.SaveCheckpoint(path);
    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>.</summary>
    /// <param name="path">Checkpoint file to read.</param>
    public void LoadCheckpoint(string path) => inner.LoadCheckpoint(path);

    /// <summary>Copy task: accuracy of the current parameters with all activity wiped during the delay; null for the cue task.</summary>
    public double? ResetAccuracy() => resetAccuracy(Parameters.ToArray());

    /// <summary>Stops the trainer's workers and frees its state.</summary>
    public void Dispose() => inner.Dispose();
}

/// <summary>One line of a SpikePropamine run's log (step = BPTT step or ES generation).</summary>
/// <remarks>ES reports no training accuracy (its fitness is the loss): null there.</remarks>
/// <param name="Step">Steps completed (1-based BPTT step or generation count).</param>
/// <param name="TrainLoss">Minibatch loss (BPTT) or minus the generation's mean fitness (ES).</param>
/// <param name="TrainAccuracy">Minibatch accuracy (BPTT); null for ES.</param>
/// <param name="TestAccuracy">Held-out accuracy of the current parameters on steps that test; null otherwise.</param>
/// <param name="ElapsedSeconds">Wall time of the run so far, including earlier sessions of a resumed run.</param>
public sealed record SequenceLog(int Step, double TrainLoss, double? TrainAccuracy, double? TestAccuracy, double ElapsedSeconds);

/// <summary>The outcome of a run (Latency applies to the copy task, Noise to the cue task).</summary>
/// <param name="Task">cue or copy.</param>
/// <param name="Rule">The plasticity rule name (<see cref="SpikePropamineConfig.Rule"/>).</param>
/// <param name="Trainer">bptt or es.</param>
/// <param name="Length">Cue presentations (cue task) or bits (copy task).</param>
/// <param name="Latency">Copy task: delay steps.</param>
/// <param name="Noise">Cue task: noise on the cue bits.</param>
/// <param name="Steps">BPTT steps or ES generations completed.</param>
/// <param name="TestAccuracy">Final held-out accuracy.</param>
/// <param name="Chance">Accuracy of guessing (1 / cues, or 0.5 for the copy task).</param>
/// <param name="WallSeconds">Wall time of the run, including earlier sessions.</param>
public sealed record SequenceSummary(string Task, string Rule, string Trainer, int Length, int Latency, float Noise, int Steps, double TestAccuracy, double Chance, double WallSeconds)
{
    /// <summary>Copy task with a delay: test accuracy with all activity wiped during the delay (memory held by synapses only).</summary>
    public double? ResetAccuracy { get; init; }
}
