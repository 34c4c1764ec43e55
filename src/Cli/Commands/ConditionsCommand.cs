using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Plots;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cli.Commands;

/// <summary>
/// Novel conditions (a disabled actuator, other friction, a heavier torso) for trained locomotion policies:
/// <c>pdlf eval CKPT --condition ...</c> for one checkpoint and <c>pdlf conditions CKPT...</c> to compare several in one figure.
/// </summary>
public static class ConditionsCommand
{
    /// <summary>The conditions named on the command line: "standard" expands to the standard set; "none" always comes first (the reference).</summary>
    public static IReadOnlyList<EnvironmentCondition> Parse(IEnumerable<string> texts)
    {
        var list = new List<EnvironmentCondition> { EnvironmentCondition.None };
        foreach (var text in texts)
        {
            IEnumerable<EnvironmentCondition> parsed;
            try
            {
                parsed = text.Trim().Equals("standard", StringComparison.OrdinalIgnoreCase)
                    ? EnvironmentCondition.Standard
                    : [EnvironmentCondition.Parse(text)];
            }
            catch (FormatException e)
            {
                throw new ConfigException($"--condition: {e.Message}");
            }
            foreach (var condition in parsed)
                if (!list.Contains(condition)) list.Add(condition);
        }
        return list;
    }

    /// <summary>Measures <paramref name="policy"/> under <paramref name="conditions"/>, turning a condition that does not fit the task into a usage error.</summary>
    public static IReadOnlyList<ConditionResult> Measure(TrainedPolicy policy, IReadOnlyList<EnvironmentCondition> conditions, Injury injury, int episodes, int threads)
    {
        try
        {
            return LocomotionRun.TestConditions(policy, conditions, injury, episodes, threads);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"--condition does not fit {policy.Config.Task}: {e.Message}");
        }
    }

    /// <summary>Prints one policy's table: return +- standard error and the fraction of the intact return per condition.</summary>
    public static void Print(TrainedPolicy policy, IReadOnlyList<ConditionResult> results)
    {
        var intact = results[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{policy.Config.Label} on {policy.Config.Task} after {policy.Generation} generations, {intact.Episodes} episode(s) per target, under conditions not seen in training:"));
        foreach (var r in results)
        {
            string fraction = r.FractionOf(intact) is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"{f,6:P0} of intact")
                : string.Create(CultureInfo.InvariantCulture, $"{r.Mean - intact.Mean,+9:F1} vs intact");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Condition,-16} return {r.Mean,9:F1} +- {r.StandardError,6:F1}   {fraction}"));
        }
    }

    /// <summary>Writes conditions.csv and conditions.png for one or more policies into <paramref name="directory"/>; returns the files.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<(string Label, IReadOnlyList<ConditionResult> Results)> policies, string title, string directory)
    {
        string csv = Path.Combine(directory, "conditions.csv");
        var lines = new List<string> { "policy,condition,episodes,mean_return,standard_error,fraction_of_intact" };
        foreach (var (label, results) in policies)
            lines.AddRange(results.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"\"{label}\",{r.Condition},{r.Episodes},{r.Mean:F3},{r.StandardError:F3},{(r.FractionOf(results[0]) is { } f ? f.ToString("F4", CultureInfo.InvariantCulture) : "")}")));
        AtomicFile.WriteText(csv, string.Concat(lines.Select(l => l + "\n")), "conditions table");
        string png = Path.Combine(directory, "conditions.png");
        var conditions = policies[0].Results.Select(r => r.Condition.ToString()).ToArray();
        // A fraction needs a positive intact return; the plot shows the policies for which it exists.
        var plotted = policies.Where(p => p.Results[0].Mean > 0)
            .Select(p => (p.Label, (IReadOnlyList<(double, double)>)p.Results
                .Select(r => (r.Mean / p.Results[0].Mean, r.StandardError / p.Results[0].Mean)).ToArray()))
            .ToArray();
        if (plotted.Length == 0) return [csv];
        LocomotionPlots.Conditions(title, conditions, plotted, png);
        return [csv, png];
    }

    /// <summary><c>pdlf conditions CKPT...</c>: every checkpoint under the same conditions, one table each, one figure.</summary>
    public static Command Create()
    {
        var checkpoints = new Argument<string[]>("checkpoints") { Description = "Locomotion checkpoints of the same task (e.g. a plastic policy and its non-plastic twin).", Arity = ArgumentArity.OneOrMore };
        var condition = ConditionOption();
        var episodes = new Option<int>("--episodes") { Description = "Episodes per training target and condition (same reset seeds under every condition).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (results do not depend on it). Default: all cores." };
        var output = new Option<string?>("--out") { Description = "Directory for conditions.csv and conditions.png. Default: the first checkpoint's directory." };
        var command = new Command("conditions", "Run trained locomotion policies under physics they never trained on (a disabled actuator, friction x0.5 / x2, torso mass x1.5); prints returns as fractions of the intact return and writes a table and a bar chart.")
        {
            checkpoints, condition, episodes, threads, output,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var paths = parse.GetValue(checkpoints)!;
            int count = parse.GetValue(episodes);
            int threadCount = parse.GetValue(threads) ?? Environment.ProcessorCount;
            if (count is < 1 or > 10_000) throw new ConfigException($"--episodes must be in 1..10000 (got {count})");
            if (threadCount is < 1 or > 1024) throw new ConfigException($"--threads must be in 1..1024 (got {threadCount})");
            var texts = parse.GetValue(condition) ?? [];
            var conditions = Parse(texts.Length == 0 ? ["standard"] : texts);
            var policies = new List<(string Label, IReadOnlyList<ConditionResult> Results)>();
            string? task = null;
            foreach (var path in paths)
            {
                if (!LocomotionRun.IsLocomotionCheckpoint(path)) throw new ConfigException("not a locomotion checkpoint", path);
                var policy = LocomotionRun.Load(path);
                if (task is not null && policy.Config.Task != task)
                    throw new ConfigException($"all checkpoints must be of one task ({task}); this one is {policy.Config.Task}", path);
                task = policy.Config.Task;
                var results = Measure(policy, conditions, Injury.None, count, threadCount);
                Print(policy, results);
                policies.Add(($"{policy.Config.Label} ({policy.Generation} gen.)", results));
            }
            string directory = Outputs.EnsureDirectory(parse.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(paths[0]))!, "--out");
            foreach (var file in Write(policies, $"{task}: return under novel conditions", directory)) Console.WriteLine($"wrote {file}");
            return 0;
        }));
        return command;
    }

    /// <summary>The repeatable <c>--condition</c> option of <c>pdlf eval</c> and <c>pdlf conditions</c>.</summary>
    public static Option<string[]> ConditionOption() => new("--condition")
    {
        Description = $"Locomotion: physics not seen in training, repeatable: {EnvironmentCondition.Syntax} (= none, actuator-off=0, friction=0.5, friction=2, torso-mass=1.5). The intact model is always measured first as the reference.",
        AllowMultipleArgumentsPerToken = true,
    };
}
