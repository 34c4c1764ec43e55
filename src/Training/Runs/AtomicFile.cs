namespace PdlfFast.Training.Runs;

/// <summary>
/// Whole-file writes that a crash cannot tear: the bytes go to a temporary file beside the target
/// (<c>.NAME.PID.tmp</c>), are flushed to disk and renamed over the target, so a reader sees the old file or the new
/// one, never a mixture. Failures become a <see cref="RunException"/> naming the file.
/// </summary>
/// <remarks>
/// The temporary name carries the process id, so writers in different processes never share one; two threads of
/// one process must not write the same path at once. Used for checkpoints (<see cref="Checkpoints.CheckpointFile"/>),
/// config, summary and log rewrites of a <see cref="RunDirectory"/>.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files; <see cref="RemoveStaleTemporaries"/> cleans up after killed writers.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/> atomically, creating its directory if needed.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="bytes">The whole new content.</param>
    /// <param name="what">What the file is, for error messages (e.g. "checkpoint").</param>
    /// <exception cref="ConfigException">The path is empty or not usable.</exception>
    /// <exception cref="RunException">The write failed (disk full, permissions, file-size limit); the temporary file is removed.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes, string what = "file")
    {
        string full = FullPath(path, what);
        string directory = System.IO.Path.GetDirectoryName(full)!;
        string temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}{TemporarySuffix}");
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            TryDelete(temporary);
            throw new RunException($"cannot write the {what}: {Describe(e)}", full, inner: e);
        }
    }

    /// <summary>
    /// What a failed file write throws: I/O errors (disk full is an IOException), permissions, and EFBIG (a file-size
    /// limit, e.g. ulimit -f), which .NET reports as an ArgumentOutOfRangeException from the write.
    /// </summary>
    public static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException { ParamName: "value" };

    /// <summary>The failure in words (EFBIG's .NET message talks about a parameter).</summary>
    public static string Describe(Exception e) => e is ArgumentOutOfRangeException
        ? "the file would exceed the file-size limit (EFBIG; see ulimit -f)"
        : e.Message;

    /// <summary><see cref="Write"/> of <paramref name="text"/> as UTF-8 (no byte-order mark).</summary>
    public static void WriteText(string path, string text, string what = "file") =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), what);

    /// <summary>
    /// Deletes temporary files left in <paramref name="directory"/> by writers that were killed mid-write (any process
    /// but this one; callers hold the directory's lock, so no other live process writes there).
    /// </summary>
    public static int RemoveStaleTemporaries(string directory)
    {
        int removed = 0;
        string mine = $".{Environment.ProcessId}{TemporarySuffix}";
        foreach (var file in Directory.EnumerateFiles(directory, "." + "*" + TemporarySuffix))
        {
            if (file.EndsWith(mine, StringComparison.Ordinal)) continue;
            if (TryDelete(file)) removed++;
        }
        return removed;
    }

    private static string FullPath(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException($"the {what} path is empty");
        try
        {
            return System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ConfigException($"the {what} path is not usable: {e.Message}", path, e);
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
