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
public class RunException(string what, string? path = null, RunErrorKind kind = RunErrorKind.Runtime, Exception? inner = null)
    : Exception(path is null ? what : $"{what} ({path})", inner)
{
    public string What { get; } = what;
    public string? Path { get; } = path;
    public RunErrorKind Kind { get; } = kind;
}

/// <summary>A configuration that cannot run: a bad value, an unreadable config file, a resume that does not match.</summary>
public sealed class ConfigException(string what, string? path = null, Exception? inner = null)
    : RunException(what, path, RunErrorKind.Usage, inner);

/// <summary>The exit codes of every run (documented in README).</summary>
public static class RunExitCodes
{
    public const int Done = 0;
    public const int RuntimeError = 1;
    public const int UsageError = 2;
    /// <summary>Stopped by SIGINT (Ctrl+C) after finishing the step in flight and checkpointing (128 + 2).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (batch schedulers, docker stop) after finishing the step in flight and checkpointing (128 + 15).</summary>
    public const int Terminated = 143;
}
