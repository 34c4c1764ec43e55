using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Locomotion;
using PdlfFast.Cli.Plots;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary><c>pdlf train TASK</c> for the MuJoCo tasks, locomotion <c>pdlf eval</c> and <c>pdlf generalise</c>.</summary>
public static class LocomotionCommands
{
    private sealed class ConfigOptions
    {
        public readonly Option<string?> Config = new("--config") { Description = "JSON file with any of the options below (flags override it)." };
        public readonly Option<string?> Policy = new("--policy") { Description = "pdlf (plastic, weights from zero each episode), direct-weight (baseline) or spikepropamine (plastic SNN W + alpha H, H cleared each episode). Default pdlf." };
        public readonly Option<string?> Rule = new("--rule") { Description = "PDLF terms (--policy pdlf): abcd, acd (B = 0) or bd (A = 0). Default abcd." };
        public readonly Option<string?> TraceRule = new("--trace-rule") { Description = $"Plasticity of --policy spikepropamine: {string.Join(", ", TraceRuleVariant.Names)} (none: plasticity off). Default hebbian." };
        public readonly Option<int?> Hidden = new("--hidden") { Description = "Hidden LIF neurons. Default 128." };
        public readonly Option<string?> Strategy = new("--strategy") { Description = "pgpe or openai-es. Default pgpe." };
        public readonly Option<int?> Population = new("--population") { Description = "Even population size. Default 32 (reference 256)." };
        public readonly Option<int?> Generations = new("--generations") { Description = "Generations to train (a resumed run continues up to it). Default 100." };
        public readonly Option<int?> EpisodesPerTarget = new("--episodes-per-target") { Description = "Episodes per training target per member (8 targets; 1 for ant_forward). Default 1 (reference 8)." };
        public readonly Option<int?> EpisodeSteps = new("--episode-steps") { Description = "Control steps per episode. Default 1000." };
        public readonly Option<double?> LearningRate = new("--learning-rate") { Description = "Adam step size on the mean. Default 0.01." };
        public readonly Option<float?> Sigma = new("--sigma") { Description = "Initial (PGPE) or fixed (OpenAI-ES) noise standard deviation. Default 0.04." };
        public readonly Option<int?> TestEvery = new("--test-every") { Description = "Generations between tests of the mean on the 8 targets. Default 10." };
        public readonly Option<int?> CheckpointEvery = new("--checkpoint-every") { Description = "Generations between checkpoints. Default 5." };
        public readonly Option<int?> SnapshotEvery = new("--snapshot-every") { Description = "Generations between snapshots of the mean (the evolved rules) in snapshots/, for the rule analysis; 0 = none. Default 10." };
        public readonly Option<ulong?> Seed = new("--seed") { Description = "Random seed: same seed, same bits on any thread count. Default 1." };
        public readonly Option<int?> Threads = new("--threads") { Description = "Worker threads (results do not depend on it). Default: all cores." };

        public IEnumerable<Option> All => [Config, Policy, Rule, TraceRule, Hidden, Strategy, Population, Generations, EpisodesPerTarget, EpisodeSteps,
            LearningRate, Sigma, TestEvery, CheckpointEvery, SnapshotEvery, Seed, Threads];

