using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Plots;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary>
/// <c>pdlf train cue</c>, <c>pdlf train spikepropamine-copy</c> and <c>pdlf sweep cue</c>: SpikePropamine networks
/// trained by BPTT or ES on the cue-association task or the copy task.
/// </summary>
public static class SpikePropamineCommands
{
    private sealed class ConfigOptions
    {
        public readonly Option<string?> Config = new("--config") { Description = "JSON file with any of the options below (flags override it)." };
        public readonly Option<string?> Rule = new("--rule") { Description = $"Plasticity: {string.Join(", ", SpikePropamineConfig.Rules)}. Default hebbian." };
        public readonly Option<string?> Trainer = new("--trainer") { Description = "bptt (gradients through time) or es (PGPE on the same loss). Default bptt." };
        public readonly Option<int?> Length = new("--length") { Description = "Cue task: presentations before the query (the grid: 16, 32, 48, 64), default 16. Copy task: bits to copy, Len, default 8." };
        public readonly Option<int?> Latency = new("--latency") { Description = "Copy task: empty steps between presentation and recall, Lat (0..16384). Default 8." };
        public readonly Option<float?> Noise = new("--noise") { Description = "Cue task: Gaussian noise on the cue bits (the grid: 0, 0.3, 0.38, 0.48, 0.59). Default 0.38." };
        public readonly Option<int?> Hidden = new("--hidden") { Description = "Hidden LIF neurons. Default 64." };
        public readonly Option<int?> Steps = new("--steps") { Description = "BPTT steps or ES generations. Default 2000." };
        public readonly Option<int?> Batch = new("--batch") { Description = "Episodes per BPTT step, or per ES member. Default 32." };
        public readonly Option<double?> LearningRate = new("--learning-rate") { Description = "Adam step size. Default 0.01." };
        public readonly Option<float?> Clip = new("--clip") { Description = "BPTT gradient-norm clip. Default 4." };
        public readonly Option<int?> Population = new("--population") { Description = "ES population (even). Default 64." };
        public readonly Option<int?> TestEvery = new("--test-every") { Description = "Steps between tests on held-out episodes. Default 100." };
        public readonly Option<int?> CheckpointEvery = new("--checkpoint-every") { Description = "Steps between checkpoints (also written when stopped). Default 100." };
        public readonly Option<int?> TestEpisodes = new("--test-episodes") { Description = "Held-out episodes per test. Default 512." };
        public readonly Option<ulong?> Seed = new("--seed") { Description = "Random seed: same seed, same bits on any thread count. Default 1." };
        public readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (results do not depend on it). Default: all cores." };
        public readonly Option<string[]> Freeze = new("--freeze")
        {
            Description = $"Parts not learned (BPTT), per layer: {string.Join(", ", SpikePropamineConfig.PartNames)}.",
            AllowMultipleArgumentsPerToken = true,
        };

        public readonly Option<bool?> TrainWithReset = new("--train-with-reset") { Description = "Copy task, BPTT: wipe all activity during the delay in training episodes too, so the memory must sit in the plastic synapses." };

        public IEnumerable<Option> All(string task) => [Config, Rule, Trainer, Length, .. (task == "copy" ? new Option[] { Latency, TrainWithReset } : [Noise]), Hidden, Steps, Batch, LearningRate, Clip, Population, TestEvery, CheckpointEvery, TestEpisodes, Seed, Threads, Freeze];

