using System.Globalization;
using PdlfFast.Training.Checkpoints;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary>What a training run reports after each generation (for the progress display).</summary>
public readonly record struct TrainingProgress(int Generation, int Generations, float BestFitness, float MeanFitness, double? Test,
    double EvaluationsPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>Console plumbing shared by the training commands: progress display, Ctrl+C handling, error exit codes.</summary>
public static class TrainingConsole
{
    /// <summary>
    /// Runs <paramref name="train"/> with a live progress bar on a terminal, or one line every
    /// <paramref name="lineEvery"/> generations when output is redirected (logs, CI).
    /// </summary>
    public static T RunWithProgress<T>(string label, string testName, int generations, int lineEvery, Func<IProgress<TrainingProgress>, T> train)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, lineEvery);
            return train(new InlineProgress(p =>
            {
                if (p.Generation % every == 0 || p.Generation == p.Generations) Console.WriteLine(Describe(label, testName, p));
            }));
        }
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(label, maxValue: generations);
                double? lastTest = null;
                result = train(new InlineProgress(p =>
                {
                    lastTest = p.Test ?? lastTest;
                    task.Value = p.Generation;
                    task.Description = Describe(label, testName, p with { Test = lastTest });
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    public static string Describe(string label, string testName, TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{label} gen {p.Generation}/{p.Generations} best {p.BestFitness:F3} mean {p.MeanFitness:F3} {testName} {(p.Test is { } a ? a.ToString("F3", CultureInfo.InvariantCulture) : "-")} {p.EvaluationsPerSecond:F0} eval/s elapsed {p.Elapsed:hh\\:mm\\:ss} eta {p.Remaining:hh\\:mm\\:ss}");

    /// <summary>A token cancelled by the first Ctrl+C (the run checkpoints and stops); a second one ends the process.</summary>
    public static CancellationTokenSource StopOnCtrlC(CancellationToken outer)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += (_, e) =>
        {
            if (stop.IsCancellationRequested) return;
            e.Cancel = true;
            stop.Cancel();
            AnsiConsole.MarkupLine("[yellow]Stopping after the current generation; the checkpoint will be saved.[/]");
        };
        return stop;
    }

    /// <summary>
    /// Refuses to start fresh runs over finished or interrupted ones: a run directory that already holds a
    /// checkpoint is continued with --resume or left alone, never silently overwritten.
    /// </summary>
    public static void RefuseToOverwrite(IEnumerable<string> checkpoints, bool resume, string command)
    {
        if (resume) return;
        foreach (var checkpoint in checkpoints)
            if (File.Exists(checkpoint))
                throw new Copy.ConfigException($"'{Path.GetDirectoryName(checkpoint)}' already holds a run ({Path.GetFileName(checkpoint)}): continue it with " +
                    $"'{command} --resume' (same options), choose another --out, or delete the directory.");
    }

    /// <summary>Turns expected failures (bad options, unreadable checkpoints, missing physics) into a message and exit code 2.</summary>
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is Copy.ConfigException or CheckpointException or Tasks.Physics.PhysicsUnavailableException
                                      or Tasks.Physics.MuJoCoException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