        public LocomotionConfig Read(ParseResult parse, string task)
        {
            var c = parse.GetValue(Config) is { } file ? LocomotionConfig.FromFile(file) : new LocomotionConfig();
            var read = c with
            {
                Task = task,
                Policy = parse.GetValue(Policy) ?? c.Policy,
                Rule = parse.GetValue(Rule) ?? c.Rule,
                Hidden = parse.GetValue(Hidden) ?? c.Hidden,
                Strategy = parse.GetValue(Strategy) ?? c.Strategy,
                Population = parse.GetValue(Population) ?? c.Population,
                Generations = parse.GetValue(Generations) ?? c.Generations,
                EpisodesPerTarget = parse.GetValue(EpisodesPerTarget) ?? c.EpisodesPerTarget,
                EpisodeSteps = parse.GetValue(EpisodeSteps) ?? c.EpisodeSteps,
                LearningRate = parse.GetValue(LearningRate) ?? c.LearningRate,
                Sigma = parse.GetValue(Sigma) ?? c.Sigma,
                TestEvery = parse.GetValue(TestEvery) ?? c.TestEvery,
                CheckpointEvery = parse.GetValue(CheckpointEvery) ?? c.CheckpointEvery,
                SnapshotEvery = parse.GetValue(SnapshotEvery) ?? c.SnapshotEvery,
                Seed = parse.GetValue(Seed) ?? c.Seed,
                Threads = parse.GetValue(Threads) ?? c.Threads,
            };
            // Assigned only when given: an unset trace rule reads as the policy's default (hebbian, or absent).
            if (parse.GetValue(TraceRule) is { } traceRule) read = read with { TraceRule = traceRule };
            // The config can tell a non-default --rule only; the flag itself is refused even when it names the default.
            if (parse.GetValue(Rule) is { } rule && read.PolicyKind == LocomotionPolicyKind.SpikePropamine)
                throw new ConfigException($"--rule applies to --policy pdlf (PDLF's terms); --policy spikepropamine takes --trace-rule (got --rule {rule})");
            return read;
        }
    }

    /// <summary>One <c>pdlf train TASK</c> subcommand per built-in locomotion task.</summary>
    public static IEnumerable<Command> TrainCommands(StopSignals stop, IClusterExtension? cluster = null) =>
        LocomotionTasks.All.Select(task => TrainCommand(task, stop, cluster));

