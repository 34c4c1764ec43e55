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
public static class CopyRun
{
    public const ulong TestSeed = 0x7e57;

    /// <summary>Options a resume may change: the budget and how the run is scheduled, never what it trains.</summary>
    public static readonly string[] ResumableOptions = ["generations", "threads", "test-every", "checkpoint-every"];

    public static readonly RunLogFormat<GenerationLog> LogFormat = new(CopyJson.Default.GenerationLog,
        r => r.Generation + 1, r => r.ElapsedSeconds,
        (done, s, test, elapsed) => new GenerationLog(done - 1, s.BestFitness, s.MeanFitness, s.BestEverFitness, s.NonFinite, s.Seconds,
            s.ItemsPerSecond, test, elapsed));

    public static IEvolutionStrategy CreateStrategy(CopyConfig config) =>
        Strategies.Create(config.Strategy, checked((int)config.Dimension), config.Population, config.Sigma, config.LearningRate, config.Seed);

    /// <summary>The run's ES session: evaluator, strategy and checkpoint payload (the config JSON) from the config alone.</summary>
    public static EvolutionSession<CopyEvaluator, CopyWorker> CreateSession(CopyConfig config)
    {
        config.Validated();
        var evaluator = config.Evaluator();
        var tester = evaluator.CreateWorker(0);
        string json = config.ToJson();
        byte[] payload = Encoding.UTF8.GetBytes(json);
        return new EvolutionSession<CopyEvaluator, CopyWorker>(CreateStrategy(config), evaluator,
            new EvaluationOptions(EpisodesPerMember: 1, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed),
            json, () => payload, mean => evaluator.Test(tester, mean, config.TestSequences, TestSeed, resetDuringDelay: false).Accuracy);
    }

    /// <summary>
    /// Trains (or, when <paramref name="directory"/> resumes, continues) the run; writes config.json, log.jsonl, the
    /// checkpoint and summary.json. A stop request finishes the generation in flight and checkpoints.
    /// </summary>
    /// <param name="remote">Where generations are evaluated (e.g. a cluster); null: on this process's threads. Same bits either way.</param>
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
        double reset = evaluator.Test(worker, session.Strategy.Mean, config.TestSequences, TestSeed, resetDuringDelay: true).Accuracy;
        var summary = new CopySummary(config.Model, config.Length, config.Latency, outcome.Completed, config.Population, config.Sequences,
            outcome.FinalTest, reset, outcome.WallSeconds, directory.CheckpointPath);
        directory.WriteSummary(JsonSerializer.Serialize(summary, CopyJson.Default.CopySummary));
        return (outcome, summary);
    }

    /// <summary>Refuses to resume a checkpoint made with other options (naming each option that differs) or beyond --generations.</summary>
    public static void EnsureResumable(CopyConfig requested, string checkpoint)
    {
        ConfigDiff.EnsureSame(ReadConfig(checkpoint).ToJson(), requested.ToJson(), ResumableOptions, checkpoint);
        RunLoop.EnsureTotal(EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointGeneration(checkpoint),
            new RunSchedule(requested.Generations, requested.TestEvery, requested.CheckpointEvery), checkpoint);
    }

    /// <summary>The config stored in a copy-task checkpoint.</summary>
    public static CopyConfig ReadConfig(string checkpoint)
    {
        var payload = EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointPayload(checkpoint);
        return CopyConfig.FromCheckpointJson(Encoding.UTF8.GetString(payload), checkpoint);
    }

    /// <summary>Loads a checkpoint written by <see cref="Train"/>: its config and the trained mean.</summary>
    public static (CopyConfig Config, float[] Mean, int Generation) Load(string checkpoint)
    {
        var config = ReadConfig(checkpoint) with { Threads = 1 };
        using var session = CreateSession(config);
        session.LoadCheckpoint(checkpoint);
        return (config, session.Strategy.Mean.ToArray(), session.Completed);
    }

    /// <summary>Reads a run's log (for plots); a torn last line is dropped with a warning.</summary>
    public static IReadOnlyList<GenerationLog> ReadLog(string directory, Action<string>? warn = null) =>
        RunLog<GenerationLog>.Read(Path.Combine(directory, RunDirectory.LogName), CopyJson.Default.GenerationLog, warn);

    /// <summary>The summary of a finished run, or null when the directory holds none.</summary>
    public static CopySummary? ReadSummary(string directory)
    {
        string path = Path.Combine(directory, RunDirectory.SummaryName);
        return File.Exists(path) ? ConfigFiles.Parse(ConfigFiles.ReadText(path), CopyJson.Default.CopySummary, "run summary", path) : null;
    }
}
