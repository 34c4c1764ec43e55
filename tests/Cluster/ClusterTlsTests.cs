using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using PdlfFast.Cli;
using PdlfFast.Tests.Cli;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cluster;

/// <summary>The .pfx files of the TLS tests, made once with CertificateRequest in a temporary directory.</summary>
public sealed class TlsFiles : IDisposable
{
    public const string Password = "pdlf test password";
    private static readonly OidCollection ServerAndClient = [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")];

    public TlsFiles()
    {
        Root = Directory.CreateTempSubdirectory("pdlf-tls-").FullName;
        var now = DateTimeOffset.UtcNow;
        Shared = Write("shared.pfx", [Leaf("CN=pdlf-cluster", now.AddDays(-1), now.AddDays(30))]);
        // Same subject as the cluster's certificate, another key: only the name is alike.
        Stranger = Write("stranger.pfx", [Leaf("CN=pdlf-cluster", now.AddDays(-1), now.AddDays(30))]);
        Intruder = Write("intruder.pfx", [Leaf("CN=intruder", now.AddDays(-1), now.AddDays(30))]);
        Expired = Write("expired.pfx", [Leaf("CN=pdlf-cluster", now.AddDays(-30), now.AddDays(-1))]);
        using (var withKey = Leaf("CN=pdlf-cluster", now.AddDays(-1), now.AddDays(30)))
            KeyOnlyMissing = Write("no-key.pfx", [X509CertificateLoader.LoadCertificate(withKey.RawData)]);
        using var ca = Authority("CN=pdlf test CA", now.AddDays(-1), now.AddDays(60));
        CaNodeA = Write("node-a.pfx", [Issued(ca, "CN=node-a"), X509CertificateLoader.LoadCertificate(ca.RawData)]);
        CaNodeB = Write("node-b.pfx", [Issued(ca, "CN=node-b"), X509CertificateLoader.LoadCertificate(ca.RawData)]);
        CaNodeWithoutCa = Write("node-c.pfx", [Issued(ca, "CN=node-c")]);
    }

    public string Root { get; }
    public string Shared { get; }
    public string Stranger { get; }
    public string Intruder { get; }
    public string Expired { get; }
    public string KeyOnlyMissing { get; }
    /// <summary>Two nodes' files from one CA, each with the CA's certificate.</summary>
    public string CaNodeA { get; }
    public string CaNodeB { get; }
    /// <summary>A node certificate from the CA, exported without the CA's certificate.</summary>
    public string CaNodeWithoutCa { get; }

    private static X509Certificate2 Leaf(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ServerAndClient, critical: false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private static X509Certificate2 Authority(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private static X509Certificate2 Issued(X509Certificate2 ca, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ServerAndClient, critical: false));
        using var issued = request.Create(ca, ca.NotBefore.ToUniversalTime(), ca.NotAfter.ToUniversalTime(), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <paramref name="certificates"/> (disposed here) to a .pfx protected by <see cref="Password"/>.</summary>
    private string Write(string name, X509Certificate2[] certificates)
    {
        string path = Path.Combine(Root, name);
        File.WriteAllBytes(path, new X509Certificate2Collection(certificates).ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password));
        foreach (var c in certificates) c.Dispose();
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// TLS on the cluster (--tls-cert, --tls-password-env): pdlf-cluster processes on loopback with certificates made here.
/// A TLS run must end with the local checkpoint, byte for byte; a node without the cluster's certificate (or a CA's
/// certificate) gets nothing done and says why; bad files and passwords are usage errors told in one line.
/// </summary>
public class ClusterTlsTests(TlsFiles files) : IClassFixture<TlsFiles>
{
    private const string PasswordVariable = "PDLF_TEST_TLS_PASSWORD";
    private static readonly string PdlfCluster = Path.Combine(AppContext.BaseDirectory, "pdlf-cluster");
    private static readonly string Pdlf = Path.Combine(AppContext.BaseDirectory, "pdlf");
    private static readonly string[] Tiny = ["train", "copy", "--generations", "2", .. CliWorkspace.TinyCopy];

    /// <summary>
    /// A loopback gateway port in 44000..47998 (even; the silo port is next), apart from ClusterProcessTests' 32000..39998
    /// and its Redis' 40000..41999, whose pair is free now: a pair some other program holds would fail the coordinator.
    /// </summary>
    private static int Port()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = 44000 + Random.Shared.Next(0, 2000) * 2;
            try
            {
                using var gateway = new TcpListener(IPAddress.Loopback, port);
                using var silo = new TcpListener(IPAddress.Loopback, port + 1);
                gateway.Start();
                silo.Start();
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // taken: draw again
            }
        }
    }

    private string[] Tls(string pfx) => ["--tls-cert", pfx, "--tls-password-env", PasswordVariable];

    /// <summary>
    /// A pdlf-cluster process whose output is kept (the tests read its warnings and errors) and whose environment holds
    /// the .pfx password; Processes.Start discards output, which these tests need.
    /// </summary>
    private sealed class Child : IDisposable
    {
        private readonly StringBuilder _out = new(), _err = new();
        private readonly Process _process;

        public Child(IEnumerable<string> arguments, string? password = TlsFiles.Password)
        {
            var info = new ProcessStartInfo(PdlfCluster) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in arguments) info.ArgumentList.Add(a);
            // Set or removed explicitly: the child would otherwise inherit whatever the test process has.
            if (password is null) info.Environment.Remove(PasswordVariable);
            else info.Environment[PasswordVariable] = password;
            _process = Process.Start(info)!;
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Append(e.Data).Append('\n'); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Out { get { lock (_out) return _out.ToString(); } }
        public string Err { get { lock (_err) return _err.ToString(); } }
        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;

        /// <summary>Waits for the exit and for the last output lines (WaitForExit(ms) alone may return before them).</summary>
        public bool Exited(int milliseconds)
        {
            if (!_process.WaitForExit(milliseconds)) return false;
            _process.WaitForExit();
            return true;
        }

        public override string ToString() => $"exit {(HasExited ? ExitCode.ToString() : "(running)")}\nstdout: {Out}\nstderr: {Err}";

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }

    private static void WaitFor(Func<bool> condition, string what, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    private static string LocalRun(string directory)
    {
        using (var local = Processes.Start(Pdlf, [.. Tiny, "--out", directory]))
            Assert.True(local.WaitForExit(120_000) && local.ExitCode == 0, "the local run failed");
        return Path.Combine(directory, "checkpoint.ckpt");
    }

    private string NewDirectory() => Path.Combine(files.Root, $"run-{Guid.NewGuid():N}");

    [Theory]
    [Trait("Category", "EndToEnd")]
    [InlineData("one shared certificate")]
    [InlineData("two certificates of one CA")]
    public void A_TLS_coordinator_and_worker_end_with_the_local_checkpoint(string certificates)
    {
        bool shared = certificates == "one shared certificate";
        string address = $"localhost:{Port()}";
        string local = LocalRun(NewDirectory()), remote = NewDirectory();
        using var worker = new Child(["cluster", "worker", "--cluster", address, "--threads", "1", .. Tls(shared ? files.Shared : files.CaNodeB)]);
        using var coordinator = new Child([.. Tiny, "--out", remote, "--cluster", address, .. Tls(shared ? files.Shared : files.CaNodeA)]);
        Assert.True(coordinator.Exited(120_000), $"the coordinator did not finish:\n{coordinator}\nworker: {worker}");
        Assert.True(coordinator.ExitCode == 0, coordinator.ToString());
        Assert.Contains(", TLS)", coordinator.Out);
        Assert.Equal(File.ReadAllBytes(local), File.ReadAllBytes(Path.Combine(remote, "checkpoint.ckpt")));
        Assert.Contains("evaluating run", worker.Out);
        Assert.DoesNotContain("warning", coordinator.Err + worker.Err);
    }

    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task Nodes_without_the_cluster_certificate_get_nothing_done_and_are_told_why()
    {
        int port = Port();
        string address = $"localhost:{port}", remote = NewDirectory();
        var ct = TestContext.Current.CancellationToken;
        using var coordinator = new Child([.. Tiny, "--out", remote, "--cluster", address, .. Tls(files.Shared)]);
        // Same subject name, other key: refused both ways. And a worker without TLS never gets past the handshake.
        using var stranger = new Child(["cluster", "worker", "--cluster", address, "--threads", "1", .. Tls(files.Stranger)]);
        using var plain = new Child(["cluster", "worker", "--cluster", address, "--threads", "1"]);
        WaitFor(() => stranger.Err.Contains("refused the coordinator"), $"the stranger's warning\nstranger: {stranger}\ncoordinator: {coordinator}");
        Assert.Contains("is not the cluster's", stranger.Err);
        Assert.Contains("neither the cluster's certificate nor issued by the cluster's CA", stranger.Err);
        WaitFor(() => coordinator.Err.Contains("refused a TLS peer"), $"the coordinator's warning\n{coordinator}");

        // The coordinator checks on its own: a client that accepts any server still cannot join with a foreign certificate.
        using (var intruderCertificate = X509CertificateLoader.LoadPkcs12FromFile(files.Intruder, TlsFiles.Password))
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.UseOrleansClient(client =>
            {
                client.UseLocalhostClustering(port);
                client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("pdlf", "pdlf"));
                client.UseTls(intruderCertificate, o => o.AllowAnyRemoteCertificate());
            });
            using var intruder = builder.Build();
            // Orleans keeps retrying a gateway whose handshake fails: the attempt is given up once the coordinator has told.
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var joining = intruder.StartAsync(giveUp.Token);
            string fingerprint = intruderCertificate.GetCertHashString(HashAlgorithmName.SHA256)[..16];
            WaitFor(() => coordinator.Err.Contains(fingerprint), $"the coordinator's refusal of CN=intruder ({fingerprint})\n{coordinator}");
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => joining);
        }

        using (var status = new Child(["cluster", "status", "--cluster", address, .. Tls(files.Stranger)]))
        {
            Assert.True(status.Exited(60_000), status.ToString());
            Assert.Equal(1, status.ExitCode);
            Assert.Matches($"^error: no coordinator answers at {address}: its certificate .* is not the cluster's .*\n$", status.Err);
        }
        using (var status = new Child(["cluster", "status", "--cluster", address, .. Tls(files.Shared)]))
        {
            Assert.True(status.Exited(60_000), status.ToString());
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains("0 worker(s)", status.Out);
        }
        Assert.False(coordinator.HasExited, coordinator.ToString());
        string log = Path.Combine(remote, "log.jsonl");
        Assert.True(!File.Exists(log) || File.ReadAllLines(log).Length == 0, "a generation was evaluated without a worker of the cluster");
        Assert.DoesNotContain("evaluating run", stranger.Out + plain.Out);

        // The same coordinator finishes once a worker with the cluster's certificate comes: it waited for work, nothing else.
        using var member = new Child(["cluster", "worker", "--cluster", address, "--threads", "1", .. Tls(files.Shared)]);
        Assert.True(coordinator.Exited(120_000), $"the coordinator did not finish with a member worker:\n{coordinator}\nmember: {member}");
        Assert.True(coordinator.ExitCode == 0, coordinator.ToString());
    }

