using System.Diagnostics;
using System.Text.Json;
using PdlfFast.Cli.Commands;
using PdlfFast.Cli.Copy;
using PdlfFast.Tasks.Cue;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Cli.Cue;

/// <summary>
/// Trains a SpikePropamine network on the cue task with BPTT (minibatches, Adam, clipping) or with PGPE on the same
/// objective, testing on held-out episodes every <see cref="CueConfig.TestEvery"/> steps; writes log.jsonl,
/// parameters.bin (the final parameters, little-endian floats) and summary.json. The progress line's "best" is the
/// minibatch accuracy (BPTT) or the best member's fitness, minus its loss (ES); "mean" is minus the mean loss.
/// </summary>
public static class CueExperiment
{
    public const ulong TestSeed = 0x7e57;

    public static CueSummary Train(CueConfig config, string directory, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        string logPath = Path.Combine(directory, "log.jsonl");
        var spec = config.Spec();
        var task = config.Task;
        var evaluator = new CueEvaluator(spec, task);
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
                log.WriteLine(JsonSerializer.Serialize(new CueLog(step, loss, accuracy, test, stopwatch.Elapsed.TotalSeconds), CliJson.Default.CueLog));
                log.Flush();
                progress?.Report(new TrainingProgress(step, config.Steps, best, (float)-loss, test, config.Batch / Math.Max(seconds, 1e-9),
                    stopwatch.Elapsed, TimeSpan.FromSeconds((config.Steps - step) * seconds)));
            }
            if (config.Trainer == "bptt")
            {
                using var trainer = new GradientTrainer<CueTask>(spec, task,
                    new GradientOptions(config.Batch, config.LearningRate, config.Clip, config.Threads, config.Seed) { Frozen = config.FrozenParts },
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
                using var run = new EvolutionRun<CueEvaluator, CueWorker>(strategy, evaluator,
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
        var summary = new CueSummary(config.Rule, config.Trainer, config.Length, config.Noise, done, final, task.Chance, stopwatch.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary, CliJson.Default.CueSummary));
        return summary;
    }

    public static IReadOnlyList<CueLog> ReadLog(string directory) => JsonLines.Read(Path.Combine(directory, "log.jsonl"), CliJson.Default.CueLog);
}
