using System.CommandLine;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cli;

/// <summary>
/// What the cluster build (pdlf-cluster, src/Cluster, JIT) adds to the commands: Orleans cannot run under native AOT,
/// so the AOT pdlf never references it and reports <c>--cluster</c> as unavailable.
/// </summary>
public interface IClusterExtension
{
    /// <summary>The <c>cluster</c> command (worker, status).</summary>
    Command Command(StopSignals stop);

    /// <summary>Joins the cluster at <paramref name="address"/> as the coordinator of a job (dispose to leave).</summary>
    IClusterConnection Connect(ClusterSettings settings);
}

/// <summary>A coordinator's membership of a cluster for one job; each run of the job gets its own evaluator.</summary>
public interface IClusterConnection : IDisposable
{
    /// <summary>Evaluates the run <paramref name="runKind"/> (see RunKinds) configured by <paramref name="configJson"/> on the cluster's workers.</summary>
    IGenerationEvaluator Evaluator(string runKind, string configJson);

    /// <summary>One line on the last generation's traffic and coordination time, for the progress display.</summary>
    string Describe(IGenerationEvaluator evaluator);
}

/// <summary>Where the cluster is and how this process takes part (<c>--cluster</c>, <c>--listen</c>, <c>--cluster-id</c>).</summary>
/// <param name="ReissueSeconds">A chunk not returned after this long goes to the next worker that asks.</param>
public sealed record ClusterSettings(string Address, string? Listen, string ClusterId, int LocalWorkerThreads, double ReissueSeconds = 30);

/// <summary>The options every training command takes for cluster runs.</summary>
public sealed class ClusterOptions
{
    public readonly Option<string?> Cluster = new("--cluster")
    {
        Description = "Evaluate on a cluster (cluster build only): localhost for workers on this machine, or redis://HOST:PORT for Redis membership. This process coordinates; start workers with 'pdlf-cluster cluster worker --cluster ADDR'.",
    };
    public readonly Option<string?> Listen = new("--listen") { Description = "With --cluster redis://...: this coordinator's IP address[:gateway port] for workers on other machines (default: loopback only, port 30000)." };
    public readonly Option<string?> ClusterId = new("--cluster-id") { Description = "With --cluster: the cluster's name; use one per run when runs share a Redis. Default pdlf." };
    public readonly Option<int?> ClusterThreads = new("--cluster-threads") { Description = "With --cluster: threads of a worker inside this coordinator process (0..1024). Default 0: only worker processes evaluate." };

    public readonly Option<double?> Reissue = new("--cluster-reissue") { Description = "With --cluster: seconds after which a chunk a worker has not returned goes to another (0.1..86400). Default 30." };

    public IEnumerable<Option> All => [Cluster, Listen, ClusterId, ClusterThreads, Reissue];

    /// <summary>The connection of a command line with --cluster, or null for a local run; a clear error without the cluster build.</summary>
    public IClusterConnection? Connect(ParseResult parse, IClusterExtension? extension)
    {
        if (parse.GetValue(Cluster) is not { } address)
        {
            if (parse.GetValue(Listen) is not null || parse.GetValue(ClusterId) is not null || parse.GetValue(ClusterThreads) is not null || parse.GetValue(Reissue) is not null)
                throw new ConfigException("--listen, --cluster-id, --cluster-threads and --cluster-reissue apply with --cluster");
            return null;
        }
        if (extension is null)
            throw new ConfigException("--cluster needs the cluster build of pdlf (Orleans does not run under native AOT): publish src/Cluster and run pdlf-cluster (see README, Cluster)");
        int local = parse.GetValue(ClusterThreads) ?? 0;
        if (local is < 0 or > 1024) throw new ConfigException($"--cluster-threads must be in 0..1024 (got {local})");
        double reissue = parse.GetValue(Reissue) ?? 30;
        if (!(reissue is >= 0.1 and <= 86400)) throw new ConfigException($"--cluster-reissue must be in 0.1..86400 seconds (got {reissue})");
        return extension.Connect(new ClusterSettings(address, parse.GetValue(Listen), parse.GetValue(ClusterId) ?? "pdlf", local, reissue));
    }
}
