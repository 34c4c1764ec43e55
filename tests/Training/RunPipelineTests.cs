using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tests.Training;

/// <summary>One line of the test logs below (kebab-case JSON like the project's logs).</summary>
public sealed record StepRecord(int Step, double? Test, double ElapsedSeconds);

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(StepRecord))]
internal sealed partial class PipelineJson : JsonSerializerContext;

/// <summary>A temporary directory removed (read-only parts made writable first) at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "pdlf-pipeline") => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>A new regular file in the directory.</summary>
    public string File(string name, string content = "not a directory\n")
    {
        string path = this[name];
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public string Dir(string name) => Directory.CreateDirectory(this[name]).FullName;

    /// <summary>Temporary files (<c>.NAME.PID.tmp</c>) anywhere below the directory.</summary>
    public string[] Temporaries() => Directory.EnumerateFiles(Path, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories).ToArray();

    public void Dispose()
    {
        try
        {
            foreach (var d in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
                if (!OperatingSystem.IsWindows()) System.IO.File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp directory must not fail the test.
        }
    }
}

/// <summary>
/// A training session that computes nothing: it counts steps, records when it was tested and checkpointed, and
/// stores its step count in a real <see cref="CheckpointFile"/>.
/// </summary>
internal sealed class CountingSession(string configJson = """{"task":"count"}""") : ITrainingSession
{
    public int Completed { get; private set; }
    public string ConfigJson { get; } = configJson;
    public List<int> Tests { get; } = [];
    public List<int> Checkpoints { get; } = [];
    public List<int> Loads { get; } = [];
    /// <summary>Runs inside <see cref="Step"/>, after the step is done (e.g. a signal arriving mid-step).</summary>
    public Action<int>? DuringStep { get; init; }

    public RunStep Step()
    {
        Completed++;
        DuringStep?.Invoke(Completed);
        return new RunStep(Completed, -Completed, Completed, 0, 0.001, 4);
    }

    public double Test()
    {
        Tests.Add(Completed);
        return Completed / 100.0;
    }

    public void SaveCheckpoint(string path)
    {
        CheckpointFile.Write(path, BitConverter.GetBytes(Completed));
        Checkpoints.Add(Completed);
    }

    public void LoadCheckpoint(string path)
    {
        Completed = BitConverter.ToInt32(CheckpointFile.Read(path));
        Loads.Add(Completed);
    }

    public static int StoredSteps(string checkpoint) => BitConverter.ToInt32(CheckpointFile.Read(checkpoint));

    public void Dispose()
    {
    }
}

public class RunLogTests
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<StepRecord> Type = PipelineJson.Default.StepRecord;

    private static string Line(StepRecord r) => JsonSerializer.Serialize(r, Type);

    private static string Lines(params int[] steps) => string.Concat(steps.Select(s => Line(new StepRecord(s, s % 2 == 0 ? s / 10.0 : null, s * 1.5)) + "\n"));

    [Fact]
    public void A_torn_last_line_is_dropped_with_a_warning_and_the_other_records_are_read()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2, 3) + """{"step":4,"elapsed-sec""");
        var warnings = new List<string>();
        var records = RunLog<StepRecord>.Read(path, Type, warnings.Add);
        Assert.Equal([1, 2, 3], records.Select(r => r.Step));
        var warning = Assert.Single(warnings);
        Assert.Contains("torn", warning);
        Assert.Contains(path, warning);
    }

    [Fact]
    public void A_torn_generation_log_line_is_dropped_by_CopyRun_ReadLog()
    {
        using var dir = new TempDir();
        var type = CopyRun.LogFormat.Type;
        var records = Enumerable.Range(0, 3).Select(g => new GenerationLog(g, 0.5f + g, 0.25f, 0.75f, 0, 0.1, 40, g == 2 ? 0.6 : null, g * 0.1)).ToArray();
        File.WriteAllText(dir[RunDirectory.LogName], string.Concat(records.Select(r => JsonSerializer.Serialize(r, type) + "\n")) + """{"generation":3,"best-fi""");
        var warnings = new List<string>();
        var read = CopyRun.ReadLog(dir.Path, warnings.Add);
        Assert.Equal(records, read);
        Assert.Single(warnings);
    }

    [Fact]
    public void Blank_trailing_lines_are_dropped_with_a_warning()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2) + "\n  \n\n");
        var warnings = new List<string>();
        Assert.Equal([1, 2], RunLog<StepRecord>.Read(path, Type, warnings.Add).Select(r => r.Step));
        Assert.Contains("blank", Assert.Single(warnings));
    }

    [Fact]
    public void The_blank_line_warning_counts_the_blank_lines()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2) + "\n\n"); // two blank lines after the last record's newline
        var warnings = new List<string>();
        RunLog<StepRecord>.Read(path, Type, warnings.Add);
        Assert.Contains("dropped 2 blank", Assert.Single(warnings));
    }

    /// <summary>
    /// The class documents "a blank or torn trailing line is dropped with a warning": one blank line (a file ending in
    /// "\n\n", or a line of spaces) must warn like two do.
    /// </summary>
    [Theory]
    [InlineData("\n")]
    [InlineData("   \n")]
    public void A_single_blank_trailing_line_is_dropped_with_a_warning(string tail)
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2) + tail);
        var warnings = new List<string>();
        Assert.Equal([1, 2], RunLog<StepRecord>.Read(path, Type, warnings.Add).Select(r => r.Step));
        Assert.Single(warnings);
    }

    [Fact]
    public void A_well_formed_log_reads_without_warnings()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2, 3));
        var warnings = new List<string>();
        Assert.Equal([1, 2, 3], RunLog<StepRecord>.Read(path, Type, warnings.Add).Select(r => r.Step));
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("""{"step":2,"elap""")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("""{"step":2,"unknown-key":1}""")]
    public void A_damaged_line_before_the_end_is_an_error_naming_the_line_and_the_file(string damaged)
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1) + damaged + "\n" + Lines(3, 4));
        var warnings = new List<string>();
        var e = Assert.Throws<RunException>(() => RunLog<StepRecord>.Read(path, Type, warnings.Add));
        Assert.Equal(RunErrorKind.Runtime, e.Kind);
        Assert.Contains("line 2", e.Message);
        Assert.EndsWith($"({path})", e.Message);
    }

    [Fact]
    public void A_missing_log_reads_as_empty()
    {
        using var dir = new TempDir();
        var warnings = new List<string>();
        Assert.Empty(RunLog<StepRecord>.Read(dir["missing.jsonl"], Type, warnings.Add));
        Assert.Empty(warnings);
    }

    [Fact]
    public void Open_keeps_only_the_covered_records_rewrites_atomically_and_appends_after_them()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2, 3, 4, 5) + """{"step":6,"te""");
        var warnings = new List<string>();
        using (var log = RunLog<StepRecord>.Open(path, Type, r => r.Step <= 3, out var kept, warnings.Add))
        {
            Assert.Equal([1, 2, 3], kept.Select(r => r.Step));
            Assert.Single(warnings); // the torn line
            Assert.Equal(Lines(1, 2, 3), File.ReadAllText(path));
            Assert.Empty(dir.Temporaries());
            log.Add(new StepRecord(4, 0.5, 9));
        }
        Assert.Equal(Lines(1, 2, 3) + Line(new StepRecord(4, 0.5, 9)) + "\n", File.ReadAllText(path));
    }

    [Fact]
    public void Open_stops_at_the_first_record_the_checkpoint_does_not_cover()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        File.WriteAllText(path, Lines(1, 2, 9, 3));
        using var log = RunLog<StepRecord>.Open(path, Type, r => r.Step <= 3, out var kept);
        Assert.Equal([1, 2], kept.Select(r => r.Step));
        Assert.Equal(Lines(1, 2), File.ReadAllText(path));
    }

    [Fact]
    public void Open_on_a_missing_log_starts_an_empty_one_and_Create_replaces_any_log()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        using (var log = RunLog<StepRecord>.Open(path, Type, _ => true, out var kept))
        {
            Assert.Empty(kept);
            log.Add(new StepRecord(1, null, 0));
        }
        Assert.Equal(Line(new StepRecord(1, null, 0)) + "\n", File.ReadAllText(path));
        using (RunLog<StepRecord>.Create(path, Type)) Assert.Equal("", File.ReadAllText(path));
        Assert.Empty(dir.Temporaries());
    }

    [Fact]
    public void A_damaged_log_is_not_rewritten_by_Open()
    {
        using var dir = new TempDir();
        string path = dir["log.jsonl"];
        string text = Lines(1) + "garbage\n" + Lines(3);
        File.WriteAllText(path, text);
        Assert.Throws<RunException>(() => RunLog<StepRecord>.Open(path, Type, _ => true, out _));
        Assert.Equal(text, File.ReadAllText(path));
    }
}

