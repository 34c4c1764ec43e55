using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;

namespace PdlfFast.Training.Runs;

/// <summary>One generation's or gradient step's figures, as logs and progress displays want them.</summary>
/// <param name="BestFitness">The step's best member (ES), or the minibatch accuracy (gradient training).</param>
/// <param name="MeanFitness">The step's mean fitness (ES), or minus the minibatch loss (gradient training).</param>
/// <param name="BestEverFitness">The best member seen in the whole run (ES; NaN for gradient training).</param>
/// <param name="NonFinite">Episodes with a NaN or infinite fitness (ES), or 1 when the gradient was not finite (gradient training).</param>
/// <param name="Seconds">Wall seconds of the step.</param>
/// <param name="Items">Episodes (or sequences) evaluated in the step, for the throughput figure.</param>
public readonly record struct RunStep(float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite, double Seconds, int Items)
{
    /// <summary>Physics instabilities in the step (locomotion), else 0.</summary>
    public long Instabilities { get; init; }
    /// <summary>Gradient training: the minibatch's mean loss.</summary>
    public double? TrainLoss { get; init; }
    /// <summary>Gradient training: the minibatch's accuracy.</summary>
    public double? TrainAccuracy { get; init; }
    /// <summary>Throughput: <see cref="Items"/> per wall second.</summary>
    public double ItemsPerSecond => Items / Math.Max(Seconds, 1e-9);
}

/// <summary>
/// A training run that the <see cref="RunLoop"/> drives: an ES run or a gradient trainer with its test and its
/// checkpoint format. <see cref="Step"/> is never cancelled: a stop request is honoured between steps, so the step in
/// flight is always finished and checkpointed.
/// </summary>
/// <remarks>
/// Implemented by <see cref="EvolutionSession{TEvaluator,TWorker}"/> and <see cref="GradientSession{TTask}"/>; hosts
/// may wrap one to add their own figures. All members are called from the loop's thread, one at a time.
/// </remarks>
public interface ITrainingSession : IDisposable
{
    /// <summary>Generations (ES) or gradient steps done so far.</summary>
    int Completed { get; }
    /// <summary>The configuration as stored in <c>config.json</c> and the checkpoint.</summary>
    string ConfigJson { get; }
    /// <summary>Runs one generation or gradient step to completion and returns its figures.</summary>
    RunStep Step();
    /// <summary>The held-out test of the current solution (accuracy or return; higher is better).</summary>
    double Test();
    /// <summary>Writes everything needed to continue bit for bit to <paramref name="path"/>, atomically.</summary>
    void SaveCheckpoint(string path);
    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; the run then continues bit for bit.</summary>
    void LoadCheckpoint(string path);
}

/// <summary>How long a run is and how often it tests and checkpoints, in <paramref name="Unit"/> (generations or steps, as the option that sets Total is named).</summary>
/// <param name="Total">Generations or steps the run should have done at the end (a resumed run counts those already done).</param>
/// <param name="TestEvery">Test when the count done is a multiple of this, and at the end.</param>
/// <param name="CheckpointEvery">Checkpoint when the count done is a multiple of this, at the end and on a stop request.</param>
/// <param name="Unit">The unit's name, also the command-line option that sets Total (for messages).</param>
public sealed record RunSchedule(int Total, int TestEvery, int CheckpointEvery, string Unit = "generations");

/// <summary>What the loop reports after every step.</summary>
/// <param name="Completed">Generations or steps done, this one included.</param>
/// <param name="Total">The schedule's total.</param>
/// <param name="Step">The step's figures.</param>
/// <param name="Test">The held-out test, when this step was tested; else null.</param>
/// <param name="Elapsed">Wall time of the whole run, including earlier sessions of a resumed run.</param>
/// <param name="Remaining">Estimated from the last step's time.</param>
public readonly record struct RunProgress(int Completed, int Total, RunStep Step, double? Test, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>How a run ended: steps done, whether a stop request cut it short, the final test and the wall time.</summary>
/// <param name="Completed">Generations or steps done.</param>
/// <param name="Total">The schedule's total.</param>
/// <param name="Stopped">True when a stop request ended the run before <paramref name="Total"/>.</param>
/// <param name="FinalTest">The held-out test of the final solution.</param>
/// <param name="WallSeconds">Wall time of the whole run, earlier sessions of a resumed run included.</param>
public sealed record RunOutcome(int Completed, int Total, bool Stopped, double FinalTest, double WallSeconds);

/// <summary>How a task's log records are made and read back.</summary>
/// <typeparam name="TLog">The task's log record, serialised by source-generated JSON (AOT-safe).</typeparam>
/// <param name="Type">The record's JSON type information.</param>
/// <param name="CompletedAfter">Steps completed once the record's step was done (generation index + 1, or the 1-based step).</param>
/// <param name="ElapsedSeconds">The run's elapsed wall seconds a record holds (a resumed run's clock continues from the last kept record).</param>
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

    /// <summary>
    /// Runs <paramref name="session"/> in <paramref name="directory"/> to <see cref="RunSchedule.Total"/> or until
    /// <paramref name="stop"/> is signalled. A resuming directory first restores the checkpoint and trims the log to
    /// the steps it covers. Writes <c>config.json</c> and the log; checkpoints every
    /// <see cref="RunSchedule.CheckpointEvery"/>, at the end and on stop; tests every <see cref="RunSchedule.TestEvery"/>
    /// and at the end.
    /// </summary>
    /// <param name="session">The run; the caller owns and disposes it.</param>
    /// <param name="directory">The opened, locked run directory.</param>
    /// <param name="schedule">Total, test and checkpoint intervals.</param>
    /// <param name="format">How the task's log records are made and read.</param>
    /// <param name="progress">Hears every step's progress, on the calling thread.</param>
    /// <param name="stop">
    /// A stop request: honoured between steps (the step in flight finishes and is checkpointed), never inside one.
    /// </param>
    /// <param name="warn">Hears recoverable oddities (a torn log line, a log shorter than the checkpoint).</param>
    /// <returns>Steps done, whether the run was stopped early, the final test and the wall time.</returns>
    /// <exception cref="ConfigException">The schedule's total is below what a resumed run has done.</exception>
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
