using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PdlfFast.Cli;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;
using Spectre.Console;

namespace PdlfFast.Cluster;

/// <summary>One workload's figures: local process against coordinator + worker processes on the same machine.</summary>
public sealed record ClusterBenchRow(string Workload, int Workers, int ThreadsPerWorker, double LocalEpisodesPerSecond, double ClusterEpisodesPerSecond,
    double KiBOut, double KiBIn, double CoordinationMilliseconds, double GenerationMilliseconds, bool SameBits)
{
    public double Ratio => ClusterEpisodesPerSecond / LocalEpisodesPerSecond;
}

/// <summary>
/// <c>pdlf-cluster bench --part cluster</c>: episodes/s of W worker processes with T threads each (plus the coordinator,
/// all on this machine, over loopback) against one process with W x T threads, measured in one run with generations
/// interleaved (local, cluster, local, ...), so that a machine whose speed drifts does not bias the ratio. Also the
/// bytes and coordination milliseconds per generation, and whether both ended with the same bits.
/// </summary>
/// <param name="workerProgram">The pdlf-cluster executable the worker processes run (default: this process's own).</param>
public sealed class ClusterBench(int generations, bool quick, string? workerProgram = null)
{
    public IReadOnlyList<ClusterBenchRow> Measure(int workers, int threadsPerWorker, Action<string> status)
    {
        var rows = new List<ClusterBenchRow>();
        var copy = new CopyConfig { Threads = workers * threadsPerWorker, Seed = 3 };
        if (quick) copy = copy with { Population = 64 };
        rows.Add(Measure("copy", RunKinds.Copy, copy.ToJson(), () => CopyRun.CreateSession(copy), workers, threadsPerWorker, status));
        var synthetic = new SyntheticConfig { Threads = workers * threadsPerWorker, Seed = 3, EpisodeSteps = quick ? 200 : 1000 };
        rows.Add(Measure("synthetic (ant_dir size)", RunKinds.Synthetic, synthetic.ToJson(), synthetic.CreateSession, workers, threadsPerWorker, status));
        string? physics = Tasks.Physics.MuJoCoAvailability.Diagnose();
        if (physics is null)
        {
            var swimmer = new LocomotionConfig { Task = "swimmer_dir", Threads = workers * threadsPerWorker, Seed = 3, EpisodeSteps = quick ? 200 : 1000 };
            rows.Add(Measure("swimmer_dir", RunKinds.Locomotion, swimmer.ToJson(), () => LocomotionRun.CreateSession(swimmer), workers, threadsPerWorker, status));
        }
        else status($"swimmer_dir skipped: {physics}");
        return rows;
    }

    private ClusterBenchRow Measure<TEvaluator, TWorker>(string name, string runKind, string configJson, Func<EvolutionSession<TEvaluator, TWorker>> create,
        int workers, int threads, Action<string> status)
        where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
    {
        int port = FreePortPair();
        string clusterId = $"bench-{Guid.NewGuid():N}"[..14];
        using var connection = new OrleansCluster().Connect(new ClusterSettings($"localhost:{port}", null, clusterId, 0));
        var processes = new List<Process>();
        try
        {
            for (int w = 0; w < workers; w++) processes.Add(StartWorker(workerProgram, port, clusterId, threads));
            using var local = create();
            using var remote = create();
            var coordinator = (Coordinator)connection.Evaluator(runKind, configJson);
            remote.Run.Remote = coordinator;
            status($"{name}: warming up (JIT, {workers} worker processes joining)");
            local.Run.Step();
            remote.Run.Step();
            double localSeconds = 0, remoteSeconds = 0, coordination = 0, bytesOut = 0, bytesIn = 0;
            long localEpisodes = 0, remoteEpisodes = 0;
            for (int g = 0; g < generations; g++)
            {
                status($"{name}: generation {g + 1} of {generations}, local then cluster");
                var l = local.Run.Step();
                localSeconds += l.Seconds;
                localEpisodes += l.Episodes;
                var r = remote.Run.Step();
                remoteSeconds += r.Seconds;
                remoteEpisodes += r.Episodes;
                var traffic = coordinator.LastTraffic;
                coordination += traffic.CoordinationMilliseconds;
                bytesOut += traffic.BytesOut;
                bytesIn += traffic.BytesIn;
            }
            bool same = local.Run.Strategy.Mean.SequenceEqual(remote.Run.Strategy.Mean);
            return new ClusterBenchRow(name, workers, threads, localEpisodes / localSeconds, remoteEpisodes / remoteSeconds,
                bytesOut / generations / 1024, bytesIn / generations / 1024, coordination / generations, 1000 * remoteSeconds / generations, same);
        }
        finally
        {
            foreach (var process in processes)
            {
                try
                {
                    if (!process.HasExited) process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
                process.Dispose();
            }
        }
    }

    private static Process StartWorker(string? program, int port, string clusterId, int threads)
    {
        string self = program ?? Environment.ProcessPath ?? throw new RunException("cannot find this program's path to start worker processes");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A framework-dependent start (dotnet pdlf-cluster.dll) passes the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ClusterBench).Assembly.Location);
        foreach (string arg in new[] { "cluster", "worker", "--cluster", $"localhost:{port}", "--cluster-id", clusterId, "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new RunException("cannot start a worker process");
        // Drain their output so a full pipe never blocks them.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A gateway port whose next port (the silo's) is free as well.</summary>
    private static int FreePortPair()
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            int port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (port >= 65534) continue;
            try
            {
                using var second = new TcpListener(IPAddress.Loopback, port + 1);
                second.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another pair
            }
        }
        throw new RunException("no free pair of loopback ports for the benchmark's coordinator");
    }

    /// <summary>Prints the table (the part of <c>pdlf-cluster bench</c> the cluster build adds).</summary>
    public static int Run(bool quick, int maxThreads)
    {
        int workers = 2, threads = Math.Max(1, maxThreads / 2);
        var bench = new ClusterBench(quick ? 3 : 8, quick);
        AnsiConsole.MarkupLineInterpolated($"[bold]cluster part[/]: {workers} worker processes x {threads} thread(s) + coordinator on this machine (loopback) vs one process with {workers * threads} threads; generations interleaved");
        IReadOnlyList<ClusterBenchRow> rows = [];
        AnsiConsole.Status().Start("starting", context => rows = bench.Measure(workers, threads, s => context.Status(Markup.Escape(s))));
        var table = new Table().Title("ES generations: worker processes vs one process (same machine)")
            .AddColumns("workload", "one process eps/s", "cluster eps/s", "cluster / local", "KiB out / gen", "KiB in / gen", "coordination ms / gen", "share of gen", "same bits");
        foreach (var r in rows)
            table.AddRow(r.Workload, F(r.LocalEpisodesPerSecond, "F1"), F(r.ClusterEpisodesPerSecond, "F1"), F(r.Ratio, "F2"), F(r.KiBOut, "F0"), F(r.KiBIn, "F1"),
                F(r.CoordinationMilliseconds, "F1"), F(r.CoordinationMilliseconds / r.GenerationMilliseconds, "P1"), r.SameBits ? "yes" : "[red]NO[/]");
        AnsiConsole.Write(table);
        return rows.All(r => r.SameBits) ? RunExitCodes.Done : RunExitCodes.RuntimeError;
        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
    }
}