        public SpikePropamineConfig Read(ParseResult parse, string task)
        {
            var c = parse.GetValue(Config) is { } file ? SpikePropamineConfig.FromFile(file) : new SpikePropamineConfig();
            return c with
            {
                Task = task,
                Latency = parse.GetValue(Latency) ?? c.Latency,
                TrainWithReset = parse.GetValue(TrainWithReset) ?? c.TrainWithReset,
                Rule = parse.GetValue(Rule) ?? c.Rule,
                Trainer = parse.GetValue(Trainer) ?? c.Trainer,
                Length = parse.GetValue(Length) ?? c.Length,
                Noise = parse.GetValue(Noise) ?? c.Noise,
                Hidden = parse.GetValue(Hidden) ?? c.Hidden,
                Steps = parse.GetValue(Steps) ?? c.Steps,
                Batch = parse.GetValue(Batch) ?? c.Batch,
                LearningRate = parse.GetValue(LearningRate) ?? c.LearningRate,
                Clip = parse.GetValue(Clip) ?? c.Clip,
                Population = parse.GetValue(Population) ?? c.Population,
                TestEvery = parse.GetValue(TestEvery) ?? c.TestEvery,
                CheckpointEvery = parse.GetValue(CheckpointEvery) ?? c.CheckpointEvery,
                TestEpisodes = parse.GetValue(TestEpisodes) ?? c.TestEpisodes,
                Seed = parse.GetValue(Seed) ?? c.Seed,
                Threads = parse.GetValue(Threads) ?? c.Threads,
                Freeze = parse.GetValue(Freeze) is { Length: > 0 } frozen ? frozen : c.Freeze,
            };
        }
    }

