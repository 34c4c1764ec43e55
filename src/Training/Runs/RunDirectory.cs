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
public sealed class RunDirectory : IDisposable
{
    public const string ConfigName = "config.json", LogName = "log.jsonl", CheckpointName = "checkpoint.ckpt",
        SummaryName = "summary.json", FiguresName = "figures.txt", LockName = ".lock";

    private readonly FileStream _lock;

    private RunDirectory(string path, FileStream lockFile, bool resuming)
    {
        Path = path;
        _lock = lockFile;
        Resuming = resuming;
    }

    public string Path { get; }
    /// <summary>True when the run continues from the directory's checkpoint.</summary>
    public bool Resuming { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, ConfigName);
    public string LogPath => System.IO.Path.Combine(Path, LogName);
    public string CheckpointPath => System.IO.Path.Combine(Path, CheckpointName);
    public string SummaryPath => System.IO.Path.Combine(Path, SummaryName);
    public string FiguresPath => System.IO.Path.Combine(Path, FiguresName);

    /// <summary>The files that make a directory a run's (any of them present = the directory holds a run).</summary>
    public static readonly string[] RunFiles = [CheckpointName, LogName, ConfigName, SummaryName];

    /// <param name="path">The run directory.</param>
    /// <param name="start">What to do with an existing run.</param>
    /// <param name="resumeCommand">The command that resumes this run, for the refusal message (e.g. <c>pdlf train copy --out runs/x --resume</c>).</param>
    /// <param name="warn">Hears about a run that starts again because it was stopped before its first checkpoint.</param>
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

    public void WriteConfig(string json) => AtomicFile.WriteText(ConfigPath, json, "config");

    public void WriteSummary(string json) => AtomicFile.WriteText(SummaryPath, json, "summary");

    /// <summary>Records the figures drawn for this run (paths relative to the directory when inside it), one per line.</summary>
    public void WriteFigures(IEnumerable<string> files) =>
        AtomicFile.WriteText(FiguresPath, string.Concat(files.Select(f => System.IO.Path.GetRelativePath(Path, f) + "\n")), "figures list");

    public void Dispose() => _lock.Dispose();
}
