using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace PdlfFast.Training.Runs;

/// <summary>
/// A run's JSONL log: one record per generation or gradient step, appended and flushed as the run goes. A crash can
/// only ever tear the last line (appends) or nothing at all (rewrites are atomic), so a blank or torn trailing line
/// is dropped with a warning; a damaged line before the end means the file was edited and is an error.
/// </summary>
/// <typeparam name="T">The record type (source-generated JSON, so it works under native AOT).</typeparam>
public sealed class RunLog<T> : IDisposable where T : class
{
    private readonly StreamWriter _writer;
    private readonly JsonTypeInfo<T> _type;

    private RunLog(string path, StreamWriter writer, JsonTypeInfo<T> type)
    {
        Path = path;
        _writer = writer;
        _type = type;
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Largest log read back (a million generations take about 250 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Reads every record; a missing file is an empty log. <paramref name="warn"/> hears about a dropped trailing line.</summary>
    public static IReadOnlyList<T> Read(string path, JsonTypeInfo<T> type, Action<string>? warn = null)
    {
        if (!File.Exists(path)) return [];
        string[] lines;
        try
        {
            // Read no more than the file's size says (a device such as /dev/zero in its place reads as empty).
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            long length = stream.Length;
            if (length > MaxBytes) throw new RunException($"the log is larger than {MaxBytes >> 20} MiB: not a run log", path);
            var bytes = new byte[length];
            int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            lines = Encoding.UTF8.GetString(bytes, 0, read).Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot read the log: {e.Message}", path, inner: e);
        }
        int end = lines.Length;
        while (end > 0 && string.IsNullOrWhiteSpace(lines[end - 1])) end--;
        bool blankTail = end < lines.Length;
        var records = new List<T>(end);
        for (int i = 0; i < end; i++)
        {
            T? record = null;
            try
            {
                record = JsonSerializer.Deserialize(lines[i], type);
            }
            catch (JsonException)
            {
            }
            if (record is not null)
            {
                records.Add(record);
                continue;
            }
            if (i == end - 1)
            {
                warn?.Invoke($"dropped a torn last line of the log (line {i + 1}: a write was cut off) ({path})");
                return records;
            }
            throw new RunException($"the log is damaged at line {i + 1} of {end}; move it away to resume without the history", path);
        }
        // Split leaves one empty element after the final newline; any more are blank lines.
        int blanks = lines.Length - end - (lines[^1].Length == 0 ? 1 : 0);
        if (blankTail && blanks > 0) warn?.Invoke($"dropped {blanks} blank trailing line{(blanks == 1 ? "" : "s")} of the log ({path})");
        return records;
    }

    /// <summary>
    /// Opens the log for appending after keeping only the records that <paramref name="keep"/> accepts (those a
    /// checkpoint covers: a crash may have logged steps the checkpoint does not hold). The kept records are written
    /// to a temporary file and renamed over the log, so a kill during the rewrite leaves the old log intact.
    /// </summary>
    public static RunLog<T> Open(string path, JsonTypeInfo<T> type, Func<T, bool> keep, out IReadOnlyList<T> kept, Action<string>? warn = null)
    {
        var all = Read(path, type, warn);
        var keptList = all.TakeWhile(keep).ToArray();
        kept = keptList;
        var text = new StringBuilder();
        foreach (var record in keptList) text.Append(JsonSerializer.Serialize(record, type)).Append('\n');
        if (keptList.Length != all.Count || File.Exists(path)) AtomicFile.WriteText(path, text.ToString(), "log");
        return Append(path, type);
    }

    /// <summary>Starts a new, empty log (replacing any file there atomically).</summary>
    public static RunLog<T> Create(string path, JsonTypeInfo<T> type)
    {
        AtomicFile.WriteText(path, "", "log");
        return Append(path, type);
    }

    private static RunLog<T> Append(string path, JsonTypeInfo<T> type)
    {
        try
        {
            return new RunLog<T>(path, new StreamWriter(path, append: true, new UTF8Encoding(false)), type);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot open the log: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Appends one record and flushes it, so a crash loses at most the line being written.</summary>
    public void Add(T record)
    {
        try
        {
            _writer.Write(JsonSerializer.Serialize(record, _type));
            _writer.Write('\n');
            _writer.Flush();
        }
        catch (Exception e) when (AtomicFile.IsWriteFailure(e))
        {
            throw new RunException($"cannot write the log: {AtomicFile.Describe(e)}", Path, inner: e);
        }
    }

    /// <summary>Closes the file (every record was flushed as it was added).</summary>
    public void Dispose()
    {
        try
        {
            _writer.Dispose();
        }
        catch (IOException)
        {
            // Disposing flushes nothing new (every Add flushed); a failing close must not hide the error that got us here.
        }
    }
}
