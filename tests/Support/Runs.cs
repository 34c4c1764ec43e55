using PdlfFast.Cli;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tests.Support;

/// <summary>Runs the library pipeline and the CLI the way users do, for tests.</summary>
public static class Runs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RunDirectory Open(string directory, bool resume) =>
        RunDirectory.Open(directory, resume ? RunStart.Resume : RunStart.New, "pdlf (test) --resume");

    public static CopySummary Train(CopyConfig config, string directory, bool resume = false)
    {
        using var run = Open(directory, resume);
        return CopyRun.Train(config, run, null, Ct).Summary;
    }

    public static LocomotionSummary Train(LocomotionConfig config, string directory, bool resume = false)
    {
        using var run = Open(directory, resume);
        return LocomotionRun.Train(config, run, null, Ct).Summary;
    }

    public static SequenceSummary Train(SpikePropamineConfig config, string directory, bool resume = false)
    {
        using var run = Open(directory, resume);
        return SequenceRun.Train(config, run, null, Ct).Summary;
    }

    /// <summary>Runs a pdlf command line in process (stopped only by the test's own cancellation); returns its exit code.</summary>
    public static int Cli(params string[] args)
    {
        using var stop = StopSignals.FromToken(Ct);
        return PdlfApp.Run(args, stop);
    }
}
