using System.Text;
using System.Text.Json;
using PdlfFast.Tasks.Copy;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// Copy-task training runs: builds the evaluator and the ES session from a <see cref="CopyConfig"/> alone (any host,
/// any machine, the same bits), trains through the shared <see cref="RunLoop"/> (test of the mean every
/// <see cref="CopyConfig.TestEvery"/> generations, a log line per generation, checkpoints with the config inside), and
/// reads finished runs back.
/// </summary>
/// <remarks>
/// Every member is safe to call from any thread; each call builds its own session. Training needs no MuJoCo. The
/// run files (config.json, log.jsonl, checkpoint.ckpt, summary.json) are described in README, "Runs: files,
/// stopping, resuming, exit codes".
/// </remarks>
public static class CopyRun
{
    /// <summary>Seed of the held-out test sequences (a stream training never draws from): tests are comparable across runs and models.</summary>
    public const ulong TestSeed = 0x7e57;

    /// <summary>Options a resume may change: the budget and how the run is scheduled, never what it trains.</summary>
    public static readonly string[] ResumableOptions = ["generations", "threads", "test-every", "checkpoint-every"];

    /// <summary>How log.jsonl lines (<see cref="GenerationLog"/>) are made from a generation's figures and read back (e.g. to trim the log on resume).</summary>
    public static readonly RunLogFormat<GenerationLog> LogFormat = new(CopyJson.Default.GenerationLog,
        r => r.Generation + 1, r => r.ElapsedSeconds,
        (done, s, test, elapsed) => new GenerationLog(done - 1, s.BestFitness, s.MeanFitness, s.BestEverFitness, s.NonFinite, s.Seconds,
            s.ItemsPerSecond, test, elapsed));

    /// <summary>The run's evolution strategy (<see cref="CopyConfig.Strategy"/>), in its initial state; the same config gives the same strategy on every machine.</summary>
    /// <param name="config">A valid config.</param>
    /// <exception cref="ConfigException">Unknown strategy name.</exception>
    public static IEvolutionStrategy CreateStrategy(CopyConfig config) =>
        Strategies.Create(config.Strategy, checked((int)config.Dimension), config.Population, config.Sigma, config.LearningRate, config.Seed);

    /// <summary>The run's ES session: evaluator, strategy and checkpoint payload (the config JSON) from the config alone.</summary>
    /// <remarks>The caller owns and disposes the session (it holds the worker threads). Its test is the held-out accuracy of the mean.</remarks>
    /// <param name="config">The run's options; validated here.</param>
    /// <exception cref="ConfigException">The config is invalid or the run would not fit in memory.</exception>
    public static EvolutionSession<CopyEvaluator, CopyWorker> CreateSession(CopyConfig config)
    {
        config.Validated();
        var evaluator = config.Evaluator();
        var tester = evaluator.CreateWorker(0);
        string json = config.ToJson();
        byte[] payload = Encoding.UTF8.GetBytes(json);
        return new EvolutionSession<CopyEvaluator, CopyWorker>(CreateStrategy(config), evaluator,
            new EvaluationOptions(EpisodesPerMember: 1, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed),
            json, () => payload, mean => evaluator.Test(tester, mean, config.TestSequences, TestSeed, CopyProbe.None).Accuracy);
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
    public static (RunOutcome Outcome, CopySummary Summary) Train(CopyConfig config, RunDirectory directory, IProgress<RunProgress>? progress,
        CancellationToken stop, Action<string>? warn = null, IGenerationEvaluator? remote = null)
    {
        if (directory.Resuming) EnsureResumable(config, directory.CheckpointPath);
        using var session = CreateSession(config);
        session.Run.Remote = remote;
        var outcome = RunLoop.Run(session, directory, new RunSchedule(config.Generations, config.TestEvery, config.CheckpointEvery),
            LogFormat, progress, stop, warn);
        var evaluator = config.Evaluator();
        var worker = evaluator.CreateWorker(0);
        double reset = evaluator.Test(worker, session.Strategy.Mean, config.TestSequences, TestSeed, CopyProbe.WipeDuringDelay).Accuracy;
        var summary = new CopySummary(config.Model, config.Length, config.Latency, outcome.Completed, config.Population, config.Sequences,
            outcome.FinalTest, reset, outcome.WallSeconds, directory.CheckpointPath);
        directory.WriteSummary(JsonSerializer.Serialize(summary, CopyJson.Default.CopySummary));
        return (outcome, summary);
    }

    /// <summary>Refuses to resume a checkpoint made with other options (naming each option that differs) or beyond --generations.</summary>
    /// <param name="requested">The options the resume asks for.</param>
    /// <param name="checkpoint">Path of the run's checkpoint.</param>
    /// <exception cref="ConfigException">An option other than <see cref="ResumableOptions"/> differs, or the checkpoint is past <see cref="CopyConfig.Generations"/>.</exception>
    public static void EnsureResumable(CopyConfig requested, string checkpoint)
    {
        ConfigDiff.EnsureSame(ReadConfig(checkpoint).ToJson(), requested.ToJson(), ResumableOptions, checkpoint);
        RunLoop.EnsureTotal(EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointGeneration(checkpoint),
            new RunSchedule(requested.Generations, requested.TestEvery, requested.CheckpointEvery), checkpoint);
    }

    /// <summary>The config stored in a copy-task checkpoint.</summary>
    /// <param name="checkpoint">Path of a checkpoint written by <see cref="Train"/>.</param>
    public static CopyConfig ReadConfig(string checkpoint)
    {
        var payload = EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointPayload(checkpoint);
        return CopyConfig.FromCheckpointJson(Encoding.UTF8.GetString(payload), checkpoint);
    }

    /// <summary>Loads a checkpoint written by <see cref="Train"/>: its config and the trained mean.</summary>
    /// <param name="checkpoint">Path of the checkpoint.</param>
    /// <returns>The stored config (with <see cref="CopyConfig.Threads"/> set to 1), the strategy's mean (the genome to evaluate) and the generations completed.</returns>
    public static (CopyConfig Config, float[] Mean, int Generation) Load(string checkpoint)
    {
        var config = ReadConfig(checkpoint) with { Threads = 1 };
        using var session = CreateSession(config);
        session.LoadCheckpoint(checkpoint);
        return (config, session.Strategy.Mean.ToArray(), session.Completed);
    }

    /// <summary>Reads a run's log (for plots); a torn last line is dropped with a warning.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="warn">Receives the warning about a dropped line, or null.</param>
    public static IReadOnlyList<GenerationLog> ReadLog(string directory, Action<string>? warn = null) =>
        RunLog<GenerationLog>.Read(Path.Combine(directory, RunDirectory.LogName), CopyJson.Default.GenerationLog, warn);

    /// <summary>The summary of a finished run, or null when the directory holds none.</summary>
    /// <param name="directory">The run directory.</param>
    /// <exception cref="ConfigException">summary.json exists but is not a valid summary.</exception>
    public static CopySummary? ReadSummary(string directory)
    {
        string path = Path.Combine(directory, RunDirectory.SummaryName);
        return File.Exists(path) ? ConfigFiles.Parse(ConfigFiles.ReadText(path), CopyJson.Default.CopySummary, "run summary", path) : null;
    }
}
