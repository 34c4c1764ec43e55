using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PdlfFast.Tests.Support;

/// <summary>Child processes of process-level tests (pdlf, pdlf-cluster, redis-server).</summary>
public static partial class Processes
{
    private const int SigTerm = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    /// <summary>Sends SIGTERM (what batch schedulers and docker stop send); true when the signal was delivered.</summary>
    public static bool Terminate(Process process) => kill(process.Id, SigTerm) == 0;

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
