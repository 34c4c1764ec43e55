using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Copy;
using PdlfFast.Cli.Plots;
using PdlfFast.Training.Checkpoints;
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
        public readonly Option<int?> Threads = new("--threads") { Description = "Worker threads. Default: all cores." };
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

    public static Command Train()
    {
        var options = new ConfigOptions();
        var output = new Option<string?>("--out") { Description = "Run directory (log.jsonl, checkpoint, plots). Default runs/copy-L<len>-D<lat>-<model>-s<seed>." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, exactly where it stopped." };
        var compare = new Option<string>("--compare")
        {
            Description = "Also train this model with the same budget for the comparison plot: gru, snn or none. Default gru (none for --model gru).",
        };
        compare.AcceptOnlyFromAmong("gru", "snn", "none");
        var copy = new Command("copy", "Train a working-memory network on the copy task; writes log.jsonl, checkpoints, summary.json and curves.png.");
        foreach (var o in options.All) copy.Options.Add(o);
        copy.Options.Add(output);
        copy.Options.Add(resume);
        copy.Options.Add(compare);
        copy.SetAction((parse, cancellation) => Task.FromResult(TrainingConsole.Guard(() =>
        {
            var config = Validated(options.Read(parse));
            string directory = parse.GetValue(output) ?? Path.Combine("runs", $"copy-L{config.Length}-D{config.Latency}-{config.Model}-s{config.Seed}");
            string second = parse.GetValue(compare) ?? (config.Model == "gru" ? "none" : "gru");
            return TrainWithComparison(config, directory, parse.GetValue(resume), second, cancellation);
        })));
        var train = new Command("train", "Train a model (tasks: copy).");
        train.Subcommands.Add(copy);
        return train;
    }

    private static int TrainWithComparison(CopyConfig config, string directory, bool resume, string compare, CancellationToken cancellation)
    {
        var runs = new List<(string Label, string Directory, CopyConfig Config)> { (Label(config), directory, config) };
        if (compare != "none" && compare != config.Model)
        {
            var other = config with { Model = compare };
            runs.Add((Label(other), Path.Combine(directory, compare), other));
        }
        TrainingConsole.RefuseToOverwrite(runs.Select(r => Path.Combine(r.Directory, CopyExperiment.CheckpointName)), resume, $"pdlf train copy --out {directory}");
        using var stop = TrainingConsole.StopOnCtrlC(cancellation);
        foreach (var (label, dir, c) in runs)
        {
            bool resumeThis = resume && File.Exists(Path.Combine(dir, CopyExperiment.CheckpointName));
            if (resume && !resumeThis)
                AnsiConsole.MarkupLineInterpolated($"[yellow]No checkpoint in {dir}: starting {label} from scratch.[/]");
            if (resumeThis) CheckResumable(c, Path.Combine(dir, CopyExperiment.CheckpointName));
            AnsiConsole.MarkupLineInterpolated($"[bold]{label}[/]: {c.Task}, {c.Strategy} population {c.Population}, {c.Generations} generations, {c.Sequences} sequences each, {c.Threads} thread(s) -> {dir}");
            var summary = RunWithProgress(c, dir, resumeThis, label, stop.Token);
            AnsiConsole.MarkupLineInterpolated($"  {label}: test accuracy {summary.TestAccuracy:F3}, with activity reset during the delay {summary.TestAccuracyWithReset:F3}, {summary.Generations} generations in {TimeSpan.FromSeconds(summary.WallSeconds):hh\\:mm\\:ss}");
            if (stop.IsCancellationRequested)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped. Resume with: pdlf train copy --out {directory} --resume[/]");
                break;
            }
        }
        string plot = Path.Combine(directory, "curves.png");
        CopyPlots.TrainingCurves(runs.Select(r => (r.Label, CopyExperiment.ReadLog(r.Directory))), $"copy task, Len {config.Length}, Lat {config.Latency}", plot);
        AnsiConsole.MarkupLineInterpolated($"Training curves: {plot}");
        // The trained model's own figures go next to its log: fast weights per sequence, activity with and without reset.
        var (_, mean, _) = CopyExperiment.Load(Path.Combine(directory, CopyExperiment.CheckpointName));
        foreach (var file in CopyFigures.Write(config, mean, directory)) AnsiConsole.MarkupLineInterpolated($"Figure: {file}");
        return 0;
    }

    private static void CheckResumable(CopyConfig requested, string checkpoint)
    {
        var (stored, _, _) = CopyExperiment.Load(checkpoint);
        // Only the budget and the thread count may change on resume: the rest defines the run.
        if (stored with { Generations = requested.Generations, Threads = requested.Threads, TestEvery = requested.TestEvery, CheckpointEvery = requested.CheckpointEvery } != requested)
            throw new ConfigException($"The checkpoint in '{checkpoint}' was made with a different configuration ({stored.ToJson()}); pass the same options (only --generations, --threads, --test-every and --checkpoint-every may change).");
    }

    private static CopySummary RunWithProgress(CopyConfig config, string directory, bool resume, string label, CancellationToken cancellation) =>
        TrainingConsole.RunWithProgress(label, "test", config.Generations, config.TestEvery,
            progress => CopyExperiment.Train(config, directory, resume, progress, cancellation));

    private static string Label(CopyConfig c) => c.Model switch { "pdlf" => "PDLF", "gru" => "GRU baseline", _ => "plastic SNN" };

    public static Command Eval()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A checkpoint written by pdlf train (its configuration is inside)." };
        var reset = new Option<bool>("--reset-during-delay") { Description = "Zero membranes, traces and GRU state at every delay step (the activity-reset probe)." };
        var sequences = new Option<int?>("--test-sequences") { Description = "Held-out sequences to score. Default: the run's setting." };
        var latency = new Option<int?>("--latency") { Description = "Evaluate at another latency than the run was trained with." };
        var plots = new Option<string?>("--plots") { Description = "Directory for the figures (copy: weight snapshots, activity rasters; locomotion: injury plots)." };
        var injury = new Option<string>("--injury") { Description = "Locomotion: none, temporary (plastic weights zeroed for steps 501-549) or permanent (see --fraction). Default none.", DefaultValueFactory = _ => "none" };
        injury.AcceptOnlyFromAmong("none", "temporary", "permanent");
        var fraction = new Option<double>("--fraction") { Description = "Locomotion, --injury permanent: fraction of output synapses blocked, 0..1. Default 0.5.", DefaultValueFactory = _ => 0.5 };
        var episodes = new Option<int>("--episodes") { Description = "Locomotion: episodes per training target (different reset seeds; the first is the training log's test). Default 1.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Locomotion: worker threads. Default: all cores.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("eval", "Score a checkpoint's mean: copy task on held-out sequences (optionally with the activity reset), locomotion on the 8 targets (optionally injured); and plot it.")
        {
            checkpoint, reset, sequences, latency, plots, injury, fraction, episodes, threads,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            string path = parse.GetValue(checkpoint)!;
            if (Locomotion.LocomotionExperiment.IsLocomotionCheckpoint(path))
            {
                if (parse.GetValue(reset) || parse.GetValue(sequences) is not null || parse.GetValue(latency) is not null)
                    throw new ConfigException("--reset-during-delay, --test-sequences and --latency apply to copy-task checkpoints only.");
                return LocomotionCommands.Evaluate(path, parse.GetValue(injury)!, parse.GetValue(fraction), parse.GetValue(plots),
                    parse.GetValue(episodes), parse.GetValue(threads));
            }
            if (parse.GetValue(injury) != "none" || parse.GetValue(episodes) != 1)
                throw new ConfigException("--injury and --episodes apply to locomotion checkpoints only.");
            var (config, mean, generation) = CopyExperiment.Load(path);
            config = config with
            {
                TestSequences = parse.GetValue(sequences) ?? config.TestSequences,
                Latency = parse.GetValue(latency) ?? config.Latency,
                TrainResetFraction = 0f, // eval trains nothing; --reset-during-delay chooses the probe
            };
            Validated(config);
            var evaluator = config.Evaluator();
            var worker = evaluator.CreateWorker(0);
            bool probe = parse.GetValue(reset);
            var correct = new int[config.Length];
            var score = evaluator.Test(worker, mean, config.TestSequences, CopyExperiment.TestSeed, probe, correct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Label(config)} after {generation} generations, {config.Task}{(probe ? ", activity reset during the delay" : "")}: test accuracy {score.Accuracy:F4} over {score.Recalled} recalled bits"));
            Console.WriteLine("accuracy by position: " + string.Join(" ", correct.Select(c => ((double)c / config.TestSequences).ToString("F3", CultureInfo.InvariantCulture))));
            if (parse.GetValue(plots) is { } dir)
            {
                Directory.CreateDirectory(dir);
                foreach (var file in CopyFigures.Write(config, mean, dir)) Console.WriteLine($"wrote {file}");
            }
            return 0;
        }));
        return command;
    }

    public static Command Sweep()
    {
        var options = new ConfigOptions();
        var lengths = new Option<int[]>("--lengths") { Description = "Len values. Default 8 16 32 64.", AllowMultipleArgumentsPerToken = true };
        var latencies = new Option<int[]>("--latencies") { Description = "Lat values. Default 0 8 16 32.", AllowMultipleArgumentsPerToken = true };
        var models = new Option<string[]>("--models") { Description = "Models to train at every grid point. Default pdlf gru.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Sweep directory; results.csv collects the grid.", DefaultValueFactory = _ => Path.Combine("runs", "copy-sweep") };
        var copy = new Command("copy", "Train over a Len x Lat grid and write results.csv (accuracy, with reset, generations, wall time) and sweep.png.");
        foreach (var o in options.All) copy.Options.Add(o);
        copy.Options.Add(lengths);
        copy.Options.Add(latencies);
        copy.Options.Add(models);
        copy.Options.Add(output);
        copy.SetAction((parse, cancellation) => Task.FromResult(TrainingConsole.Guard(() =>
        {
            var baseConfig = options.Read(parse);
            int[] lens = parse.GetValue(lengths) is { Length: > 0 } l ? l : [8, 16, 32, 64];
            int[] lats = parse.GetValue(latencies) is { Length: > 0 } d ? d : [0, 8, 16, 32];
            string[] ms = parse.GetValue(models) is { Length: > 0 } m ? m : ["pdlf", "gru"];
            var grid = (from len in lens from lat in lats from model in ms select baseConfig with { Length = len, Latency = lat, Model = model }).ToArray();
            foreach (var c in grid) Validated(c);
            string directory = parse.GetValue(output)!;
            Directory.CreateDirectory(directory);
            string csv = Path.Combine(directory, "results.csv");
            File.WriteAllText(csv, "length,latency,model,generations,population,sequences,test_accuracy,test_accuracy_with_reset,wall_seconds\n");
            var cells = new List<(string, int, int, double, double)>();
            foreach (var c in grid)
            {
                if (cancellation.IsCancellationRequested) break;
                string dir = Path.Combine(directory, $"L{c.Length}-D{c.Latency}-{c.Model}");
                AnsiConsole.MarkupLineInterpolated($"[bold]{Label(c)}[/] {c.Task} -> {dir}");
                var s = RunWithProgress(c, dir, resume: File.Exists(Path.Combine(dir, CopyExperiment.CheckpointName)), Label(c), cancellation);
                File.AppendAllText(csv, string.Create(CultureInfo.InvariantCulture,
                    $"{c.Length},{c.Latency},{c.Model},{s.Generations},{c.Population},{c.Sequences},{s.TestAccuracy:F4},{s.TestAccuracyWithReset:F4},{s.WallSeconds:F1}\n"));
                cells.Add((Label(c), c.Length, c.Latency, s.TestAccuracy, s.TestAccuracyWithReset));
            }
            AnsiConsole.MarkupLineInterpolated($"Results: {csv}");
            if (cells.Count > 0)
            {
                string plot = Path.Combine(directory, "sweep.png");
                CopyPlots.SweepGrid(cells, plot);
                AnsiConsole.MarkupLineInterpolated($"Figure: {plot}");
            }
            return 0;
        })));
        var sweep = new Command("sweep", "Run a grid of trainings (tasks: copy).");
        sweep.Subcommands.Add(copy);
        return sweep;
    }

    private static CopyConfig Validated(CopyConfig config)
    {
        var problems = config.Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join(Environment.NewLine, problems));
        return config;
    }
}