public class AtomicFileTests
{
    [Fact]
    public void Write_replaces_the_content_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        string path = dir["config.json"];
        AtomicFile.WriteText(path, "first, longer content");
        AtomicFile.WriteText(path, "second");
        Assert.Equal("second", File.ReadAllText(path));
        AtomicFile.Write(path, [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Empty(dir.Temporaries());
    }

    [Fact]
    public void Write_creates_missing_parent_directories()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "a", "b", "summary.json");
        AtomicFile.WriteText(path, "{}");
        Assert.Equal("{}", File.ReadAllText(path));
    }

    [Fact]
    public void RemoveStaleTemporaries_removes_other_processes_temporaries_but_not_this_ones()
    {
        using var dir = new TempDir();
        int pid = Environment.ProcessId;
        int other = pid == 12345 ? 12346 : 12345;
        string stale = dir.File($".checkpoint.ckpt.{other}.tmp");
        string staleLog = dir.File($".log.jsonl.{other + 1}.tmp");
        // A pid whose decimal form ends with this process's pid must not count as this process.
        string suffixPid = dir.File($".config.json.1{pid}.tmp");
        string mine = dir.File($".checkpoint.ckpt.{pid}.tmp");
        string notTemporary = dir.File("notes.tmp");
        string data = dir.File("checkpoint.ckpt");
        Assert.Equal(3, AtomicFile.RemoveStaleTemporaries(dir.Path));
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleLog));
        Assert.False(File.Exists(suffixPid));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(notTemporary));
        Assert.True(File.Exists(data));
    }

    [Fact]
    public void A_write_below_a_regular_file_is_a_RunException_naming_the_path()
    {
        using var dir = new TempDir();
        string file = dir.File("plain");
        string path = Path.Combine(file, "x");
        var e = Assert.Throws<RunException>(() => AtomicFile.WriteText(path, "content", "summary"));
        Assert.Equal(RunErrorKind.Runtime, e.Kind);
        Assert.Contains("summary", e.Message);
        Assert.EndsWith($"({path})", e.Message);
        Assert.Empty(dir.Temporaries());
    }

    /// <summary>
    /// A read-only directory (chmod 555) where that binds; as root (CI containers) chmod does not stop writes, so a
    /// path below a regular file stands in for the unwritable location.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_write_into_an_unwritable_location_is_a_RunException_naming_the_path()
    {
        using var dir = new TempDir();
        string locked = dir.Dir("read-only");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                     UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string target = ChmodBindsThisUser(locked) ? locked : Path.Combine(dir.File("plain"), "below-a-file");
        string path = Path.Combine(target, "config.json");
        var e = Assert.Throws<RunException>(() => AtomicFile.WriteText(path, "content", "config"));
        Assert.Equal(RunErrorKind.Runtime, e.Kind);
        Assert.EndsWith($"({path})", e.Message);
        Assert.Empty(Directory.GetFiles(locked));
        Assert.Empty(dir.Temporaries());
    }

    /// <summary>False when a write into <paramref name="readOnly"/> succeeds anyway (root).</summary>
    internal static bool ChmodBindsThisUser(string readOnly)
    {
        string probe = Path.Combine(readOnly, ".probe");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_path_is_a_ConfigException(string path) =>
        Assert.Throws<ConfigException>(() => AtomicFile.WriteText(path, "x"));
}

