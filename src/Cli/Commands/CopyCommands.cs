using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Plots;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Runs;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary><c>pdlf train copy</c>, <c>pdlf eval</c> and <c>pdlf sweep copy</c>.</summary>
public static class CopyCommands
{
    private sealed class ConfigOptions
    {
        public readonly Option<string?> Config = new("--config") { Description = "JSON file with any of the options below (flags override it)." };
        public readonly Option<string?> Model = new("--model") { Description = "pdlf (plastic SNN + GRU branch), gru (baseline) or snn (plastic SNN only). Default pdlf." };
        public readonly Option<int?> Length = new("--length") { Description = "Sequence length Len (1..1024). Default 8." };
        public readonly Option<int?> Latency = new("--latency") { Description = "Empty steps between presentation and recall, Lat (0..16384). Default 8." };
        public readonly Option<int?> Hidden = new("--hidden") { Description = "Hidden LIF neurons and GRU units. Default 128." };
        public readonly Option<string?> Rule = new("--rule") { Description = "PDLF terms: abcd, acd or bd. Default abcd." };
        public readonly Option<string?> Strategy = new("--strategy") { Description = "pgpe or openai-es. Default pgpe." };
        public readonly Option<int?> Population = new("--population") { Description = "Even population size. Default 256." };
        public readonly Option<int?> Generations = new("--generations") { Description = "Generations to train (a resumed run continues up to it). Default 2000." };
        public readonly Option<int?> Sequences = new("--sequences") { Description = "Training sequences per member per generation (shared by all members). Default 32." };
        public readonly Option<double?> LearningRate = new("--learning-rate") { Description = "Adam step size on the mean. Default 0.01." };
        public readonly Option<float?> Sigma = new("--sigma") { Description = "Initial (PGPE) or fixed (OpenAI-ES) noise standard deviation. Default 0.04." };
        public readonly Option<int?> TestSequences = new("--test-sequences") { Description = "Held-out sequences for the test accuracy. Default 512." };
        public readonly Option<int?> TestEvery = new("--test-every") { Description = "Generations between tests of the mean. Default 20." };
        public readonly Option<int?> CheckpointEvery = new("--checkpoint-every") { Description = "Generations between checkpoints. Default 20." };
        public readonly Option<ulong?> Seed = new("--seed") { Description = "Random seed: same seed, same bits on any thread count. Default 1." };
        public readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (results do not depend on it). Default: all cores." };
        public readonly Option<string?> Fitness = new("--fitness") { Description = "What evolution maximises: accuracy (recall accuracy), squared-error (minus the mean squared error of tanh(output)) or auto. Default auto: squared-error for pdlf and gru (it learns them faster), accuracy for snn and with --train-reset-fraction above 0 (squared error can trap a network that must remember in its synapses in silence)." };
        public readonly Option<float?> TrainResetFraction = new("--train-reset-fraction") { Description = "Fraction of training sequences (0..1) whose membranes, traces and GRU state are wiped during the delay, so evolution is paid for memory kept in the plastic synapses. Default 0." };

        public IEnumerable<Option> All => [Config, Model, Length, Latency, Hidden, Rule, Strategy, Population, Generations, Sequences,
            LearningRate, Sigma, TestSequences, TestEvery, CheckpointEvery, Seed, Threads, Fitness, TrainResetFraction];

