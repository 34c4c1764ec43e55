using System.Diagnostics;
using System.Text;
using PdlfFast.Cli;
using Spectre.Console;

namespace PdlfFast.Tests.Cli;

/// <summary>
/// Tests that run pdlf in process: they swap the process-wide Console.Out/Error, Spectre's console and the current
/// directory, so they run alone (xUnit runs collections with parallelisation disabled after the parallel ones).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCaptureCollection
{
    public const string Name = "pdlf in process (console capture)";
}

/// <summary>One pdlf command line run in process: its exit code, what it printed, how long it took.</summary>
public sealed record CliRun(string[] Args, int Exit, string Out, string Err, TimeSpan Elapsed, Exception? Escaped)
{
    /// <summary>The command line as a shell would take it (quotes and $'..' escapes where needed).</summary>
    public string Argv => Shell(Args);

    /// <summary>stderr's lines (without the final newline).</summary>
    public string[] ErrLines => Err.Length == 0 ? [] : Err.TrimEnd('\n').Split('\n');

    /// <summary>The one line of stderr of a failed command; fails the test when stderr is not exactly one line starting with "error: ".</summary>
    public string ErrorLine
    {
        get
        {
            Assert.True(IsOneErrorLine, $"stderr is not one 'error: ' line:\n{this}");
            return ErrLines[0];
        }
    }

    public bool IsOneErrorLine => Err.EndsWith('\n') && ErrLines is [var line] && line.StartsWith("error: ", StringComparison.Ordinal) && !line.Contains('\r');

    public static string Shell(IEnumerable<string> args) => string.Join(' ', args.Select(Quote));

    public static string Quote(string a)
    {
        if (a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:@,+%{}".Contains(c))) return a;
        if (a.All(c => c >= ' ' && c != '\'' && c != 0x7f && !char.IsSurrogate(c) && !char.IsControl(c))) return $"'{a}'";
        var s = new StringBuilder("$'");
        foreach (char c in a)
            s.Append(c switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\'' => "\\'",
                '\\' => "\\\\",
                _ when c < ' ' || c == 0x7f || char.IsSurrogate(c) || char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return s.Append('\'').ToString();
    }

    private static string Tail(string text, int lines) => string.Join("\n", text.TrimEnd('\n').Split('\n').TakeLast(lines));

    public override string ToString() =>
        $"pdlf {Argv}\n  -> exit {Exit} in {Elapsed.TotalSeconds:F2} s{(Escaped is null ? "" : $", exception escaped: {Escaped}")}\n" +
        $"  stderr: {(Err.Length == 0 ? "(empty)" : Quote(Err))}\n  stdout (last lines): {Quote(Tail(Out, 4))}";
}

/// <summary>Runs <c>PdlfApp.Run</c> in process with stdout, stderr and Spectre's console captured; restores them afterwards.</summary>
public static class InProcessCli
{
    /// <summary>Runs <paramref name="args"/> in <paramref name="workingDirectory"/>; <paramref name="stopped"/> passes an already-cancelled stop token.</summary>
    public static CliRun Run(string workingDirectory, bool stopped, params string[] args)
    {
        using var source = new CancellationTokenSource();
        if (stopped) source.Cancel();
        return Run(workingDirectory, source.Token, args);
    }

    public static CliRun Run(string workingDirectory, CancellationToken stop, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError, oldAnsi, oldDirectory) = (Console.Out, Console.Error, AnsiConsole.Console, Environment.CurrentDirectory);
        int exit = int.MinValue;
        Exception? escaped = null;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            Console.SetOut(output);
            Console.SetError(error);
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            });
            console.Profile.Width = 200;
            AnsiConsole.Console = console;
            Environment.CurrentDirectory = workingDirectory;
            using var signals = StopSignals.FromToken(stop);
            exit = PdlfApp.Run(args, signals);
        }
        catch (Exception e)
        {
            escaped = e;
        }
        finally
        {
            stopwatch.Stop();
            Environment.CurrentDirectory = oldDirectory;
            AnsiConsole.Console = oldAnsi;
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
        return new CliRun(args, exit, output.ToString(), error.ToString(), stopwatch.Elapsed, escaped);
    }
}