public class RunDirectoryTests
{
    private const string Resume = "pdlf train copy --out x --resume";

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void An_empty_path_is_a_ConfigException(string path) =>
        Assert.Throws<ConfigException>(() => RunDirectory.Open(path, RunStart.New, Resume));

    [Theory]
    [InlineData(RunStart.New)]
    [InlineData(RunStart.Resume)]
    [InlineData(RunStart.ResumeIfPresent)]
    public void A_regular_file_or_a_device_is_refused_as_naming_a_file(RunStart start)
    {
        using var dir = new TempDir();
        string file = dir.File("plain");
        foreach (var path in new[] { file, "/dev/null" })
        {
            var e = Assert.Throws<ConfigException>(() => RunDirectory.Open(path, start, Resume));
            Assert.Contains("names a file", e.Message);
            Assert.EndsWith($"({path})", e.Message);
        }
        Assert.Equal("not a directory\n", File.ReadAllText(file));
    }

    [Theory]
    [InlineData(RunDirectory.CheckpointName)]
    [InlineData(RunDirectory.LogName)]
    [InlineData(RunDirectory.ConfigName)]
    [InlineData(RunDirectory.SummaryName)]
    public void A_new_run_over_a_directory_holding_a_run_is_refused_with_the_resume_command(string runFile)
    {
        using var dir = new TempDir();
        string path = dir.File(runFile, "precious");
        var e = Assert.Throws<ConfigException>(() => RunDirectory.Open(dir.Path, RunStart.New, Resume));
        Assert.Contains("--resume", e.Message);
        Assert.Contains("already holds a run", e.Message);
        Assert.Equal("precious", File.ReadAllText(path));
        // The refusal released the lock: the same directory opens again.
        using var again = RunDirectory.Open(dir.Path, RunStart.ResumeIfPresent, Resume);
    }

