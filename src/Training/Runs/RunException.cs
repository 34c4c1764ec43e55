namespace PdlfFast.Training.Runs;

/// <summary>Whether a failure is the caller's input (fix the options) or the run's environment (disk, files, physics).</summary>
public enum RunErrorKind
{
    /// <summary>Something outside the caller's options failed: I/O, a damaged file, a missing native library.</summary>
    Runtime = 1,
    /// <summary>The options, config file or command are wrong or contradict the run they name.</summary>
    Usage = 2,
}

/// <summary>
/// An expected failure of a run, told in one line: <see cref="What"/> went wrong, at <see cref="Path"/> when a file
/// is involved. Hosts print <see cref="Exception.Message"/> (<c>what (path)</c>) and exit with <see cref="Kind"/>.
/// </summary>
/// <param name="what">What went wrong, as one lower-case clause.</param>
/// <param name="path">The file or directory involved, if any.</param>
/// <param name="kind">Whether the caller's input or the environment is at fault.</param>
/// <param name="inner">The exception that revealed the problem, if any.</param>
public class RunException(string what, string? path = null, RunErrorKind kind = RunErrorKind.Runtime, Exception? inner = null)
    : Exception(path is null ? what : $"{what} ({path})", inner)
{
    /// <summary>What went wrong, without the path.</summary>
    public string What { get; } = what;
    /// <summary>The file or directory involved, or null.</summary>
    public string? Path { get; } = path;
    /// <summary>Whether the caller's input or the environment is at fault; its numeric value is the exit code (<see cref="RunExitCodes"/>).</summary>
    public RunErrorKind Kind { get; } = kind;
}

/// <summary>A configuration that cannot run: a bad value, an unreadable config file, a resume that does not match.</summary>
/// <remarks>A <see cref="RunErrorKind.Usage"/> failure.</remarks>
/// <param name="what">What is wrong, as one lower-case clause.</param>
/// <param name="path">The file or directory involved, if any.</param>
/// <param name="inner">The exception that revealed the problem, if any.</param>
public sealed class ConfigException(string what, string? path = null, Exception? inner = null)
    : RunException(what, path, RunErrorKind.Usage, inner);

/// <summary>The exit codes of every run (documented in README).</summary>
public static class RunExitCodes
{
    /// <summary>The run finished (or had nothing left to do).</summary>
    public const int Done = 0;
    /// <summary>A <see cref="RunErrorKind.Runtime"/> failure: I/O, a damaged file, a missing native library.</summary>
    public const int RuntimeError = 1;
    /// <summary>A <see cref="RunErrorKind.Usage"/> failure: bad options, config or command.</summary>
    public const int UsageError = 2;
    /// <summary>Stopped by SIGINT (Ctrl+C) after finishing the step in flight and checkpointing (128 + 2).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (batch schedulers, docker stop) after finishing the step in flight and checkpointing (128 + 15).</summary>
    public const int Terminated = 143;
}
