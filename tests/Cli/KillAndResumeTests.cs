using System.Diagnostics;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tests.Cli;

/// <summary>
/// The stop/resume guarantees at process level: kill -9 at random moments of a run and of its resumes (including the
/// log rewrite at resume), SIGTERM mid-run; every resume must be accepted, and the finished run must be byte-identical
/// to one that was never interrupted.
/// </summary>
[Trait("Category", "EndToEnd")]
public class KillAndResumeTests
{
    private static readonly string Pdlf = Path.Combine(AppContext.BaseDirectory, "pdlf");

    private static readonly string[] Budget = ["train", "copy", "--generations", "40", "--population", "16", "--hidden", "16", "--sequences", "4",
        "--test-sequences", "32", "--test-every", "5", "--checkpoint-every", "3", "--threads", "1", "--compare", "none"];

    private static Process Start(string directory, bool resume) =>
        Processes.Start(Pdlf, [.. Budget, "--out", directory, .. (resume ? new[] { "--resume" } : [])]);

    private static int RunToEnd(string directory, bool resume)
    {
        using var process = Start(directory, resume);
        Assert.True(process.WaitForExit(120_000), "pdlf did not finish within 2 minutes");
        return process.ExitCode;
    }

    [Fact]
    public void Kill_9_at_any_moment_never_blocks_the_resume_and_the_run_ends_as_an_uninterrupted_one()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-kill-{Guid.NewGuid():N}");
        try
        {
            string straight = Path.Combine(root, "straight"), killed = Path.Combine(root, "killed");
            Assert.Equal(0, RunToEnd(straight, resume: false));
            var random = new Random(20261202); // the moments to kill at: fixed, so a failure can be replayed
            int kills = 0;
            for (int attempt = 0; attempt < 12; attempt++)
            {
                // --resume once the run exists, as a user would (also when the kill came before the first checkpoint); a kill
                // before the run wrote its config (a slow start on a loaded machine) left nothing to resume: start it anew.
                using var process = Start(killed, resume: File.Exists(Path.Combine(killed, "config.json")));
                if (process.WaitForExit(random.Next(150, 1200)))
                {
                    Assert.Equal(0, process.ExitCode);
                    break;
                }
                process.Kill();
                process.WaitForExit();
                kills++;
            }
            // On a loaded machine every kill can land before the run wrote its config: then there is nothing to resume yet.
            if (!File.Exists(Path.Combine(killed, "summary.json")) || kills == 12)
                Assert.Equal(0, RunToEnd(killed, resume: File.Exists(Path.Combine(killed, "config.json"))));
            Assert.True(kills > 0, "no kill landed: the budget is too small to test anything");
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint.ckpt")), File.ReadAllBytes(Path.Combine(killed, "checkpoint.ckpt")));
            var log = File.ReadAllLines(Path.Combine(killed, "log.jsonl"));
            Assert.Equal(40, log.Length);
            for (int g = 0; g < 40; g++) Assert.StartsWith($"{{\"generation\":{g},", log[g]);
            Assert.Empty(Directory.GetFiles(killed, ".*.tmp"));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Sigterm_finishes_the_generation_in_flight_checkpoints_and_exits_with_143()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-term-{Guid.NewGuid():N}");
        try
        {
            string straight = Path.Combine(root, "straight"), stopped = Path.Combine(root, "stopped");
            Assert.Equal(0, RunToEnd(straight, resume: false));
            using (var process = Start(stopped, resume: false))
            {
                // Wait for the first checkpoint, so the run is past start-up, then ask it to stop.
                var deadline = Stopwatch.StartNew();
                while (!File.Exists(Path.Combine(stopped, "checkpoint.ckpt")) && !process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
                Assert.False(process.HasExited, "the run ended before it could be stopped");
                Assert.True(Processes.Terminate(process));
                Assert.True(process.WaitForExit(60_000));
                Assert.Equal(143, process.ExitCode);
            }
            // Nothing lost: the checkpoint covers every generation the log holds, including the one in flight at the signal.
            int logged = File.ReadAllLines(Path.Combine(stopped, "log.jsonl")).Length;
            Assert.InRange(logged, 1, 39);
            Assert.Equal(logged, EvolutionRun<CopyEvaluator, CopyWorker>.ReadCheckpointGeneration(Path.Combine(stopped, "checkpoint.ckpt")));
            Assert.Equal(0, RunToEnd(stopped, resume: true));
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint.ckpt")), File.ReadAllBytes(Path.Combine(stopped, "checkpoint.ckpt")));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
