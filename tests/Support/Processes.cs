using System.Diagnostics;

namespace PdlfFast.Tests.Support;

/// <summary>Child processes of process-level tests (pdlf, pdlf-cluster, redis-server).</summary>
public static class Processes
{
    /// <summary>Starts <paramref name="program"/> with its output drained (a full pipe would stall it) and discarded.</summary>
    public static Process Start(string program, IEnumerable<string> arguments)
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
}