    /// <param name="task">cue (<c>pdlf train cue</c>) or copy (<c>pdlf train spikepropamine-copy</c>).</param>
    public static Command Train(StopSignals stop, string task = "cue", IClusterExtension? cluster = null)
    {
        var options = new ConfigOptions();
        var clusterOptions = new ClusterOptions();
        bool copy = task == "copy";
        var output = new Option<string?>("--out")
        {
            Description = (copy ? "Run directory. Default runs/spikepropamine-copy-<rule>-<trainer>-L<len>-D<lat>-s<seed>."
                : "Run directory. Default runs/cue-<rule>-<trainer>-L<len>-n<noise>-s<seed>.") + " The --compare run goes to a subfolder named after its rule.",
        };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, exactly where it stopped (same options; only --steps, --threads, --test-every and --checkpoint-every may change)." };
        var compare = new Option<string?>("--compare") { Description = $"Also train this rule with the same budget for the comparison plot, e.g. none (the same SNN without plasticity): {string.Join(", ", SpikePropamineConfig.Rules)}." };
        var command = copy
            ? new Command("spikepropamine-copy", "Train a SpikePropamine network on the working-memory copy task (BPTT or ES); writes a run directory with log, checkpoints, parameters.bin, summary.json and curves.png.")
            : new Command("cue", "Train a SpikePropamine network on the noisy cue-association task (BPTT or ES); writes a run directory with log, checkpoints, parameters.bin, summary.json and curves.png.");
        foreach (var o in options.All(task)) command.Options.Add(o);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(compare);
        foreach (var o in clusterOptions.All) command.Options.Add(o);
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var config = options.Read(parse, task).Validated();
            if (parse.GetValue(clusterOptions.Cluster) is not null && config.Trainer != "es")
                throw new ConfigException("--cluster applies to --trainer es (BPTT runs on one machine)");
            using var connection = clusterOptions.Connect(parse, cluster);
            string directory = parse.GetValue(output) ?? Path.Combine("runs", copy
                ? string.Create(CultureInfo.InvariantCulture, $"spikepropamine-copy-{config.Rule}-{config.Trainer}-L{config.SequenceLength}-D{config.Latency}-s{config.Seed}")
                : string.Create(CultureInfo.InvariantCulture, $"cue-{config.Rule}-{config.Trainer}-L{config.SequenceLength}-n{config.Noise}-s{config.Seed}"));
            var runs = new List<(string Directory, SpikePropamineConfig Config)> { (directory, config) };
            if (parse.GetValue(compare) is { } other)
            {
                if (!SpikePropamineConfig.Rules.Contains(other))
                    throw new ConfigException($"--compare must be one of {string.Join(", ", SpikePropamineConfig.Rules)} (got '{other}')");
                var second = (config with { Rule = other }).Validated();
                if (second != config) runs.Add((Path.Combine(directory, other), second));
            }
            bool resuming = parse.GetValue(resume);
            string resumeCommand = PdlfApp.ResumeCommand(parse);
            // Open (lock) and check every run of the job before training any: a refusal touches nothing.
            using var opened = new JobDirectories(runs.Select(r => r.Directory), resuming, resumeCommand, (i, checkpoint) => SequenceRun.EnsureResumable(runs[i].Config, checkpoint));
            var job = runs.Select(r => new JobPart(r.Config.Label, r.Config.Steps)).ToArray();
            for (int i = 0; i < runs.Count; i++)
            {
                var (dir, c) = runs[i];
                var run = opened[i];
                AnsiConsole.MarkupLineInterpolated($"[bold]{c.Label}[/], {c.Trainer}: {c.TaskTitle}, {c.Steps} steps -> {dir}{(run.Resuming ? " (resuming)" : "")}");
                var remote = connection?.Evaluator(RunKinds.SpikePropamine, c.ToJson());
                var (outcome, summary) = TrainingConsole.RunPart(job, i, "test acc", c.TestEvery,
                    progress => SequenceRun.Train(c, run, progress, stop.Token, TrainingConsole.Warn, remote), remote is null ? null : () => connection!.Describe(remote));
                AnsiConsole.MarkupLineInterpolated($"  {c.Label} ({c.Trainer}): test accuracy {summary.TestAccuracy:F4} (chance {summary.Chance:F2}) in {TimeSpan.FromSeconds(summary.WallSeconds):hh\\:mm\\:ss}");
                if (summary.ResetAccuracy is { } reset)
                    AnsiConsole.MarkupLineInterpolated($"  with all activity wiped during the delay: {reset:F4}");
                if (outcome.Stopped)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped at step {outcome.Completed} of {outcome.Total}, checkpoint saved. Resume with: {resumeCommand}[/]");
                    return stop.ExitCode;
                }
            }
            string plot = Path.Combine(directory, "curves.png");
            CuePlots.TrainingCurves(runs.Select(r => ($"{r.Config.Label}, {r.Config.Trainer}", SequenceRun.ReadLog(r.Directory, TrainingConsole.Warn))),
                config.TaskTitle, config.TaskShape.Chance, plot);
            opened[0].WriteFigures([plot]);
            AnsiConsole.MarkupLineInterpolated($"Training curves: {plot}");
            return RunExitCodes.Done;
        }));
        return command;
    }

    public static Command Sweep(StopSignals stop)
    {
        var options = new ConfigOptions();
        var rules = new Option<string[]>("--rules") { Description = "Rules to train at every grid point. Default hebbian hebbian-neuromod oja-neuromod none.", AllowMultipleArgumentsPerToken = true };
        var noises = new Option<float[]>("--noises") { Description = "Noise levels. Default 0 0.3 0.38 0.48 0.59.", AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<ulong[]>("--seeds")
        {
            Description = "Seeds per grid point (the plot shows their mean: learning sets in abruptly, at a seed-dependent step). Default: --seed.",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string?>("--out") { Description = "Sweep directory; results.csv and accuracy-vs-noise.png. Default runs/cue-sweep." };
        var command = new Command("cue", "Train every rule at every noise level (and seed); writes results.csv and accuracy-vs-noise.png. Grid points found in --out are checked against the options and continued or reused.");
        foreach (var o in options.All("cue")) command.Options.Add(o);
        command.Options.Add(rules);
        command.Options.Add(noises);
        command.Options.Add(seeds);
        command.Options.Add(output);
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var baseConfig = options.Read(parse, "cue");
            string[] rs = parse.GetValue(rules) is { Length: > 0 } r ? r.Distinct().ToArray() : ["hebbian", "hebbian-neuromod", "oja-neuromod", "none"];
            float[] ns = parse.GetValue(noises) is { Length: > 0 } n ? n.Distinct().ToArray() : [0f, 0.3f, 0.38f, 0.48f, 0.59f];
            ulong[] ss = parse.GetValue(seeds) is { Length: > 0 } seedList ? seedList.Distinct().ToArray() : [baseConfig.Seed];
            var grid = (from rule in rs from noise in ns from seed in ss select (baseConfig with { Rule = rule, Noise = noise, Seed = seed }).Validated()).ToArray();
            string directory = Outputs.EnsureDirectory(parse.GetValue(output) ?? Path.Combine("runs", "cue-sweep"), "--out");
            string resumeCommand = $"{PdlfApp.Invoker} {string.Join(' ', parse.Tokens.Select(t => t.Value))}";
            // Open and check every grid point before training any and before results.csv is touched: a refused re-run
            // (other options than the finished points were trained with) leaves the sweep as it was.
            var cells = new List<(SpikePropamineConfig Config, RunDirectory Run, SequenceSummary? Reused)>();
            try
            {
                foreach (var c in grid)
                {
                    var run = RunDirectory.Open(Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{c.Rule}-n{c.Noise}-s{c.Seed}")),
                        RunStart.ResumeIfPresent, resumeCommand);
                    if (run.Resuming) SequenceRun.EnsureResumable(c, run.CheckpointPath);
                    cells.Add((c, run, run.Resuming ? null : SequenceRun.FinishedWithoutCheckpoint(c, run.Path)));
                }
                string csv = Path.Combine(directory, "results.csv");
                var rows = new List<string> { "rule,trainer,length,noise,seed,steps,test_accuracy,chance,wall_seconds" };
                var results = new List<(string Rule, float Noise, double Accuracy)>();
                var job = cells.Select(x => new JobPart($"{x.Config.Label} noise {x.Config.Noise} seed {x.Config.Seed}", x.Config.Steps)).ToArray();
                for (int i = 0; i < cells.Count && !stop.StopRequested; i++)
                {
                    var (c, run, reused) = cells[i];
                    var s = reused;
                    if (s is not null) AnsiConsole.MarkupLineInterpolated($"{job[i].Label}: reused {run.Path} (test accuracy {s.TestAccuracy:F4})");
                    else
                    {
                        var (outcome, summary) = TrainingConsole.RunPart(job, i, "test acc", c.TestEvery, progress => SequenceRun.Train(c, run, progress, stop.Token, TrainingConsole.Warn));
                        if (outcome.Stopped) break;
                        s = summary;
                    }
                    rows.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Rule},{c.Trainer},{c.SequenceLength},{c.Noise},{c.Seed},{s.Steps},{s.TestAccuracy:F4},{s.Chance:F4},{s.WallSeconds:F1}"));
                    AtomicFile.WriteText(csv, string.Concat(rows.Select(row => row + "\n")), "results table");
                    results.Add((c.Rule, c.Noise, s.TestAccuracy));
                }
                if (results.Count > 0)
                {
                    var means = results.GroupBy(x => (x.Rule, x.Noise)).Select(g => (g.Key.Rule, g.Key.Noise, g.Average(x => x.Accuracy))).ToList();
                    string png = Path.Combine(directory, "accuracy-vs-noise.png");
                    CuePlots.AccuracyVersusNoise(means, baseConfig.CueTask.Chance, string.Create(CultureInfo.InvariantCulture,
                        $"cue task, {baseConfig.SequenceLength} presentations, {baseConfig.Trainer}, {baseConfig.Steps} steps{(ss.Length > 1 ? $", mean of {ss.Length} seeds" : "")}"), png);
                    AnsiConsole.MarkupLineInterpolated($"Results: {csv}, {png}");
                }
                if (stop.StopRequested)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped; the point in training is checkpointed. Continue with: {resumeCommand}[/]");
                    return stop.ExitCode;
                }
                return RunExitCodes.Done;
            }
            finally
            {
                foreach (var (_, run, _) in cells) run.Dispose();
            }
        }));
        return command;
    }
}