    [Fact]
    public void Resume_of_a_missing_directory_is_refused_and_does_not_create_it()
    {
        using var dir = new TempDir();
        string path = dir["nothing-here"];
        var e = Assert.Throws<ConfigException>(() => RunDirectory.Open(path, RunStart.Resume, Resume));
        Assert.Contains("no run to resume", e.Message);
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void Resume_of_a_directory_without_a_checkpoint_is_refused()
    {
        using var dir = new TempDir();
        dir.File(RunDirectory.LogName, "");
        var e = Assert.Throws<ConfigException>(() => RunDirectory.Open(dir.Path, RunStart.Resume, Resume));
        Assert.Contains("no checkpoint", e.Message);
    }

    [Theory]
    [InlineData(RunStart.New)]
    [InlineData(RunStart.Resume)]
    [InlineData(RunStart.ResumeIfPresent)]
    public void A_directory_named_like_the_checkpoint_is_a_RunException(RunStart start)
    {
        using var dir = new TempDir();
        dir.Dir(RunDirectory.CheckpointName);
        var e = Assert.Throws<RunException>(() => RunDirectory.Open(dir.Path, start, Resume));
        Assert.IsNotType<ConfigException>(e);
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void A_held_directory_cannot_be_opened_again_until_it_is_released()
    {
        // FileShare.None takes a flock on Linux; flock locks belong to the open file description, so a second open in
        // this same process conflicts just as another process would.
        using var dir = new TempDir();
        using (RunDirectory.Open(dir.Path, RunStart.New, Resume))
        {
            var e = Assert.Throws<RunException>(() => RunDirectory.Open(dir.Path, RunStart.ResumeIfPresent, Resume));
            Assert.Contains("another process", e.Message);
            Assert.EndsWith($"({dir.Path})", e.Message);
        }
        using var second = RunDirectory.Open(dir.Path, RunStart.ResumeIfPresent, Resume);
        Assert.False(second.Resuming);
    }

    [Fact]
    public void Opening_removes_temporaries_left_by_killed_writers()
    {
        using var dir = new TempDir();
        int other = Environment.ProcessId == 4242 ? 4243 : 4242;
        string stale = dir.File($".{RunDirectory.CheckpointName}.{other}.tmp", "half a checkpoint");
        string staleLog = dir.File($".x.{other}.tmp");
        using var run = RunDirectory.Open(dir.Path, RunStart.New, Resume);
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleLog));
    }

    [Fact]
    public void ResumeIfPresent_resumes_only_when_there_is_a_checkpoint_and_paths_are_absolute()
    {
        using var dir = new TempDir();
        string path = dir["run"];
        using (var fresh = RunDirectory.Open(path, RunStart.ResumeIfPresent, Resume))
        {
            Assert.False(fresh.Resuming);
            Assert.True(Path.IsPathFullyQualified(fresh.Path));
            CheckpointFile.Write(fresh.CheckpointPath, [1]);
        }
        using var resumed = RunDirectory.Open(path, RunStart.ResumeIfPresent, Resume);
        Assert.True(resumed.Resuming);
        Assert.Equal(Path.Combine(path, RunDirectory.CheckpointName), resumed.CheckpointPath);
    }
}

public class CheckpointFileTests
{
    private const int HeaderLength = 20;

