using System.CommandLine;
using System.Text.RegularExpressions;
using PdlfFast.Cli.Commands;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cli;

/// <summary>
/// The <c>pdlf</c> command line as a callable: parse, dispatch, and map every outcome to the documented exit codes
/// (0 done, 1 runtime error, 2 usage error, 130/143 stopped by SIGINT/SIGTERM after checkpointing). Program.cs
/// calls it with the process's signals; tests call it with their own stop token.
/// </summary>
public static partial class PdlfApp
{
    /// <summary>Exit code of a failure no message foresaw (a bug: the message asks for a report).</summary>
    public const int InternalError = 70;

    /// <summary>How the user started pdlf, for the commands we suggest (the AOT binary, or dotnet run from a clone).</summary>
    public static string Invoker { get; } = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet"
        ? "dotnet run --project src/Cli -c Release --"
        : "pdlf";

    /// <summary>The command line that resumes this run, as the user started pdlf (AOT binary or dotnet run).</summary>
    public static string ResumeCommand(ParseResult parse) =>
        $"{Invoker} {string.Join(' ', parse.Tokens.Select(t => t.Value.Contains(' ') ? $"'{t.Value}'" : t.Value).Where(t => t != "--resume"))} --resume";

    /// <param name="cluster">The cluster build's additions (pdlf-cluster), or null for the single-machine pdlf.</param>
    public static RootCommand Build(StopSignals stop, IClusterExtension? cluster = null)
    {
        var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules (PDLF, SpikePropamine), fast on CPUs.");
        var train = new Command("train", "Train a model (tasks: copy, " + string.Join(", ", Tasks.Locomotion.LocomotionTasks.Names) + ", cue, spikepropamine-copy).");
        train.Subcommands.Add(CopyCommands.Train(stop, cluster));
        foreach (var task in LocomotionCommands.TrainCommands(stop, cluster)) train.Subcommands.Add(task);
        train.Subcommands.Add(SpikePropamineCommands.Train(stop, "cue", cluster));
        train.Subcommands.Add(SpikePropamineCommands.Train(stop, "copy", cluster));
        root.Subcommands.Add(train);
        root.Subcommands.Add(CopyCommands.Eval());
        var sweep = new Command("sweep", "Run a grid of trainings (tasks: copy, cue); finished grid points in --out are checked and reused.");
        sweep.Subcommands.Add(CopyCommands.Sweep(stop));
        sweep.Subcommands.Add(SpikePropamineCommands.Sweep(stop));
        root.Subcommands.Add(sweep);
        root.Subcommands.Add(LocomotionCommands.Generalise());
        root.Subcommands.Add(ConditionsCommand.Create());
        root.Subcommands.Add(AnalyseCommand.Create());
        root.Subcommands.Add(LocomotionCommands.Steer());
        root.Subcommands.Add(BenchCommand.Create(cluster as IClusterBench));
        if (cluster is not null) root.Subcommands.Add(cluster.Command(stop));
        return root;
    }

    /// <summary>Runs one command line; never throws.</summary>
    public static int Run(string[] args, StopSignals stop, IClusterExtension? cluster = null)
    {
        try
        {
            var root = Build(stop, cluster);
            // No @file response files: a run's options come from flags or --config, and expanding @/dev/zero or @DIR
            // would read without bound or fail outside our error handling.
            var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0)
            {
                var command = string.Join(' ', parse.CommandResult.Command is var c && c != root ? CommandPath(c) : ["pdlf"]);
                Console.Error.WriteLine("error: " + TrainingConsole.OneLine(string.Join("; ", parse.Errors.Select(Humanise).Distinct())) +
                                        $" (see '{command} --help')");
                return RunExitCodes.UsageError;
            }
            // Signals are ours (StopSignals): System.CommandLine's own handler would kill the run 2 s after SIGTERM.
            int code = parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
            return code;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: internal error, please report it: {e.GetType().Name}: {TrainingConsole.OneLine(e.Message)}");
            return InternalError;
        }
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault())
            names.Push(s is RootCommand ? "pdlf" : s.Name);
        return names;
    }

    /// <summary>A parse error in one line that names its option (the option of a bad argument sits one level up).</summary>
    private static string Humanise(System.CommandLine.Parsing.ParseError error)
    {
        string message = Humanise(error.Message);
        var option = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option.Name,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option.Name,
            _ => null,
        };
        var notAllowed = NotRecognised().Match(message);
        if (notAllowed.Success)
            message = $"'{notAllowed.Groups["value"].Value}' is not one of {string.Join(", ", Allowed().Matches(notAllowed.Groups["allowed"].Value).Select(m => m.Groups[1].Value))}";
        return option is not null && !message.StartsWith(option, StringComparison.Ordinal) ? $"{option}: {message}" : message;
    }

    /// <summary>Says what a value should be in words instead of .NET type names (System.Nullable`1[System.Int32]).</summary>
    public static string Humanise(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message.TrimEnd('.');
        string kind = m.Groups["type"].Value switch
        {
            var t when t.Contains("UInt64") || t.Contains("UInt32") => "a whole number >= 0",
            var t when t.Contains("Int32") || t.Contains("Int64") => "a whole number",
            var t when t.Contains("Double") || t.Contains("Single") => "a number",
            var t when t.Contains("Boolean") => "true or false",
            var t => t,
        };
        return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {kind}";
    }

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<allowed>.*)$", RegexOptions.Singleline)]
    private static partial Regex NotRecognised();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Allowed();

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?:option|command) '(?<option>[^']*)' as expected type '?(?<type>[^']*?)'?\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();
}