    private static Command TrainCommand(LocomotionTask task, StopSignals stop, IClusterExtension? cluster)
    {
        var options = new ConfigOptions();
        var clusterOptions = new ClusterOptions();
        var output = new Option<string?>("--out") { Description = $"Run directory (config.json, log.jsonl, checkpoint.ckpt, summary.json, curves.png; comparison runs in subfolders named after them, e.g. direct-weight/). Default runs/{task.Name}-<policy>-s<seed>." };
        var resume = new Option<bool>("--resume") { Description = "Continue the runs in --out from their checkpoints, exactly where they stopped (same options; only --generations, --threads, --test-every, --checkpoint-every and --snapshot-every may change)." };
        var compare = new Option<string[]>("--compare")
        {
            Description = "Also train these with the same budget, in subfolders, for the comparison plot: direct-weight, acd, bd, non-plastic (spikepropamine with --trace-rule none), or none. Default direct-weight; non-plastic for --policy spikepropamine.",
            AllowMultipleArgumentsPerToken = true,
        };
        compare.AcceptOnlyFromAmong(CompareChoices);
        var command = new Command(task.Name, $"Train on {task.Name} ({task.Description}); writes a run directory with log, checkpoints, summary and curves.png.");
        foreach (var o in options.All) command.Options.Add(o);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(compare);
        foreach (var o in clusterOptions.All) command.Options.Add(o);
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var config = options.Read(parse, task.Name).Validated();
            MuJoCoAvailability.Ensure();
            string directory = parse.GetValue(output) ?? Path.Combine("runs", $"{task.Name}-{config.Policy}-s{config.Seed}");
            string[] others = parse.GetValue(compare) is { Length: > 0 } list ? list
                : [config.PolicyKind == LocomotionPolicyKind.SpikePropamine ? "non-plastic" : "direct-weight"];
            using var connection = clusterOptions.Connect(parse, cluster);
            return TrainWithComparison(config, directory, parse.GetValue(resume), others, PdlfApp.ResumeCommand(parse), stop, connection);
        }));
        return command;
    }

    private static readonly string[] CompareChoices = ["direct-weight", "acd", "bd", "non-plastic", "none"];

    private static int TrainWithComparison(LocomotionConfig config, string directory, bool resume, string[] compare, string resumeCommand, StopSignals stop,
        IClusterConnection? cluster)
    {
        var runs = new List<(string Directory, LocomotionConfig Config)> { (directory, config) };
        foreach (var other in compare.Distinct())
        {
            var c = other switch
            {
                "direct-weight" => config with { Policy = "direct-weight", TraceRule = null },
                "acd" or "bd" => config with { Policy = "pdlf", Rule = other, TraceRule = null },
                // The same network, W and alpha initialised alike, with plasticity switched off.
                "non-plastic" when config.PolicyKind == LocomotionPolicyKind.SpikePropamine => config with { TraceRule = "none" },
                "non-plastic" => throw new ConfigException($"--compare non-plastic applies to --policy spikepropamine (got --policy {config.Policy})"),
                "none" => null,
                _ => throw new ConfigException($"--compare must be one of {string.Join(", ", CompareChoices)} (got '{other}')"),
            };
            if (c is not null && c != config) runs.Add((Path.Combine(directory, other), c.Validated()));
        }
        // Open (lock) and check every run of the job before training any: a refusal touches nothing.
        using var opened = new JobDirectories(runs.Select(r => r.Directory), resume, resumeCommand, (i, checkpoint) => LocomotionRun.EnsureResumable(runs[i].Config, checkpoint));
        var job = runs.Select(r => new JobPart(r.Config.Label, r.Config.Generations)).ToArray();
        for (int i = 0; i < runs.Count; i++)
        {
            var (dir, c) = runs[i];
            var run = opened[i];
            AnsiConsole.MarkupLineInterpolated(
                $"[bold]{c.Label}[/]: {c.Task}, {c.Strategy} population {c.Population}, {c.Generations} generations, {c.EpisodesPerTarget} x {c.TaskDefinition.TrainingTargetCount} episodes of {c.EpisodeSteps} steps, {c.Threads} thread(s) -> {dir}{(run.Resuming ? " (resuming)" : "")}");
            var remote = cluster?.Evaluator(RunKinds.Locomotion, c.ToJson());
            var (outcome, summary) = TrainingConsole.RunPart(job, i, "test return", c.TestEvery,
                progress => LocomotionRun.Train(c, run, progress, stop.Token, TrainingConsole.Warn, remote), remote is null ? null : () => cluster!.Describe(remote));
            AnsiConsole.MarkupLineInterpolated(
                $"  {c.Label}: mean test return over the {c.TaskDefinition.TrainingTargetCount} training target(s) {summary.TestReturn:F1}, {summary.Generations} generations in {TimeSpan.FromSeconds(summary.WallSeconds):hh\\:mm\\:ss}, {summary.Instabilities} unstable episodes");
            if (outcome.Stopped)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped at generation {outcome.Completed} of {outcome.Total}, checkpoint saved. Resume with: {resumeCommand}[/]");
                return stop.ExitCode;
            }
        }
        string plot = Path.Combine(directory, "curves.png");
        LocomotionPlots.TrainingCurves(runs.Select(r => (r.Config.Label, LocomotionRun.ReadLog(r.Directory, TrainingConsole.Warn))),
            $"{config.Task}: mean return over the {config.TaskDefinition.TrainingTargetCount} training target(s)", plot);
        opened[0].WriteFigures([plot]);
        AnsiConsole.MarkupLineInterpolated($"Training curves: {plot}");
        return RunExitCodes.Done;
    }

    /// <summary><c>pdlf eval</c> on a locomotion checkpoint: return per training target, optionally injured, and plots.</summary>
    public static int Evaluate(string checkpoint, string injuryKind, double? givenFraction, string? plots, int episodes, int threads,
        IReadOnlyList<string> conditionTexts)
    {
        if (episodes is < 1 or > 10_000) throw new ConfigException($"--episodes must be in 1..10000 (got {episodes})");
        if (threads is < 1 or > 1024) throw new ConfigException($"--threads must be in 1..1024 (got {threads})");
        if (givenFraction is not null && injuryKind != "permanent") throw new ConfigException("--fraction applies to --injury permanent");
        double fraction = givenFraction ?? 0.5;
        if (!(fraction is >= 0 and <= 1)) throw new ConfigException($"--fraction must be in 0..1 (got {fraction})");
        if (plots is not null) Outputs.EnsureDirectory(plots, "--plots");
        var policy = LocomotionRun.Load(checkpoint);
        var injury = injuryKind switch
        {
            // Mid-episode as in the reference (501-549 of 1,000 steps): a fixed 501 would miss a shorter episode.
            "temporary" => Injury.TemporaryFor(policy.Config.EpisodeSteps),
            "permanent" => Injury.Permanent(fraction),
            "none" => Injury.None,
            _ => throw new ConfigException($"--injury must be one of none, temporary, permanent (got '{injuryKind}')"),
        };
        var setup = policy.Config.Setup();
        if (injury.Kind == InjuryKind.Temporary && !setup.TemporaryInjuryApplies)
            throw new ConfigException("--injury temporary zeroes plastic traces; this SpikePropamine policy was trained with --trace-rule none and has none", checkpoint);
        if (conditionTexts.Count > 0)
        {
            var results = ConditionsCommand.Measure(policy, ConditionsCommand.Parse(conditionTexts), injury, episodes, threads);
            ConditionsCommand.Print(policy, results);
            if (plots is not null)
                foreach (var file in ConditionsCommand.Write([(policy.Config.Label, results)], $"{policy.Config.Label} on {policy.Config.Task}: novel conditions", plots))
                    Console.WriteLine($"wrote {file}");
            return 0;
        }
        var returns = LocomotionRun.TestEpisodes(policy, injury, episodes, threads);
        int targets = returns.GetLength(0);
        // The 8-target mean of each episode index is one sample of the multi-task return; its spread gives the error.
        var perEpisode = Enumerable.Range(0, episodes).Select(e => Enumerable.Range(0, targets).Average(k => returns[k, e])).ToArray();
        double mean = perEpisode.Average();
        string what = injury.Kind switch
        {
            InjuryKind.Temporary => $", plastic {(setup.Policy == LocomotionPolicyKind.SpikePropamine ? "traces" : "weights")} zeroed for steps {injury.FirstStep}-{injury.LastStep}",
            InjuryKind.Permanent => $", {fraction:P0} of output synapses blocked",
            _ => "",
        };
        string error = episodes > 1 ? string.Create(CultureInfo.InvariantCulture, $" +- {StandardDeviation(perEpisode) / Math.Sqrt(episodes):F1} (standard error)") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{policy.Config.Label} on {setup.Task.Name} after {policy.Generation} generations{what}: mean return {mean:F1}{error}, {episodes} episode(s) per target"));
        for (int k = 0; k < targets; k++)
        {
            var row = Enumerable.Range(0, episodes).Select(e => returns[k, e]).ToArray();
            string spread = episodes > 1 ? string.Create(CultureInfo.InvariantCulture, $" (sd {StandardDeviation(row),7:F1})") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  target {setup.Task.TrainingTarget(k),7:F3}: return {row.Average(),9:F1}{spread}"));
        }
        if (plots is not null)
        {
            using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
            foreach (var file in LocomotionFigures.WriteFigures(policy, model, plots)) Console.WriteLine($"wrote {file}");
        }
        return 0;
    }

    /// <summary>The directory of a checkpoint (default output of generalise and steer); an empty path is a usage error.</summary>
    private static string CheckpointDirectory(string checkpoint)
    {
        if (string.IsNullOrWhiteSpace(checkpoint)) throw new ConfigException("the checkpoint path is empty");
        try
        {
            return Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ConfigException($"the checkpoint path is not usable: {e.Message}", checkpoint, e);
        }
    }

    private static double StandardDeviation(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    public static Command Generalise()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A locomotion checkpoint written by pdlf train." };
        var targets = new Option<int>("--targets") { Description = "Unseen targets, evenly inside [min + D/8, max - D/8].", DefaultValueFactory = _ => LocomotionTask.GeneralisationTargetCount };
        var output = new Option<string?>("--out") { Description = "Directory for generalisation.csv and generalisation.png. Default: the checkpoint's directory." };
        var command = new Command("generalise", "Run a trained locomotion policy on targets it never trained on; writes a CSV and a plot.")
        {
            checkpoint, targets, output,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            string path = parse.GetValue(checkpoint)!;
            int count = parse.GetValue(targets);
            if (count is < 2 or > 100_000) throw new ConfigException($"--targets must be in 2..100000 (got {count})");
            var policy = LocomotionRun.Load(path);
            if (!policy.Config.TaskDefinition.HasTargetRange)
                throw new ConfigException($"{policy.Config.Task} has a single target; generalise needs a task with a range of targets", path);
            string dir = Outputs.EnsureDirectory(parse.GetValue(output) ?? CheckpointDirectory(path), "--out");
            var result = LocomotionFigures.Generalisation(policy, count);
            string csv = Path.Combine(dir, "generalisation.csv");
            AtomicFile.WriteText(csv, string.Concat(new[] { "target,return,training_target" }
                .Concat(result.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Target:F4},{r.Return:F2},{r.Trained}"))).Select(l => l + "\n")), "generalisation table");
            string png = Path.Combine(dir, "generalisation.png");
            LocomotionPlots.Generalisation(policy, result, png);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{policy.Config.Label} on {policy.Config.Task}: mean return {result.Where(r => !r.Trained).Average(r => r.Return):F1} over {count} unseen targets, {result.Where(r => r.Trained).Average(r => r.Return):F1} on the {policy.Config.TaskDefinition.TrainingTargetCount} training targets"));
            Console.WriteLine($"wrote {csv}");
            Console.WriteLine($"wrote {png}");
            return 0;
        }));
        return command;
    }

    public static Command Steer()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "An ant_dir or swimmer_dir checkpoint written by pdlf train." };
        var shape = new Option<string>("--shape") { Description = "Path to trace: square, circle or figure8.", DefaultValueFactory = _ => "square" };
        shape.AcceptOnlyFromAmong(SteeringPaths.Shapes);
        var size = new Option<double>("--size") { Description = "Size of the path in metres (0.5..100).", DefaultValueFactory = _ => 4.0 };
        var steps = new Option<int>("--steps") { Description = "Control steps (1..100000).", DefaultValueFactory = _ => 3000 };
        var output = new Option<string?>("--out") { Description = "Directory for steer.png and steer.csv. Default: the checkpoint's directory." };
        var command = new Command("steer", "Steer a direction-task policy along a path by overwriting its target direction every step; plots the path.")
        {
            checkpoint, shape, size, steps, output,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            double meters = parse.GetValue(size);
            int count = parse.GetValue(steps);
            if (!(meters is >= 0.5 and <= 100)) throw new ConfigException($"--size must be in 0.5..100 (got {meters})");
            if (count is < 1 or > 100_000) throw new ConfigException($"--steps must be in 1..100000 (got {count})");
            string path = parse.GetValue(checkpoint)!;
            var policy = LocomotionRun.Load(path);
            if (!policy.Config.TaskDefinition.HasTargetRange)
                throw new ConfigException($"{policy.Config.Task} has a single target; steering needs a task with a range of directions", path);
            string dir = Outputs.EnsureDirectory(parse.GetValue(output) ?? CheckpointDirectory(path), "--out");
            var waypoints = SteeringPaths.Waypoints(parse.GetValue(shape)!, meters);
            var (trace, reached) = SteeringRecorder.Run(policy, waypoints, count);
            string csv = Path.Combine(dir, "steer.csv"), png = Path.Combine(dir, "steer.png");
            AtomicFile.WriteText(csv, string.Concat(new[] { "step,x,y" }.Concat(trace.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1},{p.X:F4},{p.Y:F4}"))).Select(l => l + "\n")), "steering trace");
            LocomotionPlots.Steering($"{policy.Config.Label} on {policy.Config.Task} steered along a {parse.GetValue(shape)} ({reached}/{waypoints.Length} waypoints)",
                waypoints, trace, png);
            Console.WriteLine($"{policy.Config.Label}: reached {reached} of {waypoints.Length} waypoints in {trace.Count} steps");
            Console.WriteLine($"wrote {csv}");
            Console.WriteLine($"wrote {png}");
            return 0;
        }));
        return command;
    }
}
