using System.Diagnostics;

namespace PdlfFast.Tests.Cluster;

/// <summary>
/// The cluster as users run it: pdlf-cluster worker processes and a coordinator process on loopback. A worker killed
/// with kill -9 mid-run, and the coordinator killed and resumed while the workers wait, must leave the final
/// checkpoint byte-identical to a local single-process run.
/// </summary>
[Trait("Category", "EndToEnd")]
public class ClusterProcessTests
{
    private static readonly string PdlfCluster = Path.Combine(AppContext.BaseDirectory, "pdlf-cluster");
    private static readonly string Pdlf = Path.Combine(AppContext.BaseDirectory, "pdlf");

    private static readonly string[] Budget = ["train", "copy", "--generations", "30", "--population", "16", "--hidden", "16", "--sequences", "4",
        "--test-sequences", "32", "--test-every", "5", "--checkpoint-every", "3", "--threads", "1", "--compare", "none"];

    private static Process Start(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int Lines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void Workers_killed_and_a_coordinator_killed_and_resumed_leave_the_local_checkpoint()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-cluster-proc-{Guid.NewGuid():N}");
        int port = 32000 + Random.Shared.Next(0, 4000) * 2;
        string address = $"localhost:{port}";
        var workers = new List<Process>();
        try
        {
            string local = Path.Combine(root, "local"), remote = Path.Combine(root, "remote");
            using (var straight = Start(Pdlf, [.. Budget, "--out", local]))
                Assert.True(straight.WaitForExit(120_000) && straight.ExitCode == 0, "the local run failed");
            for (int w = 0; w < 3; w++) workers.Add(Start(PdlfCluster, ["cluster", "worker", "--cluster", address, "--threads", "1"]));
            string[] coordinate = [.. Budget, "--out", remote, "--cluster", address, "--cluster-reissue", "1"];

            // The coordinator is killed (kill -9) a few generations in; the workers keep waiting for it.
            using (var first = Start(PdlfCluster, coordinate))
            {
                WaitFor(() => Lines(Path.Combine(remote, "log.jsonl")) >= 7 || first.HasExited, "the first generations");
                Assert.False(first.HasExited, "the coordinator ended before it could be killed");
                first.Kill();
                first.WaitForExit();
            }
            using var resumed = Start(PdlfCluster, [.. coordinate, "--resume"]);
            // A worker is killed mid-run: its chunks are re-issued to the others.
            WaitFor(() => Lines(Path.Combine(remote, "log.jsonl")) >= 15 || resumed.HasExited, "the resumed run's progress");
            workers[0].Kill();
            Assert.True(resumed.WaitForExit(120_000), "the resumed coordinator did not finish");
            Assert.Equal(0, resumed.ExitCode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(local, "checkpoint.ckpt")), File.ReadAllBytes(Path.Combine(remote, "checkpoint.ckpt")));
            Assert.Equal(30, Lines(Path.Combine(remote, "log.jsonl")));
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited) worker.Kill();
                worker.WaitForExit();
                worker.Dispose();
            }
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