/// <summary>
/// A temporary workspace for CLI tests: a finished copy run (and, with MuJoCo, a locomotion run; a cue run), plain
/// files, and fresh directories on demand. Everything lives below one temp directory removed at the end.
/// </summary>
public sealed class CliWorkspace : IDisposable
{
    /// <summary>The small budget every copy training of these tests uses.</summary>
    public static readonly string[] TinyCopy = ["--population", "4", "--hidden", "8", "--sequences", "2", "--test-sequences", "8", "--threads", "1", "--compare", "none"];
    public static readonly string[] TinyLocomotion = ["--population", "4", "--hidden", "8", "--episode-steps", "10", "--episodes-per-target", "1", "--threads", "1", "--compare", "none"];
    public static readonly string[] TinyCue = ["--batch", "2", "--hidden", "8", "--test-episodes", "8", "--threads", "1"];

    private int _next;
    private readonly Lazy<string> _copyRun, _cueRun;
    private readonly Lazy<string?> _locomotionRun;

    public CliWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("pdlf-cli-").FullName;
        RegularFile = Path.Combine(Root, "regular-file.txt");
        File.WriteAllText(RegularFile, "a regular file, not a directory\n");
        _copyRun = new(() => Train(["train", "copy", "--generations", "2", .. TinyCopy], "copy-run"));
        _cueRun = new(() => Train(["train", "cue", "--steps", "2", .. TinyCue], "cue-run"));
        _locomotionRun = new(() => MuJoCoProblem is null ? Train(["train", "swimmer_dir", "--generations", "1", .. TinyLocomotion], "swimmer-run") : null);
    }

    public string Root { get; }
    public string RegularFile { get; }

    /// <summary>Null when MuJoCo works here, else why not.</summary>
    public static string? MuJoCoProblem => PdlfFast.Tasks.Physics.MuJoCoAvailability.Diagnose();

    /// <summary>A finished 2-generation copy run (PDLF, hidden 8).</summary>
    public string CopyRun => _copyRun.Value;
    public string CopyCheckpoint => Path.Combine(CopyRun, "checkpoint.ckpt");
    public string CueRun => _cueRun.Value;
    public string CueCheckpoint => Path.Combine(CueRun, "checkpoint.ckpt");
    /// <summary>A finished 1-generation swimmer_dir run with 10-step episodes, or null without MuJoCo.</summary>
    public string? LocomotionRun => _locomotionRun.Value;
    public string? LocomotionCheckpoint => LocomotionRun is { } run ? Path.Combine(run, "checkpoint.ckpt") : null;

    /// <summary>A path below <see cref="Root"/> that does not exist yet.</summary>
    public string NewPath(string name = "p") => Path.Combine(Root, $"{name}-{Interlocked.Increment(ref _next)}");

    /// <summary>A new, empty directory.</summary>
    public string NewDirectory(string name = "d") => Directory.CreateDirectory(NewPath(name)).FullName;

    /// <summary>Runs pdlf in <see cref="Root"/> with a stop token that is never cancelled (the test's own cancellation aside).</summary>
    public CliRun Run(params string[] args) => InProcessCli.Run(Root, TestContext.Current.CancellationToken, args);

    /// <summary>Runs pdlf with an already-cancelled stop token: trainings stop before their first step.</summary>
    public CliRun RunStopped(params string[] args) => InProcessCli.Run(Root, stopped: true, args);

    /// <summary>Trains a run into a new directory and returns it (a failure here is a broken fixture, not the test's subject).</summary>
    public string Train(string[] args, string name)
    {
        string directory = NewPath(name);
        var run = InProcessCli.Run(Root, CancellationToken.None, [.. args, "--out", directory]);
        if (run.Exit != 0) throw new InvalidOperationException($"fixture training failed:\n{run}");
        return directory;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