    private static byte[] Header(long length, int version = CheckpointFile.FormatVersion)
    {
        var header = new byte[HeaderLength];
        "PDLFCKPT"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), version);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), length);
        return header;
    }

    [Fact]
    public void Write_then_Read_round_trips_the_payload()
    {
        using var dir = new TempDir();
        string path = dir["checkpoint.ckpt"];
        var payload = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        CheckpointFile.Write(path, payload);
        Assert.Equal(payload, CheckpointFile.Read(path));
        Assert.Equal(HeaderLength + payload.Length + 8, new FileInfo(path).Length);
        CheckpointFile.Write(path, []);
        Assert.Empty(CheckpointFile.Read(path));
        Assert.Empty(dir.Temporaries());
    }

    [Fact]
    public async Task Dev_zero_is_refused_after_reading_only_a_header()
    {
        var stopwatch = Stopwatch.StartNew();
        var read = Task.Run(() => Record.Exception(() => CheckpointFile.Read("/dev/zero")), TestContext.Current.CancellationToken);
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.True(first == read, "CheckpointFile.Read(/dev/zero) did not return: it reads past the header");
        var e = Assert.IsType<CheckpointException>(await read);
        Assert.EndsWith("(/dev/zero)", e.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    /// <summary>Naming a directory or a missing file is refused before anything is opened (a RunException naming the path).</summary>
    [Fact]
    public void A_directory_or_a_missing_file_is_refused_naming_it()
    {
        using var dir = new TempDir();
        var directory = Assert.ThrowsAny<RunException>(() => CheckpointFile.Read(dir.Path));
        Assert.Contains("directory", directory.Message);
        Assert.EndsWith($"({dir.Path})", directory.Message);
        string missing = dir["missing.ckpt"];
        Assert.EndsWith($"({missing})", Assert.ThrowsAny<RunException>(() => CheckpointFile.Read(missing)).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void An_empty_path_is_a_ConfigException(string path)
    {
        Assert.Throws<ConfigException>(() => CheckpointFile.Read(path));
        Assert.Throws<ConfigException>(() => CheckpointFile.Write(path, [1]));
    }

    [Theory]
    [InlineData(CheckpointFile.MaxPayloadBytes)]
    [InlineData(1L << 30)]
    [InlineData(long.MaxValue)]
    [InlineData(-1L)]
    public void A_header_declaring_a_huge_payload_is_refused_without_allocating_it(long declared)
    {
        using var dir = new TempDir();
        string path = dir["huge.ckpt"];
        File.WriteAllBytes(path, [.. Header(declared), .. new byte[16]]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes reading a {new FileInfo(path).Length}-byte file");
        Assert.EndsWith($"({path})", e.Message);
    }

    [Fact]
    public void Truncated_or_padded_files_are_refused()
    {
        using var dir = new TempDir();
        string path = dir["checkpoint.ckpt"];
        CheckpointFile.Write(path, new byte[100]);
        var whole = File.ReadAllBytes(path);
        foreach (int length in new[] { 0, 5, HeaderLength, HeaderLength + 50, whole.Length - 1 })
        {
            File.WriteAllBytes(path, whole[..length]);
            Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
        }
        File.WriteAllBytes(path, [.. whole, 0]);
        Assert.Contains("padded", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
    }

    [Fact]
    public void Any_flipped_byte_is_detected()
    {
        using var dir = new TempDir();
        string path = dir["checkpoint.ckpt"];
        var payload = Encoding.UTF8.GetBytes("""{"model":"pdlf","hidden":8} and some parameters""");
        CheckpointFile.Write(path, payload);
        var whole = File.ReadAllBytes(path);
        for (int i = 0; i < whole.Length; i++)
        {
            var damaged = (byte[])whole.Clone();
            damaged[i] ^= 0x10;
            File.WriteAllBytes(path, damaged);
            var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
            if (i >= HeaderLength) Assert.Contains("checksum", e.Message);
        }
    }

    [Fact]
    public void Another_format_version_or_magic_is_refused()
    {
        using var dir = new TempDir();
        string path = dir["checkpoint.ckpt"];
        File.WriteAllBytes(path, [.. Header(0, version: 2), .. new byte[8]]);
        Assert.Contains("version 2", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
        File.WriteAllText(path, """{"this":"is json, not a checkpoint"}""");
        Assert.Contains("PDLFCKPT", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
    }

    [Fact]
    public void Write_below_a_regular_file_is_a_RunException()
    {
        using var dir = new TempDir();
        string file = dir.File("plain");
        Assert.Throws<RunException>(() => CheckpointFile.Write(Path.Combine(file, "checkpoint.ckpt"), [1]));
    }
}

public class ConfigDiffTests
{
    [Fact]
    public void Differences_name_each_differing_key_with_both_values_and_ignore_the_allowed_keys()
    {
        const string stored = """{"seed":1,"sigma":0.04,"model":"pdlf","generations":10,"threads":4}""";
        const string requested = """{"seed":2,"sigma":0.1,"model":"pdlf","generations":20,"threads":1}""";
        var differences = ConfigDiff.Differences(stored, requested, ["generations", "threads"]);
        Assert.Equal(["--seed: the run has 1, requested 2", "--sigma: the run has 0.04, requested 0.1"], differences);
        Assert.Empty(ConfigDiff.Differences(stored, stored, []));
        Assert.Empty(ConfigDiff.Differences(stored, """{"seed":1,"sigma":0.04,"model":"pdlf","generations":99,"threads":7}""", ["generations", "threads"]));
    }

    [Fact]
    public void A_key_on_one_side_only_is_a_difference()
    {
        var differences = ConfigDiff.Differences("""{"a":1,"b":"x"}""", """{"a":1,"c":true}""", []);
        Assert.Equal(["--b: the run has \"x\", requested (absent)", "--c: the run has (absent), requested true"], differences);
    }

    [Fact]
    public void EnsureSame_throws_a_ConfigException_listing_every_differing_option_and_the_file()
    {
        var stored = new CopyConfig { Hidden = 8, Population = 4, Generations = 2, Threads = 1 };
        var requested = stored with { Seed = 7, Sigma = 0.1f, Generations = 5, Threads = 2, TestEvery = 3 };
        var e = Assert.Throws<ConfigException>(() =>
            ConfigDiff.EnsureSame(stored.ToJson(), requested.ToJson(), CopyRun.ResumableOptions, "/runs/x/checkpoint.ckpt"));
        Assert.Contains("--seed: the run has 1, requested 7", e.Message);
        Assert.Contains("--sigma: the run has 0.04, requested 0.1", e.Message);
        Assert.DoesNotContain("--generations:", e.Message);
        Assert.DoesNotContain("--threads:", e.Message);
        Assert.DoesNotContain("--test-every:", e.Message);
        Assert.EndsWith("(/runs/x/checkpoint.ckpt)", e.Message);
        ConfigDiff.EnsureSame(stored.ToJson(), (stored with { Generations = 9, CheckpointEvery = 1 }).ToJson(), CopyRun.ResumableOptions, "x");
    }

    [Fact]
    public void A_stored_config_that_is_not_an_object_is_a_ConfigException() =>
        Assert.Throws<ConfigException>(() => ConfigDiff.Differences("[1,2]", "{}", []));
}

public class MemoryBudgetTests
{
    [Theory]
    [InlineData(1e15)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.MaxValue)]
    public void Absurd_sizes_are_a_ConfigException_naming_what_needs_them(double bytes)
    {
        var e = Assert.Throws<ConfigException>(() => MemoryBudget.Ensure(bytes, "the test run"));
        Assert.Contains("the test run", e.Message);
    }

    [Fact]
    public void More_than_three_quarters_of_the_available_memory_is_refused_and_small_sizes_pass()
    {
        Assert.Throws<ConfigException>(() => MemoryBudget.Ensure(0.9 * MemoryBudget.Available, "x"));
        MemoryBudget.Ensure(0, "x");
        MemoryBudget.Ensure(64 << 20, "x");
        MemoryBudget.Ensure(0.5 * MemoryBudget.Available, "x");
    }

    [Fact]
    public void A_population_matrix_beyond_one_arrays_limit_is_refused()
    {
        Assert.Throws<ConfigException>(() => MemoryBudget.EnsurePopulation(65536, 1L << 20));
        Assert.Throws<ConfigException>(() => MemoryBudget.EnsurePopulation(2, Array.MaxLength));
        MemoryBudget.EnsurePopulation(1, Array.MaxLength);
        MemoryBudget.EnsurePopulation(256, 10_000);
    }

    [Fact]
    public void A_huge_copy_config_is_refused_quickly_without_allocating()
    {
        var config = new CopyConfig { Hidden = 4096, Population = 65536, Threads = 1 };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        var e = Assert.Throws<ConfigException>(() => config.Validated());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.Contains("population 65536", e.Message);
        // Small configurations pass.
        var small = config with { Hidden = 8, Population = 4 };
        Assert.Same(small, small.Validated());
    }

    [Fact]
    public void Many_threads_with_big_batches_are_refused()
    {
        var config = new CopyConfig { Hidden = 4096, Population = 2, Sequences = 1 << 16, Threads = 1024 };
        Assert.Throws<ConfigException>(() => config.Validated());
    }
}

public class RunLoopTests
{
    private static readonly RunLogFormat<StepRecord> Format = new(PipelineJson.Default.StepRecord, r => r.Step, r => r.ElapsedSeconds,
        (done, _, test, elapsed) => new StepRecord(done, test, elapsed));

    private const string ResumeCommand = "pdlf train test --resume";

    private static IReadOnlyList<StepRecord> Log(RunDirectory run) => RunLog<StepRecord>.Read(run.LogPath, Format.Type);

    private sealed class Reports : IProgress<RunProgress>
    {
        public List<RunProgress> All { get; } = [];
        public void Report(RunProgress value) => All.Add(value);
    }

    [Fact]
    public void Runs_to_the_total_testing_and_checkpointing_every_n_steps_and_at_the_end()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Open(dir["run"], RunStart.New, ResumeCommand);
        var session = new CountingSession();
        var progress = new Reports();
        var outcome = RunLoop.Run(session, run, new RunSchedule(Total: 7, TestEvery: 3, CheckpointEvery: 2), Format, progress, CancellationToken.None);

        Assert.Equal(7, outcome.Completed);
        Assert.False(outcome.Stopped);
        Assert.Equal(0.07, outcome.FinalTest);
        Assert.Equal([3, 6, 7], session.Tests); // the final test reuses the test of the last step
        Assert.Equal([2, 4, 6, 7], session.Checkpoints);
        Assert.Equal(7, CountingSession.StoredSteps(run.CheckpointPath));
        var log = Log(run);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], log.Select(r => r.Step));
        Assert.Equal([3, 6, 7], log.Where(r => r.Test is not null).Select(r => r.Step));
        Assert.Equal(session.ConfigJson, File.ReadAllText(run.ConfigPath));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], progress.All.Select(p => p.Completed));
        Assert.Empty(session.Loads);
        Assert.Empty(dir.Temporaries());
    }

    [Fact]
    public void A_stop_requested_before_the_first_step_checkpoints_without_stepping()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Open(dir["run"], RunStart.New, ResumeCommand);
        var session = new CountingSession();
        var outcome = RunLoop.Run(session, run, new RunSchedule(5, 1, 1), Format, null, new CancellationToken(canceled: true));
        Assert.True(outcome.Stopped);
        Assert.Equal(0, outcome.Completed);
        Assert.Equal([0], session.Checkpoints);
        Assert.Equal(0, CountingSession.StoredSteps(run.CheckpointPath));
        Assert.Empty(Log(run));
        Assert.True(File.Exists(run.ConfigPath));
    }

    [Fact]
    public void A_stop_requested_during_a_step_finishes_logs_and_checkpoints_that_step()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Open(dir["run"], RunStart.New, ResumeCommand);
        using var signal = new CancellationTokenSource();
        var session = new CountingSession { DuringStep = done => { if (done == 3) signal.Cancel(); } };
        var outcome = RunLoop.Run(session, run, new RunSchedule(Total: 10, TestEvery: 100, CheckpointEvery: 100), Format, null, signal.Token);
        Assert.True(outcome.Stopped);
        Assert.Equal(3, outcome.Completed);
        Assert.Equal([1, 2, 3], Log(run).Select(r => r.Step));
        Assert.Equal([3], session.Checkpoints);
        Assert.Equal(3, CountingSession.StoredSteps(run.CheckpointPath));
        Assert.Equal([3], session.Tests); // the outcome's test is of the state that was saved
    }

    [Fact]
    public void A_resumed_run_continues_from_the_checkpoint_and_drops_log_records_beyond_it()
    {
        using var dir = new TempDir();
        string path = dir["run"];
        using (var run = RunDirectory.Open(path, RunStart.New, ResumeCommand))
            RunLoop.Run(new CountingSession(), run, new RunSchedule(4, 2, 2), Format, null, CancellationToken.None);
        // A crash after logging step 5 but before its checkpoint: the log is ahead of the checkpoint.
        File.AppendAllText(Path.Combine(path, RunDirectory.LogName), JsonSerializer.Serialize(new StepRecord(5, -999, 1e6), Format.Type) + "\n");

        using (var run = RunDirectory.Open(path, RunStart.Resume, ResumeCommand))
        {
            Assert.True(run.Resuming);
            var session = new CountingSession();
            var warnings = new List<string>();
            var outcome = RunLoop.Run(session, run, new RunSchedule(6, 2, 2), Format, null, CancellationToken.None, warnings.Add);
            Assert.Equal([4], session.Loads);
            Assert.Equal(6, outcome.Completed);
            Assert.False(outcome.Stopped);
            Assert.Equal([6], session.Checkpoints);
            var log = Log(run);
            Assert.Equal([1, 2, 3, 4, 5, 6], log.Select(r => r.Step));
            Assert.DoesNotContain(log, r => r.Test == -999 || r.ElapsedSeconds >= 1e6);
            // Elapsed time continues from the kept records; it does not restart at zero.
            Assert.True(log[4].ElapsedSeconds >= log[3].ElapsedSeconds);
            Assert.Empty(warnings);
        }
    }

    [Fact]
    public void A_resume_whose_log_is_shorter_than_the_checkpoint_warns_about_the_gap()
    {
        using var dir = new TempDir();
        string path = dir["run"];
        using (var run = RunDirectory.Open(path, RunStart.New, ResumeCommand))
            RunLoop.Run(new CountingSession(), run, new RunSchedule(4, 2, 2), Format, null, CancellationToken.None);
        File.WriteAllLines(Path.Combine(path, RunDirectory.LogName), File.ReadAllLines(Path.Combine(path, RunDirectory.LogName)).Take(2));
        using var resumed = RunDirectory.Open(path, RunStart.Resume, ResumeCommand);
        var warnings = new List<string>();
        RunLoop.Run(new CountingSession(), resumed, new RunSchedule(5, 2, 2), Format, null, CancellationToken.None, warnings.Add);
        Assert.Contains(warnings, w => w.Contains("gap"));
        Assert.Equal([1, 2, 5], Log(resumed).Select(r => r.Step));
    }

    [Fact]
    public void A_total_below_the_steps_done_is_refused_leaving_log_config_and_checkpoint_untouched()
    {
        using var dir = new TempDir();
        string path = dir["run"];
        using (var run = RunDirectory.Open(path, RunStart.New, ResumeCommand))
            RunLoop.Run(new CountingSession(), run, new RunSchedule(4, 2, 2), Format, null, CancellationToken.None);
        string logPath = Path.Combine(path, RunDirectory.LogName), configPath = Path.Combine(path, RunDirectory.ConfigName),
            checkpointPath = Path.Combine(path, RunDirectory.CheckpointName);
        // A log ahead of the checkpoint would be trimmed by a resume; a refused resume must not trim it.
        File.AppendAllText(logPath, JsonSerializer.Serialize(new StepRecord(5, null, 9), Format.Type) + "\n");
        var log = File.ReadAllBytes(logPath);
        var config = File.ReadAllBytes(configPath);
        var checkpoint = File.ReadAllBytes(checkpointPath);

        using (var run = RunDirectory.Open(path, RunStart.Resume, ResumeCommand))
        {
            var session = new CountingSession("""{"task":"count","changed":true}""");
            var e = Assert.Throws<ConfigException>(() => RunLoop.Run(session, run, new RunSchedule(3, 2, 2), Format, null, CancellationToken.None));
            Assert.Contains("4", e.Message);
            Assert.Empty(session.Checkpoints);
            Assert.Empty(session.Tests);
        }
        Assert.Equal(log, File.ReadAllBytes(logPath));
        Assert.Equal(config, File.ReadAllBytes(configPath));
        Assert.Equal(checkpoint, File.ReadAllBytes(checkpointPath));
    }

    [Fact]
    public void A_resume_of_a_finished_run_neither_steps_nor_checkpoints_again()
    {
        using var dir = new TempDir();
        string path = dir["run"];
        using (var run = RunDirectory.Open(path, RunStart.New, ResumeCommand))
            RunLoop.Run(new CountingSession(), run, new RunSchedule(4, 2, 2), Format, null, CancellationToken.None);
        var checkpoint = File.ReadAllBytes(Path.Combine(path, RunDirectory.CheckpointName));
        using var resumed = RunDirectory.Open(path, RunStart.Resume, ResumeCommand);
        var session = new CountingSession();
        var outcome = RunLoop.Run(session, resumed, new RunSchedule(4, 2, 2), Format, null, CancellationToken.None);
        Assert.Equal(4, outcome.Completed);
        Assert.False(outcome.Stopped);
        Assert.Empty(session.Checkpoints); // already checkpointed at 4
        Assert.Equal(checkpoint, File.ReadAllBytes(resumed.CheckpointPath));
        Assert.Equal([1, 2, 3, 4], Log(resumed).Select(r => r.Step));
    }

    [Fact]
    public void A_schedule_without_steps_is_refused()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Open(dir["run"], RunStart.New, ResumeCommand);
        Assert.Throws<ArgumentOutOfRangeException>(() => RunLoop.Run(new CountingSession(), run, new RunSchedule(0, 1, 1), Format, null, CancellationToken.None));
    }
}
