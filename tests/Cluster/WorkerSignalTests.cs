using System.Diagnostics;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tests.Cluster;

/// <summary>A worker still waiting for its coordinator stops on SIGTERM with the stop code, not an internal error.</summary>
[Trait("Category", "EndToEnd")]
public class WorkerSignalTests
{
    [Fact]
    public async Task A_waiting_worker_stopped_by_SIGTERM_exits_143_quietly()
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "pdlf-cluster"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // No coordinator listens there: the worker keeps trying to connect, the moment the race used to hit.
        foreach (string arg in new[] { "cluster", "worker", "--cluster", $"localhost:{48000 + Random.Shared.Next(0, 900) * 2}", "--threads", "1" })
            info.ArgumentList.Add(arg);
        using var worker = Process.Start(info)!;
        var stderr = worker.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string firstLine = await worker.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) ?? ""; // printed once the worker is set up
        Assert.StartsWith("cluster worker:", firstLine);
        await Task.Delay(1500, TestContext.Current.CancellationToken); // inside Orleans' connection retries
        Assert.True(Processes.Terminate(worker));
        Assert.True(worker.WaitForExit(20_000), "the worker did not stop within 20 s of SIGTERM");
        Assert.Equal(RunExitCodes.Terminated, worker.ExitCode);
        Assert.DoesNotContain("internal error", await stderr);
    }
}
