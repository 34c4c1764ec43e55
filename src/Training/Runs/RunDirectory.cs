namespace PdlfFast.Training.Runs;

/// <summary>How a run treats what its directory already holds.</summary>
public enum RunStart
{
    /// <summary>Start a new run; a directory that holds any run is refused (runs are never overwritten).</summary>
    New,
    /// <summary>
    /// Continue from the directory's checkpoint. No checkpoint is an error, unless the directory holds a run that was
    /// stopped before its first checkpoint (config.json is there): that run starts again, with a warning.
    /// </summary>
    Resume,
    /// <summary>Continue from the checkpoint if there is one, else start afresh (a comparison run its parent's resume reached first).</summary>
    ResumeIfPresent,
}

/// <summary>
/// One run's directory: <c>config.json</c>, <c>log.jsonl</c>, <c>checkpoint.ckpt</c>, <c>summary.json</c> and
/// <c>figures.txt</c> (the figures drawn for it). Opening it checks the path, takes an exclusive lock (two processes
/// never train in one directory; the lock dies with its process, also on kill -9), removes temporary files left by
/// killed writers and enforces <see cref="RunStart"/>.
/// </summary>
/// <remarks>
/// Hold it (and so the lock) for the whole run and dispose it at the end. The writers replace their file atomically
/// (<see cref="AtomicFile"/>). One thread at a time.
/// </remarks>
public sealed class RunDirectory : IDisposable
{
    /// <summary>The run's configuration as JSON (<see cref="ITrainingSession.ConfigJson"/>), rewritten at every start.</summary>
    public const string ConfigName = "config.json";
    /// <summary>The run's log, one JSON record per generation or step (<see cref="RunLog{T}"/>).</summary>
    public const string LogName = "log.jsonl";
    /// <summary>The latest checkpoint (<see cref="Checkpoints.CheckpointFile"/>).</summary>
    public const string CheckpointName = "checkpoint.ckpt";
    /// <summary>The finished run's summary as JSON, written by the host.</summary>
    public const string SummaryName = "summary.json";
    /// <summary>The figures drawn for the run, one path per line (<see cref="WriteFigures"/>).</summary>
    public const string FiguresName = "figures.txt";
    /// <summary>The lock file whose exclusive lock marks the directory as in use.</summary>
    public const string LockName = ".lock";

    private readonly FileStream _lock;

    private RunDirectory(string path, FileStream lockFile, bool resuming)
    {
        Path = path;
        _lock = lockFile;
        Resuming = resuming;
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }
    /// <summary>True when the run continues from the directory's checkpoint.</summary>
    public bool Resuming { get; }
    /// <summary>Full path of <see cref="ConfigName"/>.</summary>
    public string ConfigPath => System.IO.Path.Combine(Path, ConfigName);
    /// <summary>Full path of <see cref="LogName"/>.</summary>
    public string LogPath => System.IO.Path.Combine(Path, LogName);
    /// <summary>Full path of <see cref="CheckpointName"/>.</summary>
    public string CheckpointPath => System.IO.Path.Combine(Path, CheckpointName);
    /// <summary>Full path of <see cref="SummaryName"/>.</summary>
    public string SummaryPath => System.IO.Path.Combine(Path, SummaryName);
    /// <summary>Full path of <see cref="FiguresName"/>.</summary>
    public string FiguresPath => System.IO.Path.Combine(Path, FiguresName);

    /// <summary>The files that make a directory a run's (any of them present = the directory holds a run).</summary>
    public static IReadOnlyList<string> RunFiles { get; } = Array.AsReadOnly([CheckpointName, LogName, ConfigName, SummaryName]);

    /// <summary>
    /// Opens (creating if needed) and locks a run directory, applying <paramref name="start"/> to what it holds; the
    /// caller owns the result and disposes it to release the lock.
    /// </summary>
    /// <param name="path">The run directory.</param>
    /// <param name="start">What to do with an existing run.</param>
    /// <param name="resumeCommand">The command that resumes this run, for the refusal message (e.g. <c>pdlf train copy --out runs/x --resume</c>).</param>
    /// <param name="warn">Hears about a run that starts again because it was stopped before its first checkpoint.</param>
    /// <exception cref="ConfigException">
    /// The path is unusable or a file; a new run would overwrite one; there is nothing to resume.
    /// </exception>
    /// <exception cref="RunException">The directory cannot be created or written, or another process holds its lock.</exception>
    public static RunDirectory Open(string path, RunStart start, string resumeCommand, Action<string>? warn = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException("the run directory is an empty path");
        string full;
        try
        {
            full = System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ConfigException($"the run directory path is not usable: {e.Message}", path, e);
        }
        if (File.Exists(full)) throw new ConfigException("the run directory names a file, not a directory", path);
        if (start == RunStart.Resume && !Directory.Exists(full))
            throw new ConfigException("there is no run to resume: the directory does not exist", path);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot create the run directory: {e.Message}", path, inner: e);
        }
        var lockFile = Lock(full, path);
        try
        {
            string checkpoint = System.IO.Path.Combine(full, CheckpointName);
            if (Directory.Exists(checkpoint))
                throw new RunException($"{CheckpointName} is a directory, not a checkpoint; move it away", checkpoint);
            bool hasCheckpoint = File.Exists(checkpoint);
            switch (start)
            {
                case RunStart.New when RunFiles.Any(f => File.Exists(System.IO.Path.Combine(full, f))):
                    throw new ConfigException($"the directory already holds a run: continue it with '{resumeCommand}' (same options), " +
                                              "choose another --out, or delete the directory", path);
                case RunStart.Resume when !hasCheckpoint && !File.Exists(System.IO.Path.Combine(full, ConfigName)):
                    throw new ConfigException("there is no run to resume: the directory holds no checkpoint", path);
                case RunStart.Resume when !hasCheckpoint:
                    warn?.Invoke($"the run was stopped before its first checkpoint: starting it again ({path})");
                    break;
            }
            AtomicFile.RemoveStaleTemporaries(full);
            return new RunDirectory(full, lockFile, hasCheckpoint && start != RunStart.New);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    private static FileStream Lock(string full, string shown)
    {
        string lockPath = System.IO.Path.Combine(full, LockName);
        try
        {
            // FileShare.None takes an advisory flock on Unix: a second process opening it fails; the kernel drops it with the process.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunException($"cannot write in the run directory: {e.Message}", shown, inner: e);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new RunException("another process is running in this run directory (it holds .lock); wait for it or stop it", shown, inner: e);
        }
        catch (IOException e)
        {
            throw new RunException($"cannot write in the run directory: {e.Message}", shown, inner: e);
        }
    }

    /// <summary>Writes <see cref="ConfigName"/> atomically.</summary>
    public void WriteConfig(string json) => AtomicFile.WriteText(ConfigPath, json, "config");

    /// <summary>Writes <see cref="SummaryName"/> atomically.</summary>
    public void WriteSummary(string json) => AtomicFile.WriteText(SummaryPath, json, "summary");

    /// <summary>Records the figures drawn for this run (paths relative to the directory when inside it), one per line.</summary>
    public void WriteFigures(IEnumerable<string> files) =>
        AtomicFile.WriteText(FiguresPath, string.Concat(files.Select(f => System.IO.Path.GetRelativePath(Path, f) + "\n")), "figures list");

    /// <summary>Releases the directory's lock.</summary>
    public void Dispose() => _lock.Dispose();
}
