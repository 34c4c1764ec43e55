using System.Diagnostics;
using PdlfFast.Tests.Support;

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

    private static Process Start(string program, IEnumerable<string> arguments) => Processes.Start(program, arguments);

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

    /// <summary>
    /// The Redis server for the membership test: PDLF_TEST_REDIS (host:port; .ci/run starts one), else one started here
    /// on a free loopback port when redis-server is installed, else null.
    /// </summary>
    private static (string Endpoint, Process? Owned)? Redis()
    {
        if (Environment.GetEnvironmentVariable("PDLF_TEST_REDIS") is { Length: > 0 } given) return (given, null);
        int port = 40000 + Random.Shared.Next(0, 2000);
        try
        {
            var server = Start("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
            Thread.Sleep(300);
            return server.HasExited ? null : ($"127.0.0.1:{port}", server);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("redis")]
    public void Workers_killed_and_a_coordinator_killed_and_resumed_leave_the_local_checkpoint(string membership)
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-cluster-proc-{Guid.NewGuid():N}");
        int port = 32000 + Random.Shared.Next(0, 4000) * 2;
        string address = $"localhost:{port}";
        string[] listen = [];
        Process? redisServer = null;
        if (membership == "redis")
        {
            if (Redis() is not { } redis) { Assert.Skip("no Redis: set PDLF_TEST_REDIS=host:port or install redis-server"); return; }
            (address, redisServer) = ($"redis://{redis.Endpoint}", redis.Owned);
            listen = ["--listen", $"127.0.0.1:{port}", "--cluster-id", $"test-{port}"];
        }
        var workers = new List<Process>();
        try
        {
            string local = Path.Combine(root, "local"), remote = Path.Combine(root, "remote");
            using (var straight = Start(Pdlf, [.. Budget, "--out", local]))
                Assert.True(straight.WaitForExit(120_000) && straight.ExitCode == 0, "the local run failed");
            string[] cluster = ["--cluster", address, .. listen.Skip(2)];
            for (int w = 0; w < 3; w++) workers.Add(Start(PdlfCluster, ["cluster", "worker", .. cluster, "--threads", "1"]));
            string[] coordinate = [.. Budget, "--out", remote, "--cluster", address, .. listen, "--cluster-reissue", "1"];

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
            if (redisServer is not null)
            {
                redisServer.Kill();
                redisServer.WaitForExit();
                redisServer.Dispose();
            }
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_cluster_bench_measures_worker_processes_against_one_process_with_the_same_bits()
    {
        var rows = new PdlfFast.Cluster.ClusterBench(generations: 1, quick: true, workerProgram: PdlfCluster).Measure(workers: 2, threadsPerWorker: 1, _ => { });
        Assert.Equal(["copy", "synthetic (ant_dir size)", "swimmer_dir"], rows.Select(r => r.Workload));
        foreach (var row in rows)
        {
            Assert.True(row.SameBits, $"{row.Workload}: the cluster's mean differs from the local one");
            Assert.True(row.LocalEpisodesPerSecond > 0 && row.ClusterEpisodesPerSecond > 0, $"{row.Workload}: no episodes measured");
            Assert.InRange(row.CoordinationMilliseconds, 0, row.GenerationMilliseconds);
        }
        // Traffic grows with population + dimension: out, the copy genome's centre and sigma (8 bytes a parameter) to the
        // board and to each of the (one or two) workers that ran chunks, and headers; in, one float per item (64 members
        // x 1 episode) and chunk headers.
        Assert.InRange(rows[0].KiBOut * 1024, 2 * 8.0 * 53_505, 3 * (8.0 * 53_505 + 1024) + 1024);
        Assert.InRange(rows[0].KiBIn * 1024, 4.0 * 64, 4.0 * 64 + 16 * 64);
    }
}
