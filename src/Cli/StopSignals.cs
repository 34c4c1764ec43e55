using System.Runtime.InteropServices;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM (batch schedulers, docker stop) ask a run to stop: the step in flight finishes, the
/// run checkpoints and the process exits with 130 or 143. A second signal ends the process at once (the last
/// checkpoint stays valid). Hosts and tests pass their own token instead.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _exitCode = RunExitCodes.Interrupted;

    private StopSignals(CancellationToken outer) => _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);

    /// <summary>Listens for SIGINT and SIGTERM (the process's signals: use once per process).</summary>
    public static StopSignals FromProcess()
    {
        var signals = new StopSignals(CancellationToken.None);
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, signals.Handle));
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, signals.Handle));
        return signals;
    }

    /// <summary>Stops when <paramref name="token"/> is cancelled (embedding hosts, tests); exit code 130.</summary>
    public static StopSignals FromToken(CancellationToken token) => new(token);

    public CancellationToken Token => _stop.Token;
    public bool StopRequested => _stop.IsCancellationRequested;
    /// <summary>130 after SIGINT or a host's cancellation, 143 after SIGTERM.</summary>
    public int ExitCode => _exitCode;

    private void Handle(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return; // second signal: let the default action end the process
        context.Cancel = true;
        _exitCode = context.Signal == PosixSignal.SIGTERM ? RunExitCodes.Terminated : RunExitCodes.Interrupted;
        Console.Error.WriteLine($"{(context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C")}: finishing the step in flight, then checkpointing and stopping (signal again to stop at once).");
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
