using System.Diagnostics;
using System.Text.Json;
using PdlfFast.Cli.Commands;
using PdlfFast.Cli.Copy;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Cli.SpikePropamine;

/// <summary>
/// Trains a SpikePropamine network on the cue or copy task with BPTT (minibatches, Adam, clipping) or with PGPE on the same
/// objective, testing on held-out episodes every <see cref="SpikePropamineConfig.TestEvery"/> steps (mean accuracy: the cue task's episodes
/// right, the copy task's bits right); writes log.jsonl,
/// parameters.bin (the final parameters, little-endian floats) and summary.json. The progress line's "best" is the
/// minibatch accuracy (BPTT) or the best member's fitness, minus its loss (ES); "mean" is minus the mean loss.
/// </summary>
public static class SpikePropamineExperiment
{
    public const ulong TestSeed = 0x7e57;

    public static SequenceSummary Train(SpikePropamineConfig config, string directory, IProgress<TrainingProgress>? progress, CancellationToken cancellation) =>
        config.Task == "copy"
            ? Train(config, config.CopyTask, config.CopyTask.Delay, directory, progress, cancellation)
            : Train(config, config.CueTask, null, directory, progress, cancellation);

    /// <param name="delay">Copy task: the delay, where the activity-reset probe wipes activity at the final test.</param>
    private static SequenceSummary Train<TTask>(SpikePropamineConfig config, TTask task, (int Start, int End)? delay, string directory, IProgress<TrainingProgress>? progress,
        CancellationToken cancellation) where TTask : struct, ISequenceTask
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        string logPath = Path.Combine(directory, "log.jsonl");
        var spec = config.Spec();
        var evaluator = new SequenceEvaluator<TTask>(spec, task);
        var tester = evaluator.CreateWorker(0);
        var stopwatch = Stopwatch.StartNew();
        float[] parameters;
        double lastTest = double.NaN;
        int done = 0;
        using (var log = new StreamWriter(logPath))
        {
            void Report(int step, double loss, double? accuracy, double seconds, ReadOnlySpan<float> current, float best)
            {
                double? test = null;
                if (step % config.TestEvery == 0 || step == config.Steps)
                    lastTest = (double)(test = evaluator.Accuracy(tester, current, config.TestEpisodes, TestSeed));
                log.WriteLine(JsonSerializer.Serialize(new SequenceLog(step, loss, accuracy, test, stopwatch.Elapsed.TotalSeconds), CliJson.Default.SequenceLog));
                log.Flush();
                progress?.Report(new TrainingProgress(step, config.Steps, best, (float)-loss, test, config.Batch / Math.Max(seconds, 1e-9),
                    stopwatch.Elapsed, TimeSpan.FromSeconds((config.Steps - step) * seconds)));
            }
            if (config.Trainer == "bptt")
            {
                using var trainer = new GradientTrainer<TTask>(spec, task,
                    new GradientOptions(config.Batch, config.LearningRate, config.Clip, config.Threads, config.Seed)
                    {
                        Frozen = config.FrozenParts,
                        Silence = config.TrainWithReset && delay is { } silence ? silence : default,
                    },
                    config.InitialParameters());
                while (done < config.Steps && !cancellation.IsCancellationRequested)
                {
                    var r = trainer.Step();
                    done = r.Step;
                    Report(done, r.Loss, r.Accuracy, r.Seconds, trainer.Parameters, r.Accuracy);
                }
                parameters = trainer.Parameters.ToArray();
            }
            else
            {
                var initial = config.InitialParameters();
                var strategy = new Pgpe(initial.Length, new PgpeOptions(config.Population, config.LearningRate, InitialStdev: config.Sigma, Seed: config.Seed), initial);
                using var run = new EvolutionRun<SequenceEvaluator<TTask>, SequenceWorker>(strategy, evaluator,
                    new EvaluationOptions(EpisodesPerMember: config.Batch, Threads: config.Threads, CommonRandomNumbers: true, Seed: config.Seed));
                while (done < config.Steps && !cancellation.IsCancellationRequested)
                {
                    var r = run.Step(cancellation);
                    done = strategy.Generation;
                    Report(done, -r.MeanFitness, null, r.Seconds, strategy.Mean, r.BestFitness);
                }
                parameters = strategy.Mean.ToArray();
            }
        }
        using (var file = File.Create(Path.Combine(directory, "parameters.bin")))
            file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan()));
        double final = done % config.TestEvery == 0 || done == config.Steps ? lastTest : evaluator.Accuracy(tester, parameters, config.TestEpisodes, TestSeed);
        double? reset = delay is { } d && d.End > d.Start ? evaluator.Accuracy(tester, parameters, config.TestEpisodes, TestSeed, d) : null;
        var summary = new SequenceSummary(config.Task, config.Rule, config.Trainer, config.SequenceLength, config.Latency, config.Noise, done, final,
            config.TaskShape.Chance, stopwatch.Elapsed.TotalSeconds) { ResetAccuracy = reset };
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary, CliJson.Default.SequenceSummary));
        return summary;
    }

    /// <summary>The summary of a complete run of <paramref name="config"/> (any thread count) in <paramref name="directory"/>, or null.</summary>
    public static SequenceSummary? Finished(SpikePropamineConfig config, string directory)
    {
        string summaryPath = Path.Combine(directory, "summary.json"), configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(summaryPath) || !File.Exists(configPath)) return null;
        try
        {
            // Threads do not change the result (same bits on any thread count), so they do not have to match.
            var stored = JsonSerializer.Deserialize(File.ReadAllText(configPath), CliJson.Default.SpikePropamineConfig);
            if (stored is null || (stored with { Threads = config.Threads }).ToJson() != config.ToJson()) return null;
            var summary = JsonSerializer.Deserialize(File.ReadAllText(summaryPath), CliJson.Default.SequenceSummary);
            return summary is not null && summary.Steps == config.Steps ? summary : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static IReadOnlyList<SequenceLog> ReadLog(string directory) => JsonLines.Read(Path.Combine(directory, "log.jsonl"), CliJson.Default.SequenceLog);
}