    [Theory]
    [Trait("Category", "EndToEnd")]
    [InlineData("missing file", "no such file")]
    [InlineData("wrong password", "cannot open it as a PKCS#12 (.pfx) file with the password in $PDLF_TEST_TLS_PASSWORD")]
    [InlineData("no password given", "cannot open it as a PKCS#12 (.pfx) file without a password")]
    [InlineData("password variable not set", "the environment variable is not set")]
    [InlineData("no private key", "the file holds no private key")]
    [InlineData("expired", "has expired or is not valid yet")]
    [InlineData("CA certificate left out", "whose certificate is not in the file")]
    [InlineData("password variable without a certificate", "--tls-password-env applies with --tls-cert")]
    [InlineData("certificate without --cluster", "--tls-cert and --tls-password-env apply with --cluster")]
    public void Bad_certificates_and_passwords_are_usage_errors_in_one_line(string problem, string message)
    {
        string address = $"localhost:{Port()}";
        string missing = Path.Combine(files.Root, "missing.pfx");
        (string[] tls, string? password, string? path) = problem switch
        {
            "missing file" => (Tls(missing), TlsFiles.Password, missing),
            "wrong password" => (Tls(files.Shared), "not the password", files.Shared),
            "no password given" => (["--tls-cert", files.Shared], null, files.Shared),
            "password variable not set" => (Tls(files.Shared), null, files.Shared),
            "no private key" => (Tls(files.KeyOnlyMissing), TlsFiles.Password, files.KeyOnlyMissing),
            "expired" => (Tls(files.Expired), TlsFiles.Password, files.Expired),
            "CA certificate left out" => (Tls(files.CaNodeWithoutCa), TlsFiles.Password, files.CaNodeWithoutCa),
            "password variable without a certificate" => (["--tls-password-env", PasswordVariable], TlsFiles.Password, null),
            "certificate without --cluster" => (Tls(files.Shared), TlsFiles.Password, null),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        string[] cluster = ["--cluster", address];
        string[][] commands = problem == "certificate without --cluster"
            ? [[.. Tiny, "--out", NewDirectory(), .. tls]]
            : [[.. Tiny, "--out", NewDirectory(), .. cluster, .. tls], ["cluster", "worker", .. cluster, .. tls], ["cluster", "status", .. cluster, .. tls]];
        foreach (var command in commands)
        {
            using var run = new Child(command, password);
            Assert.True(run.Exited(60_000), $"{CliRun.Shell(command)} did not end\n{run}");
            Assert.True(run.ExitCode == 2, $"{CliRun.Shell(command)}\n{run}");
            string line = Assert.Single(run.Err.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("error: ", line);
            Assert.Contains(message, line);
            if (path is not null) Assert.Contains(path, line);
        }
    }

    [Fact]
    public void A_peer_is_accepted_only_with_the_cluster_certificate_or_one_of_its_CA()
    {
        // Its own variable: the processes of the other tests must not inherit it.
        const string variable = "PDLF_TEST_TLS_PASSWORD_IN_PROCESS";
        Environment.SetEnvironmentVariable(variable, TlsFiles.Password);
        var shared = ClusterTls.Load(files.Shared, variable)!;
        var nodeA = ClusterTls.Load(files.CaNodeA, variable)!;
        var nodeB = ClusterTls.Load(files.CaNodeB, variable)!;
        var stranger = ClusterTls.Load(files.Stranger, variable)!;
        Assert.True(shared.Accepts(shared.Certificate, null, out _));
        Assert.True(nodeA.Accepts(nodeB.Certificate, null, out _));
        Assert.True(nodeB.Accepts(nodeA.Certificate, null, out _));
        Assert.False(shared.Accepts(stranger.Certificate, null, out string why), "same subject, other key");
        Assert.Contains("neither the cluster's certificate nor issued by the cluster's CA", why);
        Assert.False(shared.Accepts(nodeA.Certificate, null, out _));
        Assert.False(nodeA.Accepts(shared.Certificate, null, out _));
        using var expired = X509CertificateLoader.LoadPkcs12FromFile(files.Expired, TlsFiles.Password);
        Assert.False(shared.Accepts(expired, null, out _), "the cluster's subject, expired, other key");
    }
}
