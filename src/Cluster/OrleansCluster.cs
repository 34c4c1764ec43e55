using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;
using PdlfFast.Cli;
using PdlfFast.Cli.Commands;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cluster;

/// <summary>
/// Where a cluster is: <c>localhost[:GATEWAYPORT]</c> (one machine; workers connect to the coordinator's gateway on
/// loopback) or <c>redis://HOST:PORT</c> (Redis membership: the coordinator registers there, workers find it there).
/// </summary>
public sealed record ClusterAddress(string? Redis, int GatewayPort)
{
    public const int DefaultGatewayPort = 30000;

    /// <summary>The coordinator silo's own port (silo-to-silo traffic): next to the gateway.</summary>
    public int SiloPort => GatewayPort + 1;

    public static ClusterAddress Parse(string address)
    {
        string text = address.Trim();
        if (text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            string endpoint = text["redis://".Length..].TrimEnd('/');
            int colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int redisPort) || redisPort is < 1 or > 65535)
                throw new ConfigException($"--cluster {address}: give Redis as redis://HOST:PORT");
            return new ClusterAddress(endpoint, DefaultGatewayPort);
        }
        string host = text;
        int port = DefaultGatewayPort;
        int separator = text.LastIndexOf(':');
        if (separator > 0)
        {
            host = text[..separator];
            if (!int.TryParse(text[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65534)
                throw new ConfigException($"--cluster {address}: the port must be a number in 1..65534");
        }
        if (host != "localhost" && host != "127.0.0.1")
            throw new ConfigException($"--cluster {address}: use localhost[:PORT] (one machine) or redis://HOST:PORT (several)");
        return new ClusterAddress(null, port);
    }

    /// <summary>Where the coordinator listens: loopback unless <c>--listen ADDR[:GATEWAYPORT]</c> says otherwise.</summary>
    public (IPAddress Address, int GatewayPort) Listen(string? listen)
    {
        if (listen is null) return (IPAddress.Loopback, GatewayPort);
        string host = listen;
        int port = GatewayPort;
        int separator = listen.LastIndexOf(':');
        if (separator > 0 && !listen.EndsWith(']') && listen.Count(c => c == ':') == 1)
        {
            host = listen[..separator];
            if (!int.TryParse(listen[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65534)
                throw new ConfigException($"--listen {listen}: the port must be a number in 1..65534");
        }
        if (!IPAddress.TryParse(host.Trim('[', ']'), out var ip))
            throw new ConfigException($"--listen {listen}: give this machine's IP address (e.g. 10.0.0.5 or 10.0.0.5:30000)");
        if (Redis is null && !IPAddress.IsLoopback(ip))
            throw new ConfigException("--listen with another address than loopback needs Redis membership (--cluster redis://HOST:PORT)");
        return (ip, port);
    }
}

/// <summary>The Orleans side of pdlf-cluster: a coordinator silo for training runs, worker and status clients.</summary>
public sealed class OrleansCluster : IClusterExtension, IClusterBench
{
    public int RunClusterBench(bool quick, int maxThreads) => ClusterBench.Run(quick, maxThreads);

    public IClusterConnection Connect(ClusterSettings settings)
    {
        var address = ClusterAddress.Parse(settings.Address);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IHostLifetime, SignalsAreOurs>();
        Quiet(builder.Logging);
        var (listen, gatewayPort) = address.Listen(settings.Listen);
        builder.UseOrleans(silo =>
        {
            if (address.Redis is null) silo.UseLocalhostClustering(gatewayPort + 1, gatewayPort);
            else silo.UseRedisClustering(address.Redis).ConfigureEndpoints(listen, gatewayPort + 1, gatewayPort);
            silo.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (settings.ClusterId, "pdlf"));
            // Silo and gateway endpoints alike: with TLS no plain connection reaches the coordinator.
            if (settings.Tls is { } tls)
                silo.UseTls(tls.Certificate, o => Secure(o, tls, Warn($"refused a TLS peer (a worker, cluster status or another silo) whose certificate is not the cluster's ({tls.Arguments})")));
            if (settings.LocalWorkerThreads > 0)
            {
                silo.Services.AddSingleton(new WorkerOptions(settings.LocalWorkerThreads));
                silo.Services.AddHostedService<ClusterWorker>();
            }
        });
        var host = builder.Build();
        try
        {
            host.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            host.Dispose();
            throw new RunException($"cannot start the coordinator on {listen}, ports {gatewayPort} and {gatewayPort + 1} (another coordinator running? Redis down?): {TrainingConsole.OneLine(e.Message)}");
        }
        Console.WriteLine($"cluster: coordinating at {settings.Address} (listening on {listen}:{gatewayPort}, cluster id {settings.ClusterId}{(settings.Tls is null ? "" : ", TLS")}); start workers with: pdlf-cluster cluster worker --cluster {settings.Address}{(settings.ClusterId == "pdlf" ? "" : $" --cluster-id {settings.ClusterId}")}{(settings.Tls is { } t ? $" {t.Arguments}" : "")}");
        return new Connection(host, host.Services.GetRequiredService<IGrainFactory>(),
            new CoordinatorOptions { ReissueAfter = TimeSpan.FromSeconds(settings.ReissueSeconds) });
    }

    private sealed class Connection(IHost host, IGrainFactory grains, CoordinatorOptions options) : IClusterConnection
    {
        public IGenerationEvaluator Evaluator(string runKind, string configJson) => new Coordinator(grains, runKind, configJson, options);

        public string Describe(IGenerationEvaluator evaluator)
        {
            var t = ((Coordinator)evaluator).LastTraffic;
            return string.Create(CultureInfo.InvariantCulture, $"cluster {t.BytesOut / 1024.0:F0} KiB out {t.BytesIn / 1024.0:F1} KiB in, evaluated in {t.Milliseconds:F0} ms, coordination {t.CoordinationMilliseconds:F0} ms{(t.Reissued > 0 ? $" {t.Reissued} re-issued" : "")}");
        }

        public void Dispose()
        {
            try
            {
                host.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            }
            finally
            {
                host.Dispose();
            }
        }
    }

    public Command Command(StopSignals stop)
    {
        var cluster = new Command("cluster", "Cluster roles (pdlf-cluster only): workers that evaluate for a coordinator (pdlf-cluster train TASK ... --cluster ADDR), and their status.");
        cluster.Subcommands.Add(WorkerCommand(stop));
        cluster.Subcommands.Add(StatusCommand());
        return cluster;
    }

    private static Option<string> AddressOption() => new("--cluster") { Description = "The cluster: localhost[:PORT] (the coordinator's gateway port, default 30000) or redis://HOST:PORT (Redis membership).", Required = true };
    private static Option<string?> IdOption() => new("--cluster-id") { Description = "The cluster's name, as the coordinator's --cluster-id. Default pdlf." };

    /// <summary>
    /// The TLS settings of every node: a certificate is required both ways (the coordinator authenticates workers as
    /// they authenticate it), and a peer passes only <see cref="ClusterTls.Accepts"/>; the machine's trusted roots and
    /// host names play no part (see <see cref="ClusterTls"/>). <paramref name="refused"/> hears of each refused peer.
    /// </summary>
    private static void Secure(TlsOptions options, ClusterTls tls, Action<X509Certificate2, string> refused)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, chain, _) =>
        {
            if (tls.Accepts(certificate, chain, out string why)) return true;
            refused(certificate, why);
            return false;
        };
    }

    /// <summary>A stderr warning for each distinct refused certificate (a refused worker retries every second: one line, not one a second).</summary>
    private static Action<X509Certificate2, string> Warn(string what)
    {
        var seen = new ConcurrentDictionary<string, bool>();
        return (certificate, why) =>
        {
            if (seen.TryAdd(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), true))
                Console.Error.WriteLine($"warning: cluster: {what}: {ClusterTls.Describe(certificate)}: {why}");
        };
    }

    private static Command WorkerCommand(StopSignals stop)
    {
        var address = AddressOption();
        var id = IdOption();
        var threads = new Option<int?>("--threads") { Description = "Threads evaluating items (results do not depend on it). Default: all cores." };
        var certificate = ClusterTls.CertificateOption();
        var password = ClusterTls.PasswordVariableOption();
        var command = new Command("worker", "Evaluate work items for the cluster's coordinator until stopped (Ctrl+C, SIGTERM); waits for a coordinator and reconnects when it restarts.")
        {
            address, id, threads, certificate, password,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var where = ClusterAddress.Parse(parse.GetValue(address)!);
            int n = parse.GetValue(threads) ?? Environment.ProcessorCount;
            if (n is < 1 or > 1024) throw new ConfigException($"--threads must be in 1..1024 (got {n})");
            var tls = ClusterTls.Load(parse.GetValue(certificate), parse.GetValue(password));
            // The worker keeps retrying a coordinator it refuses (or that refuses it): the warning says why nothing happens.
            var refused = tls is null ? null : Warn($"refused the coordinator: its certificate is not the cluster's ({tls.Arguments}); still retrying");
            using var host = Client(where, parse.GetValue(id) ?? "pdlf", retryForever: true, tls, refused, services => services
                .AddHostedService(provider => new ClusterWorker(provider.GetRequiredService<IGrainFactory>(), new WorkerOptions(n)) { Log = Console.WriteLine }));
            Console.WriteLine($"cluster worker: {n} thread(s), coordinator at {parse.GetValue(address)}{(tls is null ? "" : ", TLS")}; stop with Ctrl+C");
            try
            {
                host.RunAsync(stop.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (stop.StopRequested)
            {
                // Stopped while still connecting (no coordinator yet, or one refused over TLS): a normal stop, not a crash.
            }
            return stop.StopRequested ? stop.ExitCode : RunExitCodes.Done;
        }));
        return command;
    }

    /// <summary>How long status tries to connect (a coordinator on a reachable machine answers within a second).</summary>
    private static readonly TimeSpan StatusPatience = TimeSpan.FromSeconds(15);

    private static Command StatusCommand()
    {
        var address = AddressOption();
        var id = IdOption();
        var certificate = ClusterTls.CertificateOption();
        var password = ClusterTls.PasswordVariableOption();
        var command = new Command("status", "List the workers the coordinator knows: machine, threads, items, items/s, last seen, refusals.") { address, id, certificate, password };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            var where = ClusterAddress.Parse(parse.GetValue(address)!);
            var tls = ClusterTls.Load(parse.GetValue(certificate), parse.GetValue(password));
            // A refused coordinator certificate is the reason the connection fails: told in the one error line, not apart.
            // Orleans retries a gateway whose TLS handshake fails instead of giving up, so status gives up itself: at once
            // when it refuses the coordinator, after a while when the coordinator refuses it (or answers only plain TCP).
            string? refusal = null;
            using var connecting = new CancellationTokenSource(StatusPatience);
            using var host = Client(where, parse.GetValue(id) ?? "pdlf", retryForever: false, tls, (c, why) =>
            {
                refusal ??= $"its certificate {ClusterTls.Describe(c)} is not the cluster's ({tls!.Arguments}): {why}";
                _ = connecting.CancelAsync(); // not inline: this runs inside the handshake
            }, _ => { });
            try
            {
                host.StartAsync(connecting.Token).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                string why = refusal ?? (connecting.IsCancellationRequested
                    ? $"no connection within {StatusPatience.TotalSeconds:F0} s ({(tls is null ? "a coordinator with TLS takes only nodes with its --tls-cert" : "a coordinator without TLS, or with another certificate?")})"
                    : TrainingConsole.OneLine(e.Message));
                throw new RunException($"no coordinator answers at {parse.GetValue(address)}: {why}");
            }
            var workers = host.Services.GetRequiredService<IGrainFactory>().GetGrain<ICoordinatorGrain>(Coordinator.DefaultBoard).Status().GetAwaiter().GetResult();
            Console.WriteLine($"{workers.Length} worker(s)");
            Console.WriteLine($"{"worker",-40} {"machine",-16} {"threads",7} {"items",10} {"items/s",9} {"last seen",-20} refusal");
            foreach (var w in workers)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{w.Worker.Id,-40} {w.Worker.Machine,-16} {w.Worker.Threads,7} {w.Items,10} {w.ItemsPerSecond,9:F1} {w.LastSeenUtc:yyyy-MM-dd HH:mm:ss}Z {w.Refusal ?? "-"}"));
            host.StopAsync().GetAwaiter().GetResult();
            return RunExitCodes.Done;
        }));
        return command;
    }

    private static IHost Client(ClusterAddress address, string clusterId, bool retryForever, ClusterTls? tls, Action<X509Certificate2, string>? refused,
        Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IHostLifetime, SignalsAreOurs>();
        Quiet(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            if (address.Redis is null) client.UseLocalhostClustering(address.GatewayPort);
            else client.UseRedisClustering(address.Redis);
            client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, "pdlf"));
            // A call in flight when the coordinator dies is answered by nobody: give up on it after seconds, not Orleans'
            // default 30 s, so workers return to a restarted coordinator quickly (every call is short: a chunk is
            // evaluated between calls).
            client.Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
            // Workers may start before the coordinator and outlive it: keep trying to connect.
            if (retryForever) client.UseConnectionRetryFilter(async (_, token) => { await Task.Delay(TimeSpan.FromSeconds(1), token); return true; });
            if (tls is not null) client.UseTls(tls.Certificate, o => Secure(o, tls, refused ?? ((_, _) => { })));
        });
        services(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// Orleans' own log stays off (a worker waiting for its coordinator would print a stack trace a second); pdlf prints
    /// what matters in one line. PDLF_CLUSTER_LOG=Warning (or Information, Debug) shows it on stderr for diagnosis.
    /// </summary>
    private static void Quiet(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("PDLF_CLUSTER_LOG"), ignoreCase: true, out var level))
        {
            logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            logging.SetMinimumLevel(level);
        }
    }
}

/// <summary>
/// A host lifetime that leaves SIGINT and SIGTERM to pdlf (<see cref="StopSignals"/>): the default console lifetime
/// would stop the host on the same signal, racing pdlf's handler - a worker waiting for its coordinator then ended
/// with an internal error instead of its stop code, and a coordinator's silo went down before the generation in
/// flight was finished.
/// </summary>
internal sealed class SignalsAreOurs : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
