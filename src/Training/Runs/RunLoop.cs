using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;

namespace PdlfFast.Training.Runs;

/// <summary>One generation's or gradient step's figures, as logs and progress displays want them.</summary>
/// <param name="BestFitness">The step's best member (ES), or the minibatch accuracy (gradient training).</param>
/// <param name="MeanFitness">The step's mean fitness (ES), or minus the minibatch loss (gradient training).</param>
/// <param name="BestEverFitness">The best member seen in the whole run (ES; NaN for gradient training).</param>
/// <param name="Items">Episodes (or sequences) evaluated in the step, for the throughput figure.</param>
public readonly record struct RunStep(float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite, double Seconds, int Items)
{
    /// <summary>Physics instabilities in the step (locomotion), else 0.</summary>
    public long Instabilities { get; init; }
    /// <summary>Gradient training: the minibatch's mean loss.</summary>
    public double? TrainLoss { get; init; }
    /// <summary>Gradient training: the minibatch's accuracy.</summary>
    public double? TrainAccuracy { get; init; }
    public double ItemsPerSecond => Items / Math.Max(Seconds, 1e-9);
}

/// <summary>
/// A training run that the <see cref="RunLoop"/> drives: an ES run or a gradient trainer with its test and its
/// checkpoint format. <see cref="Step"/> is never cancelled: a stop request is honoured between steps, so the step in
/// flight is always finished and checkpointed.
/// </summary>
public interface ITrainingSession : IDisposable
{
    /// <summary>Generations (ES) or gradient steps done so far.</summary>
    int Completed { get; }
    /// <summary>The configuration as stored in <c>config.json</c> and the checkpoint.</summary>
    string ConfigJson { get; }
    RunStep Step();
    /// <summary>The held-out test of the current solution (accuracy or return; higher is better).</summary>
    double Test();
    void SaveCheckpoint(string path);
    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; the run then continues bit for bit.</summary>
    void LoadCheckpoint(string path);
}

/// <summary>How long a run is and how often it tests and checkpoints, in <paramref name="Unit"/> (generations or steps, as the option that sets Total is named).</summary>
public sealed record RunSchedule(int Total, int TestEvery, int CheckpointEvery, string Unit = "generations");

/// <summary>What the loop reports after every step.</summary>
/// <param name="Elapsed">Wall time of the whole run, including earlier sessions of a resumed run.</param>
/// <param name="Remaining">Estimated from the last step's time.</param>
public readonly record struct RunProgress(int Completed, int Total, RunStep Step, double? Test, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>How a run ended: steps done, whether a stop request cut it short, the final test and the wall time.</summary>
public sealed record RunOutcome(int Completed, int Total, bool Stopped, double FinalTest, double WallSeconds);

/// <summary>How a task's log records are made and read back.</summary>
/// <param name="CompletedAfter">Steps completed once the record's step was done (generation index + 1, or the 1-based step).</param>
/// <param name="Create">Builds the record of a step: (steps completed, figures, test or null, elapsed seconds of the run).</param>
public sealed record RunLogFormat<TLog>(JsonTypeInfo<TLog> Type, Func<TLog, int> CompletedAfter, Func<TLog, double> ElapsedSeconds,
    Func<int, RunStep, double?, double, TLog> Create) where TLog : class;

/// <summary>
/// The one training loop of every task: resume from the checkpoint (trimming the log to what it covers), step,
/// test every N, log every step, checkpoint every N, at the end and when asked to stop (SIGINT/SIGTERM), and report
/// progress. A kill at any moment costs at most the steps since the last checkpoint and never blocks the next resume.
/// </summary>
public static class RunLoop
{
    /// <summary>A resumed run may be lengthened, never shortened below what it has done.</summary>
    public static void EnsureTotal(int done, RunSchedule schedule, string path)
    {
        if (schedule.Total < done)
            throw new ConfigException($"the run has done {done} {schedule.Unit}; --{schedule.Unit} {schedule.Total} would undo them (give --{schedule.Unit} {done} or more)", path);
    }

    public static RunOutcome Run<TLog>(ITrainingSession session, RunDirectory directory, RunSchedule schedule, RunLogFormat<TLog> format,
        IProgress<RunProgress>? progress, CancellationToken stop, Action<string>? warn = null) where TLog : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(directory);
        if (schedule.Total < 1 || schedule.TestEvery < 1 || schedule.CheckpointEvery < 1)
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Total, TestEvery and CheckpointEvery must be positive.");
        string checkpoint = directory.CheckpointPath;
        RunLog<TLog> log;
        double previousSeconds = 0;
        int checkpointed = -1;
        if (directory.Resuming)
        {
            session.LoadCheckpoint(checkpoint);
            int done = session.Completed;
            EnsureTotal(done, schedule, directory.Path);
            log = RunLog<TLog>.Open(directory.LogPath, format.Type, r => format.CompletedAfter(r) <= done, out var kept, warn);
            if (kept.Count > 0) previousSeconds = format.ElapsedSeconds(kept[^1]);
            if (kept.Count < done) warn?.Invoke($"the log holds {kept.Count} of the {done} steps the checkpoint covers; the curves will have a gap ({directory.LogPath})");
            checkpointed = done;
        }
        else
        {
            log = RunLog<TLog>.Create(directory.LogPath, format.Type);
        }
        using (log)
        {
            directory.WriteConfig(session.ConfigJson);
            var stopwatch = Stopwatch.StartNew();
            (int Completed, double Value) lastTest = (-1, double.NaN);
            while (session.Completed < schedule.Total && !stop.IsCancellationRequested)
            {
                var step = session.Step();
                int done = session.Completed;
                double? test = null;
                if (done % schedule.TestEvery == 0 || done == schedule.Total)
                {
                    test = session.Test();
                    lastTest = (done, test.Value);
                }
                double elapsed = previousSeconds + stopwatch.Elapsed.TotalSeconds;
                log.Add(format.Create(done, step, test, elapsed));
                if (done % schedule.CheckpointEvery == 0 || done == schedule.Total)
                {
                    session.SaveCheckpoint(checkpoint);
                    checkpointed = done;
                }
                progress?.Report(new RunProgress(done, schedule.Total, step, test, TimeSpan.FromSeconds(elapsed),
                    TimeSpan.FromSeconds((schedule.Total - done) * step.Seconds)));
            }
            if (checkpointed != session.Completed) session.SaveCheckpoint(checkpoint);
            double final = lastTest.Completed == session.Completed ? lastTest.Value : session.Test();
            return new RunOutcome(session.Completed, schedule.Total, session.Completed < schedule.Total, final,
                previousSeconds + stopwatch.Elapsed.TotalSeconds);
        }
    }
}
