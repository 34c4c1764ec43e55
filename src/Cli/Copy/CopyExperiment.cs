using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PdlfFast.Cli.Commands;
using PdlfFast.Tasks.Copy;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli.Copy;

/// <summary>
/// Trains a working-memory network on the copy task: ES generations with a held-out test of the mean every
/// <see cref="CopyConfig.TestEvery"/> generations, a JSONL log line per generation, and a checkpoint (config inside)
/// every <see cref="CopyConfig.CheckpointEvery"/> generations and on cancellation, so a stopped run loses at most the
/// generation in flight and <c>--resume</c> continues it exactly.
/// </summary>
public sealed class CopyExperiment
{
    public const ulong TestSeed = 0x7e57;
    public const string CheckpointName = "checkpoint.ckpt";
    public const string LogName = "log.jsonl";

    public static IEvolutionStrategy CreateStrategy(CopyConfig config, int dimension) =>
        Strategies.Create(config.Strategy, dimension, config.Population, config.Sigma, config.LearningRate, config.Seed);

    /// <summary>Runs (or resumes) training in <paramref name="directory"/>; returns the summary it also writes.</summary>
    public static CopySummary Train(CopyConfig config, string directory, bool resume, IProgress<TrainingProgress>? progress,
        CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        string checkpoint = Path.Combine(directory, CheckpointName), logPath = Path.Combine(directory, LogName);
        var evaluator = config.Evaluator();
        var strategy = CreateStrategy(config, evaluator.Dimension);
        using var run = new EvolutionRun<CopyEvaluator, CopyWorker>(strategy, evaluator,
            new EvaluationOptions(EpisodesPerMember: 1, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed));
        double previousSeconds = 0;
        if (resume)
        {
            run.LoadCheckpoint(checkpoint);
            previousSeconds = TruncateLog(logPath, strategy.Generation);
        }
        else
        {
            File.Delete(logPath);
        }
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        byte[] payload = Encoding.UTF8.GetBytes(config.ToJson());
        var tester = evaluator.CreateWorker(0);
        var stopwatch = Stopwatch.StartNew();
        (int Generation, double Accuracy) lastTest = (-1, double.NaN);
        using (var log = new StreamWriter(logPath, append: true))
        {
            while (strategy.Generation < config.Generations)
            {
                if (cancellation.IsCancellationRequested) break;
                GenerationReport report;
                try
                {
                    report = run.Step(cancellation);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                int done = strategy.Generation;
                double? test = done % config.TestEvery == 0 || done == config.Generations
                    ? evaluator.Test(tester, strategy.Mean, config.TestSequences, TestSeed, resetDuringDelay: false).Accuracy
                    : null;
                if (test is { } accuracy) lastTest = (done, accuracy);
                double elapsed = previousSeconds + stopwatch.Elapsed.TotalSeconds;
                log.WriteLine(JsonSerializer.Serialize(new GenerationLog(report.Generation, report.BestFitness, report.MeanFitness,
                    report.BestEverFitness, report.NonFiniteEpisodes, report.Seconds, report.EpisodesPerSecond, test, elapsed),
                    CliJson.Default.GenerationLog));
                log.Flush();
                if (done % config.CheckpointEvery == 0 || done == config.Generations) run.SaveCheckpoint(checkpoint, payload);
                var remaining = TimeSpan.FromSeconds((config.Generations - done) * report.Seconds);
                progress?.Report(new TrainingProgress(done, config.Generations, report.BestFitness, report.MeanFitness, test,
                    report.EpisodesPerSecond, TimeSpan.FromSeconds(elapsed), remaining));
            }
        }
        run.SaveCheckpoint(checkpoint, payload);
        double wall = previousSeconds + stopwatch.Elapsed.TotalSeconds;
        // The loop tests the final generation already; test again only if the run stopped in between.
        double finalAccuracy = lastTest.Generation == strategy.Generation ? lastTest.Accuracy
            : evaluator.Test(tester, strategy.Mean, config.TestSequences, TestSeed, resetDuringDelay: false).Accuracy;
        var summary = new CopySummary(config.Model, config.Length, config.Latency, strategy.Generation, config.Population, config.Sequences,
            finalAccuracy,
            evaluator.Test(tester, strategy.Mean, config.TestSequences, TestSeed, resetDuringDelay: true).Accuracy,
            wall, checkpoint);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary, CliJson.Default.CopySummary));
        return summary;
    }

    private static double TruncateLog(string logPath, int generations) =>
        JsonLines.Truncate(logPath, generations, CliJson.Default.GenerationLog, e => e.Generation, e => e.ElapsedSeconds);

    /// <summary>Reads a run's log (for plots).</summary>
    public static IReadOnlyList<GenerationLog> ReadLog(string directory) => JsonLines.Read(Path.Combine(directory, LogName), CliJson.Default.GenerationLog);

    /// <summary>Loads a checkpoint written by <see cref="Train"/>: its config and the trained mean.</summary>
    public static (CopyConfig Config, float[] Mean, int Generation) Load(string checkpoint)
    {
        var payload = EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointPayload(checkpoint);
        var config = CopyConfig.FromCheckpointJson(Encoding.UTF8.GetString(payload), $"the config inside '{checkpoint}'");
        var evaluator = config.Evaluator();
        var strategy = CreateStrategy(config, evaluator.Dimension);
        using var run = new EvolutionRun<CopyEvaluator, CopyWorker>(strategy, evaluator, new EvaluationOptions(Threads: 1, Seed: config.Seed));
        run.LoadCheckpoint(checkpoint);
        return (config, strategy.Mean.ToArray(), strategy.Generation);
    }
}
