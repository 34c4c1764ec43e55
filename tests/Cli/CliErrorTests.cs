using System.Diagnostics;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tests.Cli;

/// <summary>
/// One test per defect a user can make (or a crash can leave behind): pdlf must answer with the documented exit code
/// and exactly one stderr line <c>error: what (path)</c>, and must leave existing runs as they were.
/// </summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class CliErrorTests(CliWorkspace workspace) : IClassFixture<CliWorkspace>
{
    private static readonly string[] TinyCopy = CliWorkspace.TinyCopy;

    private static string[] TrainCopy(string output, params string[] more) => ["train", "copy", "--generations", "2", .. TinyCopy, "--out", output, .. more];

    /// <summary>Asserts the exit code and one stderr line "error: ..." and returns that line.</summary>
    private static string Fails(CliRun run, int exit)
    {
        Assert.True(run.Escaped is null, $"an exception escaped PdlfApp.Run:\n{run}");
        Assert.True(run.Exit == exit, $"expected exit {exit}:\n{run}");
        return run.ErrorLine;
    }

    private static void EndsWithPath(string line, string path) => Assert.EndsWith($"({path})", line);

    private static string[] RunFiles(string directory) =>
        RunDirectory.RunFiles.Where(f => File.Exists(Path.Combine(directory, f))).ToArray();

    private static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void Unchanged(Dictionary<string, byte[]> before, string directory)
    {
        var after = Snapshot(directory);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
    }

    /// <summary>A finished copy run of its own (for tests that try to change it).</summary>
    private string FreshCopyRun(int generations = 2) => workspace.Train(["train", "copy", "--generations", generations.ToString(), .. TinyCopy], "run");

    [Fact]
    public void Out_naming_a_regular_file_is_a_usage_error()
    {
        string line = Fails(workspace.Run(TrainCopy(workspace.RegularFile)), RunExitCodes.UsageError);
        Assert.Contains("names a file", line);
        EndsWithPath(line, workspace.RegularFile);
        Assert.Equal("a regular file, not a directory\n", File.ReadAllText(workspace.RegularFile));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_out_is_a_usage_error(string output)
    {
        string line = Fails(workspace.Run(TrainCopy(output)), RunExitCodes.UsageError);
        Assert.Contains("empty", line);
    }

    [Fact]
    public void Out_naming_dev_null_is_a_usage_error()
    {
        string line = Fails(workspace.Run(TrainCopy("/dev/null")), RunExitCodes.UsageError);
        Assert.Contains("names a file", line);
        EndsWithPath(line, "/dev/null");
    }

    [Fact]
    public void Eval_of_an_empty_path_is_a_usage_error() =>
        Assert.Contains("empty", Fails(workspace.Run("eval", ""), RunExitCodes.UsageError));

    [Fact]
    public void Eval_of_dev_zero_fails_quickly_naming_it()
    {
        var run = workspace.Run("eval", "/dev/zero");
        string line = Fails(run, RunExitCodes.RuntimeError);
        EndsWithPath(line, "/dev/zero");
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(5), $"took {run.Elapsed}");
    }

    [Fact]
    public void Eval_of_a_directory_is_a_usage_error_naming_it()
    {
        string directory = workspace.NewDirectory();
        string line = Fails(workspace.Run("eval", directory), RunExitCodes.UsageError);
        Assert.Contains("directory", line);
        EndsWithPath(line, directory);
    }

    [Fact]
    public void Eval_of_a_missing_checkpoint_is_a_usage_error_naming_it()
    {
        string missing = workspace.NewPath("missing.ckpt");
        EndsWithPath(Fails(workspace.Run("eval", missing), RunExitCodes.UsageError), missing);
    }

    [Fact]
    public void Eval_with_plots_naming_a_regular_file_is_a_usage_error()
    {
        string line = Fails(workspace.Run("eval", workspace.CopyCheckpoint, "--plots", workspace.RegularFile), RunExitCodes.UsageError);
        Assert.Contains("--plots", line);
        EndsWithPath(line, workspace.RegularFile);
    }

    [Theory]
    [InlineData("--threads", "2")]
    [InlineData("--fraction", "0.3")]
    [InlineData("--episodes", "2")]
    [InlineData("--injury", "temporary")]
    public void Eval_of_a_copy_checkpoint_with_a_locomotion_option_is_a_usage_error(string option, string value)
    {
        string line = Fails(workspace.Run("eval", workspace.CopyCheckpoint, option, value), RunExitCodes.UsageError);
        Assert.Contains(option, line);
    }

    [Fact]
    public void Eval_of_a_SpikePropamine_checkpoint_is_a_usage_error() =>
        EndsWithPath(Fails(workspace.Run("eval", workspace.CueCheckpoint), RunExitCodes.UsageError), workspace.CueCheckpoint);

    [Fact]
    public void Generalise_with_out_naming_a_regular_file_is_a_usage_error()
    {
        if (workspace.LocomotionCheckpoint is not { } checkpoint)
        {
            Assert.Skip($"needs a locomotion checkpoint: {CliWorkspace.MuJoCoProblem}");
            return;
        }
        string line = Fails(workspace.Run("generalise", checkpoint, "--targets", "2", "--out", workspace.RegularFile), RunExitCodes.UsageError);
        Assert.Contains("--out", line);
        EndsWithPath(line, workspace.RegularFile);
    }

    /// <summary>A refused command touches nothing: generalise of a mistyped checkpoint path must not create its directory.</summary>
    [Theory]
    [InlineData("generalise")]
    [InlineData("steer")]
    public void Generalise_or_steer_of_a_missing_checkpoint_creates_no_directory(string command)
    {
        string missingDirectory = workspace.NewPath("typo");
        string checkpoint = Path.Combine(missingDirectory, "run", "checkpoint.ckpt");
        var run = workspace.Run(command, checkpoint);
        Assert.NotEqual(RunExitCodes.Done, run.Exit);
        Assert.True(run.IsOneErrorLine, run.ToString());
        Assert.False(Directory.Exists(missingDirectory), $"{command} created {missingDirectory} for a checkpoint that does not exist");
    }

    [Fact]
    public void A_value_that_does_not_parse_names_the_option_and_the_value_without_type_names()
    {
        string line = Fails(workspace.Run("train", "copy", "--length", "abc"), RunExitCodes.UsageError);
        Assert.Contains("--length", line);
        Assert.Contains("'abc'", line);
        Assert.DoesNotContain("System.", line);
    }

    /// <summary>Values come from scripts too: one with a line break must still give one line without .NET type names.</summary>
    [Fact]
    public void A_value_with_a_line_break_is_reported_on_one_line_without_type_names()
    {
        var run = workspace.Run("train", "copy", "--length", "a\nb");
        Assert.Equal(RunExitCodes.UsageError, run.Exit);
        Assert.True(run.IsOneErrorLine, run.ToString());
        Assert.DoesNotContain("System.", run.Err);
    }

    [Theory]
    [InlineData("train", "copy", "--bogus", "1")]
    [InlineData("train", "copy", "--generation", "2")]
    [InlineData("eval")]
    [InlineData("frobnicate")]
    [InlineData("train", "copy", "--model", "lstm", "--out", "{out}")]
    [InlineData("train", "copy", "--population", "3", "--out", "{out}")]
    [InlineData("train", "swimmer_dir", "--policy", "lstm", "--out", "{out}")]
    [InlineData("train", "cue", "--rule", "lstm", "--out", "{out}")]
    [InlineData("train", "cue", "--freeze", "everything", "--out", "{out}")]
    public void Unknown_options_commands_and_values_are_usage_errors(params string[] args)
    {
        string output = workspace.NewPath();
        Fails(workspace.Run(args.Select(a => a.Replace("{out}", output)).ToArray()), RunExitCodes.UsageError);
        Assert.False(Directory.Exists(output), "a refused command created its output directory");
    }

    [Fact]
    public void Resume_of_an_empty_directory_is_a_usage_error_not_a_new_run()
    {
        string directory = workspace.NewDirectory("empty");
        string line = Fails(workspace.Run(TrainCopy(directory, "--resume")), RunExitCodes.UsageError);
        Assert.Contains("no run to resume", line);
        Assert.Empty(RunFiles(directory));
    }

    [Fact]
    public void Resume_of_a_missing_directory_is_a_usage_error_and_creates_nothing()
    {
        string directory = workspace.NewPath("missing");
        var run = workspace.Run(["train", "copy", "--generations", "2", .. TinyCopy, "--out", directory, "--resume"]);
        EndsWithPath(Fails(run, RunExitCodes.UsageError), directory);
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void A_new_run_over_a_run_directory_is_refused_suggesting_resume()
    {
        string directory = FreshCopyRun();
        var before = Snapshot(directory);
        string line = Fails(workspace.Run(TrainCopy(directory)), RunExitCodes.UsageError);
        Assert.Contains("--resume", line);
        EndsWithPath(line, directory);
        Unchanged(before, directory);
    }

    [Fact]
    public void Train_cue_over_an_existing_run_directory_is_refused()
    {
        string directory = FreshCopyRun();
        var before = Snapshot(directory);
        string line = Fails(workspace.Run(["train", "cue", "--steps", "2", .. CliWorkspace.TinyCue, "--out", directory]), RunExitCodes.UsageError);
        Assert.Contains("--resume", line);
        Unchanged(before, directory);
    }

    [Fact]
    public void Resume_with_fewer_generations_than_done_is_refused_leaving_the_run_unchanged()
    {
        string directory = FreshCopyRun(generations: 3);
        var before = Snapshot(directory);
        string line = Fails(workspace.Run(["train", "copy", "--generations", "2", .. TinyCopy, "--out", directory, "--resume"]), RunExitCodes.UsageError);
        Assert.Contains("--generations", line);
        Assert.Contains("3", line);
        Unchanged(before, directory);
    }

    [Fact]
    public void Resume_with_another_seed_and_sigma_is_refused_naming_both()
    {
        string directory = FreshCopyRun();
        var before = Snapshot(directory);
        var run = workspace.Run(["train", "copy", "--generations", "4", .. TinyCopy, "--seed", "5", "--sigma", "0.1", "--out", directory, "--resume"]);
        string line = Fails(run, RunExitCodes.UsageError);
        Assert.Contains("--seed", line);
        Assert.Contains("--sigma", line);
        Assert.DoesNotContain("--generations:", line);
        Unchanged(before, directory);
    }

    [Fact]
    public void A_configuration_too_big_for_memory_is_refused_quickly()
    {
        string output = workspace.NewPath();
        var run = workspace.Run("train", "copy", "--hidden", "4096", "--population", "65536", "--threads", "1", "--compare", "none", "--out", output);
        string line = Fails(run, RunExitCodes.UsageError);
        Assert.Contains("population", line);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(5), $"took {run.Elapsed}");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_directory_named_checkpoint_ckpt_is_a_one_line_error_and_the_log_survives()
    {
        string directory = FreshCopyRun();
        string checkpoint = Path.Combine(directory, RunDirectory.CheckpointName);
        File.Delete(checkpoint);
        Directory.CreateDirectory(checkpoint);
        var before = Snapshot(directory);
        var run = workspace.Run(["train", "copy", "--generations", "4", .. TinyCopy, "--out", directory, "--resume"]);
        Assert.NotEqual(RunExitCodes.Done, run.Exit);
        Assert.True(run.IsOneErrorLine, run.ToString());
        Assert.Contains(RunDirectory.CheckpointName, run.Err);
        Unchanged(before, directory);
        Assert.True(Directory.Exists(checkpoint));
    }

    [Fact]
    public void Stale_temporaries_of_killed_writers_are_removed_by_the_next_run()
    {
        string directory = workspace.NewDirectory("stale");
        int other = Environment.ProcessId == 999_999 ? 999_998 : 999_999;
        string stale = Path.Combine(directory, $".{RunDirectory.CheckpointName}.{other}.tmp");
        File.WriteAllText(stale, "half a checkpoint");
        var run = workspace.Run(TrainCopy(directory));
        Assert.True(run.Exit == 0, run.ToString());
        Assert.False(File.Exists(stale));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void A_torn_last_log_line_is_dropped_with_a_warning_and_the_resumed_log_is_whole()
    {
        string directory = FreshCopyRun(generations: 2);
        string log = Path.Combine(directory, RunDirectory.LogName);
        File.AppendAllText(log, """{"generation":2,"best-fitness":-0.9""");
        var run = workspace.Run(["train", "copy", "--generations", "4", .. TinyCopy, "--out", directory, "--resume"]);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("warning", run.Out);
        Assert.Contains("torn", run.Out);
        var lines = File.ReadAllLines(log);
        Assert.Equal(4, lines.Length);
        var warnings = new List<string>();
        var records = CopyRun.ReadLog(directory, warnings.Add);
        Assert.Empty(warnings);
        Assert.Equal([0, 1, 2, 3], records.Select(r => r.Generation));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void A_stopped_run_exits_130_after_checkpointing_and_resumes_to_the_end()
    {
        string directory = workspace.NewPath("stopped");
        var stopped = workspace.RunStopped(TrainCopy(directory));
        Assert.True(stopped.Exit == RunExitCodes.Interrupted, stopped.ToString());
        Assert.Equal("", stopped.Err);
        Assert.True(File.Exists(Path.Combine(directory, RunDirectory.CheckpointName)));
        Assert.Contains("--resume", stopped.Out);
        var resumed = workspace.Run(TrainCopy(directory, "--resume"));
        Assert.True(resumed.Exit == 0, resumed.ToString());
        Assert.Equal([0, 1], CopyRun.ReadLog(directory).Select(r => r.Generation));
    }

    [Fact]
    public void A_config_file_that_is_a_device_a_directory_or_garbage_is_a_usage_error()
    {
        string garbage = Path.Combine(workspace.NewDirectory(), "config.json");
        File.WriteAllText(garbage, "{\"hidden\": \"eight\"}");
        foreach (var config in new[] { "/dev/zero", "/dev/null", workspace.Root, garbage, workspace.NewPath("missing.json") })
        {
            var stopwatch = Stopwatch.StartNew();
            var run = workspace.Run(TrainCopy(workspace.NewPath(), "--config", config));
            Fails(run, RunExitCodes.UsageError);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"--config {config} took {stopwatch.Elapsed}");
        }
    }

    /// <summary>Options with a fixed list of values (--compare, --injury, --shape, --size) must refuse others on one line.</summary>
    [Theory]
    [InlineData("train", "copy", "--compare", "lstm")]
    [InlineData("train", "swimmer_dir", "--compare", "lstm")]
    [InlineData("eval", "x.ckpt", "--injury", "broken")]
    [InlineData("steer", "x.ckpt", "--shape", "triangle")]
    [InlineData("bench", "--size", "huge")]
    public void A_value_outside_a_fixed_list_is_refused_on_one_line(params string[] args)
    {
        string line = Fails(workspace.Run(args), RunExitCodes.UsageError);
        Assert.Contains(args[^2], line);
    }

    [Fact]
    public void Bench_part_cluster_without_the_cluster_build_names_the_build_that_has_it()
    {
        string line = Fails(workspace.Run("bench", "--part", "cluster", "--quick"), RunExitCodes.UsageError);
        Assert.Contains("needs the cluster build (pdlf-cluster", line);
    }

    [Fact]
    public void Bench_part_gru_measures_the_twin_the_step_and_the_batch_without_allocating()
    {
        var run = workspace.Run("bench", "--part", "gru", "--quick");
        Assert.True(run.Exit == 0, run.ToString());
        var rows = run.Out.Split('\n').Where(l => l.Contains("scalar twin (Step)") || l.Contains("Step, ") || l.Contains("StepBatch x 32")).ToArray();
        Assert.Equal(3, rows.Length);
        // Last column: bytes allocated per step.
        Assert.All(rows, row => Assert.Matches(@"\s0\s*\S\s*$", row));
        Assert.DoesNotContain("PGPE generations", run.Out); // only the part asked for
    }

    /// <summary>bench's --threads validator reads the value before it is known to parse; a bad value must be a usage error.</summary>
    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    public void Bench_with_a_threads_value_that_does_not_parse_is_a_usage_error(string threads)
    {
        string line = Fails(workspace.Run("bench", "--quick", "--threads", threads), RunExitCodes.UsageError);
        Assert.Contains("--threads", line);
    }

    /// <summary>Paths come from scripts: one with a NUL character cannot name a file, and must be a usage error, not exit 70.</summary>
    [Theory]
    [InlineData("generalise", "run\\0/checkpoint.ckpt")]
    [InlineData("steer", "run\\0/checkpoint.ckpt")]
    [InlineData("eval", "run\\0/checkpoint.ckpt")]
    [InlineData("train", "copy", "--config", "config\\0.json", "--out", "{out}")]
    [InlineData("train", "cue", "--config", "config\\0.json", "--out", "{out}")]
    [InlineData("train", "copy", "--generations", "2", "--out", "out\\0put")]
    public void A_path_with_a_nul_character_is_a_usage_error(params string[] args)
    {
        string output = workspace.NewPath();
        var argv = args.Select(a => a.Replace("\\0", "\0").Replace("{out}", output).Replace("{ckpt}", workspace.CopyCheckpoint)).ToArray();
        Fails(workspace.Run(argv), RunExitCodes.UsageError);
    }

    /// <summary>"freeze": null in a SpikePropamine config is a bad value like any other, not a NullReferenceException (exit 70).</summary>
    [Fact]
    public void A_null_freeze_list_in_a_config_file_is_a_usage_error()
    {
        Assert.Throws<ConfigException>(() => SpikePropamineConfig.FromJson("""{"freeze":null}""", "test").Validated());
        string file = Path.Combine(workspace.NewDirectory(), "cue.json");
        File.WriteAllText(file, """{"hidden":8,"freeze":null}""");
        string line = Fails(workspace.Run(["train", "cue", "--config", file, "--steps", "2", .. CliWorkspace.TinyCue, "--out", workspace.NewPath()]), RunExitCodes.UsageError);
        EndsWithPath(line, file);
    }

    /// <summary>System.CommandLine expands @file arguments (response files): a directory there must be a usage error, not exit 70.</summary>
    [Fact]
    public void A_response_file_naming_a_directory_is_a_usage_error()
    {
        var run = workspace.Run("@" + workspace.NewDirectory());
        Assert.True(run.Exit == RunExitCodes.UsageError, run.ToString());
        Assert.True(run.IsOneErrorLine, run.ToString());
    }

    /// <summary>
    /// "pdlf @/dev/zero" reads the device as a response file until memory runs out (exit 70 after seconds and gigabytes).
    /// Run in a child process so that this process's memory is not at stake; killed after 30 s.
    /// </summary>
    [Fact]
    public async Task A_response_file_naming_an_endless_device_is_refused_quickly()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "pdlf.dll");
        if (!File.Exists(cli))
        {
            Assert.Skip($"the pdlf assembly is not next to the tests ({cli})");
            return;
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = workspace.Root };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("@/dev/zero");
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x40000000"; // 1 GiB: fail fast instead of eating the machine
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        bool exited = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            exited = false;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        string err = await stderr;
        await stdout;
        Assert.True(exited, "pdlf @/dev/zero did not finish in 30 s");
        Assert.True(process.ExitCode == RunExitCodes.UsageError, $"exit {process.ExitCode}, stderr: {err}");
        Assert.StartsWith("error: ", err);
    }
}