        public CopyConfig Read(ParseResult parse)
        {
            var c = parse.GetValue(Config) is { } file ? CopyConfig.FromFile(file) : new CopyConfig();
            return c with
            {
                Model = parse.GetValue(Model) ?? c.Model,
                Length = parse.GetValue(Length) ?? c.Length,
                Latency = parse.GetValue(Latency) ?? c.Latency,
                Hidden = parse.GetValue(Hidden) ?? c.Hidden,
                Rule = parse.GetValue(Rule) ?? c.Rule,
                Strategy = parse.GetValue(Strategy) ?? c.Strategy,
                Population = parse.GetValue(Population) ?? c.Population,
                Generations = parse.GetValue(Generations) ?? c.Generations,
                Sequences = parse.GetValue(Sequences) ?? c.Sequences,
                LearningRate = parse.GetValue(LearningRate) ?? c.LearningRate,
                Sigma = parse.GetValue(Sigma) ?? c.Sigma,
                TestSequences = parse.GetValue(TestSequences) ?? c.TestSequences,
                TestEvery = parse.GetValue(TestEvery) ?? c.TestEvery,
                CheckpointEvery = parse.GetValue(CheckpointEvery) ?? c.CheckpointEvery,
                Seed = parse.GetValue(Seed) ?? c.Seed,
                Threads = parse.GetValue(Threads) ?? c.Threads,
                Fitness = parse.GetValue(Fitness) ?? c.Fitness,
                TrainResetFraction = parse.GetValue(TrainResetFraction) ?? c.TrainResetFraction,
            };
        }
    }

