using System.Diagnostics;

namespace PdlfFast.Tests.Cli;

/// <summary>
/// Running out of space while checkpointing or logging: one line on stderr, exit code 1, no temporary files left,
/// the last good checkpoint intact, and a resume (once there is room) that ends where an undisturbed run ends.
/// </summary>
[Trait("Category", "EndToEnd")]
public class DiskFullTests
{
    private static readonly string Pdlf = Path.Combine(AppContext.BaseDirectory, "pdlf");

    private const string Budget = "train copy --generations 40 --population 16 --hidden 16 --sequences 4 --test-sequences 8 --test-every 10 " +
                                  "--checkpoint-every 10 --threads 1 --compare none";

    /// <summary>Runs pdlf through bash (for ulimit); returns the exit code and stderr.</summary>
    private static (int Exit, string Error) Bash(string script)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        // The runtime's W^X double mapping needs a file larger than a small ulimit -f allows.
        info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000));
        return (process.ExitCode, error.Result);
    }

    private static void AssertOneLineError(string error, string contains)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: cannot write the ", lines[0]);
        Assert.Contains(contains, lines[0]);
    }

    [Fact]
    public void A_file_size_limit_while_checkpointing_is_one_line_and_the_run_resumes_when_lifted()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-efbig-{Guid.NewGuid():N}");
        try
        {
            string straight = Path.Combine(root, "straight"), limited = Path.Combine(root, "limited");
            Assert.Equal(0, Bash($"'{Pdlf}' {Budget} --out '{straight}'").Exit);
            // Checkpoints of this network are ~27 KB: with a 16 KiB limit the first checkpoint cannot be written.
            // Ignoring SIGXFSZ turns the limit into an EFBIG write error (inherited through exec).
            var (exit, error) = Bash($"trap '' XFSZ; ulimit -f 16; exec '{Pdlf}' {Budget} --out '{limited}'");
            Assert.Equal(1, exit);
            AssertOneLineError(error, "file-size limit");
            Assert.Empty(Directory.GetFiles(limited, ".*.tmp"));
            Assert.Equal(0, Bash($"'{Pdlf}' {Budget} --out '{limited}' --resume").Exit);
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint.ckpt")), File.ReadAllBytes(Path.Combine(limited, "checkpoint.ckpt")));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_full_disk_while_checkpointing_keeps_the_last_checkpoint_and_the_run_resumes_elsewhere_bit_for_bit()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-enospc-{Guid.NewGuid():N}");
        string tiny = Path.Combine(root, "tiny");
        Directory.CreateDirectory(tiny);
        // A 64 KiB tmpfs: room for the first checkpoint (~27 KB) and the log, not for the second checkpoint's temporary copy.
        if (Bash($"mount -t tmpfs -o size=64k tmpfs '{tiny}'").Exit != 0)
        {
            Directory.Delete(root, recursive: true);
            Assert.Skip("cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN)");
        }
        try
        {
            string straight = Path.Combine(root, "straight"), full = Path.Combine(tiny, "run"), moved = Path.Combine(root, "moved");
            Assert.Equal(0, Bash($"'{Pdlf}' {Budget} --out '{straight}'").Exit);
            var (exit, error) = Bash($"'{Pdlf}' {Budget} --out '{full}'");
            Assert.Equal(1, exit);
            AssertOneLineError(error, "No space left on device");
            Assert.Empty(Directory.GetFiles(full, ".*.tmp"));
            // The user moves the run to a disk with room and resumes it there.
            Assert.Equal(0, Bash($"cp -r '{full}' '{moved}' && rm -f '{moved}/.lock'").Exit);
            Assert.Equal(0, Bash($"'{Pdlf}' {Budget} --out '{moved}' --resume").Exit);
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint.ckpt")), File.ReadAllBytes(Path.Combine(moved, "checkpoint.ckpt")));
        }
        finally
        {
            Bash($"umount '{tiny}'");
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_read_only_file_system_is_one_line_naming_the_directory()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-ro-{Guid.NewGuid():N}");
        string readOnly = Path.Combine(root, "ro");
        Directory.CreateDirectory(readOnly);
        if (Bash($"mount -t tmpfs -o size=64k,ro tmpfs '{readOnly}'").Exit != 0)
        {
            Directory.Delete(root, recursive: true);
            Assert.Skip("cannot mount a read-only tmpfs here (needs root with CAP_SYS_ADMIN)");
        }
        try
        {
            var (exit, error) = Bash($"'{Pdlf}' {Budget} --out '{readOnly}/run'");
            Assert.Equal(1, exit);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: cannot create the run directory: ", lines[0]);
            Assert.EndsWith($"({readOnly}/run)", lines[0]);
        }
        finally
        {
            Bash($"umount '{readOnly}'");
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
