using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PdlfFast.Cli.Commands;
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
/// <param name="Tls">The node's TLS identity (<c>--tls-cert</c>), or null for plain TCP.</param>
public sealed record ClusterSettings(string Address, string? Listen, string ClusterId, int LocalWorkerThreads, double ReissueSeconds = 30, ClusterTls? Tls = null);

/// <summary>
/// A node's TLS identity for cluster traffic (<c>--tls-cert</c>, <c>--tls-password-env</c>): its certificate with the
/// private key, and the certificates it trusts. Every node of a TLS cluster loads the same .pfx, or .pfx files issued by
/// one CA that each carry the CA's certificate. A peer is accepted only when its certificate chains, within its
/// validity dates, to a self-signed certificate of our own file: the shared certificate itself, or the CA. The TLS
/// handshake proves the peer holds that certificate's key. Host names are not checked: nodes meet by IP address
/// (membership gives no names), so the certificate, not the address, is the cluster's identity.
/// </summary>
public sealed class ClusterTls
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1", ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _anchors, _intermediates;

    private ClusterTls(string path, string? passwordVariable, X509Certificate2 certificate, X509Certificate2Collection anchors, X509Certificate2Collection intermediates)
    {
        (Path, PasswordVariable, Certificate, _anchors, _intermediates) = (path, passwordVariable, certificate, anchors, intermediates);
    }

    /// <summary>The .pfx file as given on the command line (for messages and the worker command we suggest).</summary>
    public string Path { get; }
    public string? PasswordVariable { get; }
    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The options as the command line spells them, to repeat on the other nodes.</summary>
    public string Arguments => PasswordVariable is null ? $"--tls-cert {Path}" : $"--tls-cert {Path} --tls-password-env {PasswordVariable}";

    public static Option<string?> CertificateOption() => new("--tls-cert")
    {
        Description = "Encrypt and authenticate cluster traffic with TLS, with this PKCS#12 (.pfx) file: the node's certificate and private key (plus its CA's certificate if it is not self-signed). Every node of the cluster must give one: the same file, or files from one CA; peers whose certificate does not chain to it are refused. See README, Cluster, TLS.",
    };

    public static Option<string?> PasswordVariableOption() => new("--tls-password-env")
    {
        Description = "With --tls-cert: the NAME of the environment variable that holds the .pfx password (never the password itself: command lines are visible to every user). Default: no password.",
    };

    /// <summary>Loads and checks the .pfx of <c>--tls-cert</c>; null without it. Every problem is a one-line <see cref="ConfigException"/> naming the file.</summary>
    public static ClusterTls? Load(string? path, string? passwordVariable)
    {
        if (path is null)
        {
            if (passwordVariable is not null) throw new ConfigException("--tls-password-env applies with --tls-cert");
            return null;
        }
        string? password = null;
        if (passwordVariable is not null)
        {
            if (passwordVariable.Length == 0 || passwordVariable.Contains('='))
                throw new ConfigException($"--tls-password-env '{passwordVariable}': give the name of an environment variable, e.g. PDLF_TLS_PASSWORD");
            password = Environment.GetEnvironmentVariable(passwordVariable)
                ?? throw new ConfigException($"--tls-password-env {passwordVariable}: the environment variable is not set (it should hold the password of {path})");
        }
        if (Directory.Exists(path)) throw new ConfigException($"--tls-cert {path}: is a directory, not a .pfx file");
        if (!File.Exists(path)) throw new ConfigException($"--tls-cert {path}: no such file");
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"--tls-cert {path}: cannot read it: {TrainingConsole.OneLine(e.Message)}");
        }
        catch (CryptographicException e)
        {
            string how = password is null ? "without a password (give its password with --tls-password-env NAME)" : $"with the password in ${passwordVariable}";
            throw new ConfigException($"--tls-cert {path}: cannot open it as a PKCS#12 (.pfx) file {how}: {TrainingConsole.OneLine(e.Message)}");
        }
        var withKey = all.Where(c => c.HasPrivateKey).ToArray();
        if (withKey.Length == 0)
            throw new ConfigException($"--tls-cert {path}: the file holds no private key; export the certificate with its key (openssl pkcs12 -export -inkey KEY -in CERT ...)");
        if (withKey.Length > 1)
            throw new ConfigException($"--tls-cert {path}: the file holds {withKey.Length} private keys; export one certificate with its key");
        var certificate = withKey[0];
        // Every node is a TLS server (the coordinator) or client (workers), and one file serves every role.
        foreach (var usage in certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>())
        {
            var oids = usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
            if (!oids.Contains(ServerAuthentication) || !oids.Contains(ClientAuthentication))
                throw new ConfigException($"--tls-cert {path}: the certificate's extended key usage must allow both serverAuth and clientAuth (one certificate serves the coordinator and the workers)");
        }
        var anchors = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
            if (c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)) anchors.Add(c);
            else if (c != certificate) intermediates.Add(c);
        if (anchors.Count == 0)
            throw new ConfigException($"--tls-cert {path}: the certificate is issued by '{certificate.Issuer}', whose certificate is not in the file; export the .pfx with it (openssl pkcs12 -export ... -certfile ca.pem)");
        var tls = new ClusterTls(path, passwordVariable, certificate, anchors, intermediates);
        // Our own certificate must pass the check every peer's does: an expired file fails here, not at each handshake.
        if (!tls.Accepts(certificate, null, out string why))
            throw new ConfigException($"--tls-cert {path}: the certificate fails the check every peer's gets (valid from {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}): {why}");
        return tls;
    }

    /// <summary>
    /// Whether <paramref name="peer"/> belongs to this cluster: it chains to one of our anchors (and nothing else: the
    /// machine's trusted roots play no part), within every certificate's validity dates. <paramref name="presented"/>,
    /// the handshake's chain, only lends the intermediates the peer sent. No revocation check: a private cluster CA
    /// publishes no revocation lists; replace the CA (and every node's file) to revoke.
    /// </summary>
    public bool Accepts(X509Certificate2 peer, X509Chain? presented, out string why)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_anchors);
        policy.ExtraStore.AddRange(_intermediates);
        if (presented is not null) policy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        bool accepted = chain.Build(peer);
        why = accepted ? "" : string.Join("; ", chain.ChainStatus.Select(Explain).Distinct());
        if (!accepted && why.Length == 0) why = "it does not chain to the cluster's certificate or CA";
        foreach (var element in chain.ChainElements) element.Certificate.Dispose();
        return accepted;
    }

    /// <summary>The usual refusals in words (the platform's own, e.g. OpenSSL's "self-signed certificate", do not say what is wrong here).</summary>
    private static string Explain(X509ChainStatus status) => status.Status switch
    {
        X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain => "it is neither the cluster's certificate nor issued by the cluster's CA",
        X509ChainStatusFlags.NotTimeValid => "it has expired or is not valid yet",
        _ => status.StatusInformation.Trim(),
    };

    /// <summary>A certificate in messages: its subject and the start of its SHA-256 fingerprint.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        $"'{certificate.Subject}' (SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)[..16]}...)";
}

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

    public readonly Option<string?> TlsCertificate = ClusterTls.CertificateOption();
    public readonly Option<string?> TlsPasswordVariable = ClusterTls.PasswordVariableOption();

    public IEnumerable<Option> All => [Cluster, Listen, ClusterId, ClusterThreads, Reissue, TlsCertificate, TlsPasswordVariable];

    /// <summary>The connection of a command line with --cluster, or null for a local run; a clear error without the cluster build.</summary>
    public IClusterConnection? Connect(ParseResult parse, IClusterExtension? extension)
    {
        if (parse.GetValue(Cluster) is not { } address)
        {
            if (parse.GetValue(Listen) is not null || parse.GetValue(ClusterId) is not null || parse.GetValue(ClusterThreads) is not null || parse.GetValue(Reissue) is not null)
                throw new ConfigException("--listen, --cluster-id, --cluster-threads and --cluster-reissue apply with --cluster");
            if (parse.GetValue(TlsCertificate) is not null || parse.GetValue(TlsPasswordVariable) is not null)
                throw new ConfigException("--tls-cert and --tls-password-env apply with --cluster");
            return null;
        }
        if (extension is null)
            throw new ConfigException("--cluster needs the cluster build of pdlf (Orleans does not run under native AOT): publish src/Cluster and run pdlf-cluster (see README, Cluster)");
        int local = parse.GetValue(ClusterThreads) ?? 0;
        if (local is < 0 or > 1024) throw new ConfigException($"--cluster-threads must be in 0..1024 (got {local})");
        double reissue = parse.GetValue(Reissue) ?? 30;
        if (!(reissue is >= 0.1 and <= 86400)) throw new ConfigException($"--cluster-reissue must be in 0.1..86400 seconds (got {reissue})");
        var tls = ClusterTls.Load(parse.GetValue(TlsCertificate), parse.GetValue(TlsPasswordVariable));
        return extension.Connect(new ClusterSettings(address, parse.GetValue(Listen), parse.GetValue(ClusterId) ?? "pdlf", local, reissue, tls));
    }
}