    public static Command Train(StopSignals stop, IClusterExtension? cluster = null)
    {
        var options = new ConfigOptions();
        var clusterOptions = new ClusterOptions();
        var output = new Option<string?>("--out") { Description = "Run directory (config.json, log.jsonl, checkpoint.ckpt, summary.json, curves.png, weights.png, activity.png, recall-by-position.png; the comparison run in a subfolder named after its model, e.g. gru/). Default runs/copy-L<len>-D<lat>-<model>-s<seed>." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, exactly where it stopped (same options; only --generations, --threads, --test-every and --checkpoint-every may change)." };
        var compare = new Option<string?>("--compare")
        {
            Description = "Also train this model with the same budget, in a subfolder, for the comparison plot: gru, snn or none. Default gru (none for --model gru).",
        };
        compare.AcceptOnlyFromAmong("gru", "snn", "direct-snn", "none");
        var copy = new Command("copy", "Train a working-memory network on the copy task (PDLF, then the GRU baseline by default); writes a run directory with log, checkpoints, summary and figures.");
        foreach (var o in options.All) copy.Options.Add(o);
        copy.Options.Add(output);
        copy.Options.Add(resume);
        copy.Options.Add(compare);
        foreach (var o in clusterOptions.All) copy.Options.Add(o);
        copy.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var config = options.Read(parse).Validated();
            string directory = parse.GetValue(output) ?? Path.Combine("runs", $"copy-L{config.Length}-D{config.Latency}-{config.Model}-s{config.Seed}");
            string second = parse.GetValue(compare) ?? (config.Model == "gru" ? "none" : "gru");
            using var connection = clusterOptions.Connect(parse, cluster);
            return TrainWithComparison(config, directory, parse.GetValue(resume), second, PdlfApp.ResumeCommand(parse), stop, connection);
        }));
        return copy;
    }

    private static int TrainWithComparison(CopyConfig config, string directory, bool resume, string compare, string resumeCommand, StopSignals stop,
        IClusterConnection? cluster)
    {
        var runs = new List<(string Label, string Directory, CopyConfig Config)> { (Label(config), directory, config) };
        if (compare != "none" && compare != config.Model)
        {
            var other = (config with { Model = compare }).Validated();
            runs.Add((Label(other), Path.Combine(directory, compare), other));
        }
        // Open (lock) and check every run of the job before training any: a refusal touches nothing.
        using var opened = new JobDirectories(runs.Select(r => r.Directory), resume, resumeCommand, (i, checkpoint) => CopyRun.EnsureResumable(runs[i].Config, checkpoint));
        var job = runs.Select(r => new JobPart(r.Label, r.Config.Generations)).ToArray();
        for (int i = 0; i < runs.Count; i++)
        {
            var (label, dir, c) = runs[i];
            var run = opened[i];
            AnsiConsole.MarkupLineInterpolated($"[bold]{label}[/]: {c.Task}, {c.Strategy} population {c.Population}, {c.Generations} generations, {c.Sequences} sequences each, {c.Threads} thread(s) -> {dir}{(run.Resuming ? " (resuming)" : "")}");
            var remote = cluster?.Evaluator(RunKinds.Copy, c.ToJson());
            var (outcome, summary) = TrainingConsole.RunPart(job, i, "test", c.TestEvery,
                progress => CopyRun.Train(c, run, progress, stop.Token, TrainingConsole.Warn, remote), remote is null ? null : () => cluster!.Describe(remote));
            AnsiConsole.MarkupLineInterpolated($"  {label}: test accuracy {summary.TestAccuracy:F4}, with activity reset during the delay {summary.TestAccuracyWithReset:F4}, {summary.Generations} generations in {TimeSpan.FromSeconds(summary.WallSeconds):hh\\:mm\\:ss}");
            if (outcome.Stopped)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped at generation {outcome.Completed} of {outcome.Total}, checkpoint saved. Resume with: {resumeCommand}[/]");
                return stop.ExitCode;
            }
        }
        string plot = Path.Combine(directory, "curves.png");
        CopyPlots.TrainingCurves(runs.Select(r => (r.Label, CopyRun.ReadLog(r.Directory, TrainingConsole.Warn))), $"copy task, Len {config.Length}, Lat {config.Latency}", plot);
        AnsiConsole.MarkupLineInterpolated($"Training curves: {plot}");
        // The trained model's own figures go next to its log: fast weights per sequence, activity with and without reset.
        var (_, mean, _) = CopyRun.Load(opened[0].CheckpointPath);
        var figures = new List<string> { plot };
        foreach (var file in CopyFigures.Write(config, mean, directory))
        {
            figures.Add(file);
            AnsiConsole.MarkupLineInterpolated($"Figure: {file}");
        }
        opened[0].WriteFigures(figures);
        return RunExitCodes.Done;
    }

    private static string Label(CopyConfig c) => c.MemoryModel switch
    {
        Tasks.Copy.MemoryModel.Pdlf => "PDLF",
        Tasks.Copy.MemoryModel.Gru => "GRU baseline",
        Tasks.Copy.MemoryModel.PlasticSnn => "plastic SNN",
        Tasks.Copy.MemoryModel.DirectSnn => "direct-weight SNN",
        var other => throw new ArgumentOutOfRangeException(nameof(c), other, "Unknown memory model."),
    };

    public static Command Eval()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A checkpoint written by pdlf train (copy or locomotion; its configuration is inside)." };
        var reset = new Option<bool>("--reset-during-delay") { Description = "Copy: also score with membranes, traces and GRU state zeroed at every delay step (our activity-reset probe), beside the intact score." };
        var resetAfterInput = new Option<bool>("--reset-after-input") { Description = "Copy: also score with the LIF membranes set to 0 once, right after the input (the paper's probe; traces, fast weights and GRU state kept)." };
        var sequences = new Option<int?>("--test-sequences") { Description = "Copy: held-out sequences to score. Default: the run's setting." };
        var latency = new Option<int?>("--latency") { Description = "Copy: evaluate at another latency than the run was trained with." };
        var plots = new Option<string?>("--plots") { Description = "Directory for the figures (copy: weights.png, activity.png, recall-by-position.png; locomotion: injury plots)." };
        var injury = new Option<string?>("--injury") { Description = "Locomotion: none, temporary (plastic weights, or SpikePropamine's plastic traces, zeroed for 49 steps from mid-episode: 501-549 of 1,000) or permanent (a fraction of output or readout synapses blocked, see --fraction). Default none." };
        injury.AcceptOnlyFromAmong("none", "temporary", "permanent");
        var fraction = new Option<double?>("--fraction") { Description = "Locomotion, --injury permanent: fraction of output synapses blocked, 0..1. Default 0.5." };
        var episodes = new Option<int?>("--episodes") { Description = "Locomotion: episodes per training target (different reset seeds; the first is the training log's test). Default 1." };
        var threads = new Option<int?>("--threads") { Description = "Locomotion: worker threads (results do not depend on it). Default: all cores." };
        var condition = ConditionsCommand.ConditionOption();
        var command = new Command("eval", "Score a checkpoint's mean: copy task on held-out sequences (intact, and with the activity reset), locomotion on its training targets (optionally injured or under new conditions); and plot it.")
        {
            checkpoint, reset, resetAfterInput, sequences, latency, plots, injury, fraction, episodes, threads, condition,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            string path = parse.GetValue(checkpoint)!;
            string? plotDirectory = parse.GetValue(plots);
            var payload = CheckpointFile.Read(path);
            if (GradientSession<Tasks.Cue.CueTask>.IsGradientCheckpoint(payload))
                throw new ConfigException("this is a SpikePropamine checkpoint (pdlf train cue / spikepropamine-copy); eval scores copy and locomotion checkpoints, and the run's summary.json holds its test accuracy", path);
            if (LocomotionRun.IsLocomotionCheckpoint(path))
            {
                if (parse.GetValue(reset) || parse.GetValue(resetAfterInput) || parse.GetValue(sequences) is not null || parse.GetValue(latency) is not null)
                    throw new ConfigException("--reset-during-delay, --reset-after-input, --test-sequences and --latency apply to copy-task checkpoints only");
                return LocomotionCommands.Evaluate(path, parse.GetValue(injury) ?? "none", parse.GetValue(fraction), plotDirectory,
                    parse.GetValue(episodes) ?? 1, parse.GetValue(threads) ?? Environment.ProcessorCount, parse.GetValue(condition) ?? []);
            }
            var given = new[] { ("--injury", parse.GetValue(injury) is not null), ("--fraction", parse.GetValue(fraction) is not null),
                ("--episodes", parse.GetValue(episodes) is not null), ("--threads", parse.GetValue(threads) is not null), ("--condition", parse.GetValue(condition) is { Length: > 0 }) }.Where(g => g.Item2).Select(g => g.Item1).ToArray();
            if (given.Length > 0) throw new ConfigException($"{string.Join(", ", given)} apply to locomotion checkpoints only; this is a copy-task checkpoint");
            if (plotDirectory is not null) Outputs.EnsureDirectory(plotDirectory, "--plots");
            var (config, mean, generation) = CopyRun.Load(path);
            config = (config with
            {
                TestSequences = parse.GetValue(sequences) ?? config.TestSequences,
                Latency = parse.GetValue(latency) ?? config.Latency,
                TrainResetFraction = 0f, // eval trains nothing; --reset-during-delay adds the probe
            }).Validated();
            var evaluator = config.Evaluator();
            var worker = evaluator.CreateWorker(0);
            var conditions = new List<CopyProbe> { CopyProbe.None };
            if (parse.GetValue(reset)) conditions.Add(CopyProbe.WipeDuringDelay);
            if (parse.GetValue(resetAfterInput)) conditions.Add(CopyProbe.ResetMembranesAfterInput);
            foreach (var probe in conditions)
            {
                var correct = new int[config.Length];
                var score = evaluator.Test(worker, mean, config.TestSequences, CopyRun.TestSeed, probe, correct);
                string condition = probe switch
                {
                    CopyProbe.WipeDuringDelay => "activity reset during the delay",
                    CopyProbe.ResetMembranesAfterInput => "membranes reset after the input (the paper's probe)",
                    _ => "intact",
                };
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Label(config)} after {generation} generations, {config.Task}, {condition}: test accuracy {score.Accuracy:F4} over {score.Recalled} recalled bits"));
                Console.WriteLine("  accuracy by position: " + string.Join(" ", correct.Select(c => ((double)c / config.TestSequences).ToString("F4", CultureInfo.InvariantCulture))));
            }
            if (plotDirectory is not null)
                foreach (var file in CopyFigures.Write(config, mean, plotDirectory)) Console.WriteLine($"wrote {file}");
            return RunExitCodes.Done;
        }));
        return command;
    }

    public static Command Sweep(StopSignals stop)
    {
        var options = new ConfigOptions();
        var lengths = new Option<int[]>("--lengths") { Description = "Len values. Default 8 16 32 64.", AllowMultipleArgumentsPerToken = true };
        var latencies = new Option<int[]>("--latencies") { Description = "Lat values. Default 0 8 16 32.", AllowMultipleArgumentsPerToken = true };
        var models = new Option<string[]>("--models") { Description = "Models to train at every grid point. Default pdlf gru.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out") { Description = "Sweep directory; results.csv collects the grid, sweep.png draws it. Default runs/copy-sweep." };
        var copy = new Command("copy", "Train over a Len x Lat grid and write results.csv (accuracy, with reset, generations, wall time) and sweep.png. Grid points found in --out are checked against the options and continued or reused.");
        foreach (var o in options.All) copy.Options.Add(o);
        copy.Options.Add(lengths);
        copy.Options.Add(latencies);
        copy.Options.Add(models);
        copy.Options.Add(output);
        copy.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var baseConfig = options.Read(parse);
            int[] lens = parse.GetValue(lengths) is { Length: > 0 } l ? l.Distinct().ToArray() : [8, 16, 32, 64];
            int[] lats = parse.GetValue(latencies) is { Length: > 0 } d ? d.Distinct().ToArray() : [0, 8, 16, 32];
            string[] ms = parse.GetValue(models) is { Length: > 0 } m ? m.Distinct().ToArray() : ["pdlf", "gru"];
            var grid = (from len in lens from lat in lats from model in ms select (baseConfig with { Length = len, Latency = lat, Model = model }).Validated()).ToArray();
            string directory = parse.GetValue(output) ?? Path.Combine("runs", "copy-sweep");
            Outputs.EnsureDirectory(directory, "--out");
            string resumeCommand = $"{PdlfApp.Invoker} {string.Join(' ', parse.Tokens.Select(t => t.Value))}";
            // Open and check every grid point before training any, and before results.csv is touched: a refused
            // re-run (other options than the finished points were trained with) leaves the sweep as it was.
            var cells = new List<(CopyConfig Config, RunDirectory Run)>();
            try
            {
                foreach (var c in grid)
                {
                    var run = RunDirectory.Open(Path.Combine(directory, $"L{c.Length}-D{c.Latency}-{c.Model}"), RunStart.ResumeIfPresent, resumeCommand);
                    cells.Add((c, run));
                    if (run.Resuming) CopyRun.EnsureResumable(c, run.CheckpointPath);
                }
                string csv = Path.Combine(directory, "results.csv");
                var rows = new List<string> { "length,latency,model,generations,population,sequences,test_accuracy,test_accuracy_with_reset,wall_seconds" };
                var points = new List<(string, int, int, double, double)>();
                var job = cells.Select(x => new JobPart($"{Label(x.Config)} L{x.Config.Length} D{x.Config.Latency}", x.Config.Generations)).ToArray();
                for (int i = 0; i < cells.Count && !stop.StopRequested; i++)
                {
                    var (c, run) = cells[i];
                    AnsiConsole.MarkupLineInterpolated($"[bold]{Label(c)}[/] {c.Task} -> {run.Path}{(run.Resuming ? " (continuing or reusing)" : "")}");
                    var (outcome, s) = TrainingConsole.RunPart(job, i, "test", c.TestEvery, progress => CopyRun.Train(c, run, progress, stop.Token, TrainingConsole.Warn));
                    if (outcome.Stopped) break;
                    rows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{c.Length},{c.Latency},{c.Model},{s.Generations},{c.Population},{c.Sequences},{s.TestAccuracy:F4},{s.TestAccuracyWithReset:F4},{s.WallSeconds:F1}"));
                    AtomicFile.WriteText(csv, string.Concat(rows.Select(r => r + "\n")), "results table");
                    points.Add((Label(c), c.Length, c.Latency, s.TestAccuracy, s.TestAccuracyWithReset));
                }
                if (points.Count > 0)
                {
                    AnsiConsole.MarkupLineInterpolated($"Results: {csv}");
                    string plot = Path.Combine(directory, "sweep.png");
                    CopyPlots.SweepGrid(points, plot);
                    AnsiConsole.MarkupLineInterpolated($"Figure: {plot}");
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
                foreach (var (_, run) in cells) run.Dispose();
            }
        }));
        return copy;
    }
}
