using System.Globalization;
using PdlfFast.Training.Runs;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary>One run of a job (e.g. PDLF, then its GRU comparison): its label and its steps.</summary>
public sealed record JobPart(string Label, int Total);

/// <summary>The run directories of one job (a run and its comparison runs), opened, locked and checked together.</summary>
public sealed class JobDirectories : IDisposable
{
    private readonly List<RunDirectory> _runs = [];

    /// <summary>
    /// Opens every directory of the job before any trains, so a refusal (an existing run, a resume that does not
    /// match) touches nothing: the first is the job's own (new, or resumed when asked), the others are its comparison
    /// runs (new, or resumed where they have a checkpoint). <paramref name="ensureResumable"/> checks a resumed run's
    /// stored options against its requested ones (by index and checkpoint path).
    /// </summary>
    public JobDirectories(IEnumerable<string> directories, bool resume, string resumeCommand, Action<int, string> ensureResumable)
    {
        try
        {
            foreach (var directory in directories)
            {
                var start = _runs.Count == 0 ? resume ? RunStart.Resume : RunStart.New : resume ? RunStart.ResumeIfPresent : RunStart.New;
                var run = RunDirectory.Open(directory, start, resumeCommand, TrainingConsole.Warn);
                _runs.Add(run);
                if (run.Resuming) ensureResumable(_runs.Count - 1, run.CheckpointPath);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public RunDirectory this[int index] => _runs[index];

    public void Dispose()
    {
        foreach (var run in _runs) run.Dispose();
    }
}

/// <summary>Console plumbing shared by the commands: the job's progress display, one-line errors and exit codes.</summary>
public static class TrainingConsole
{
    /// <summary>
    /// Runs part <paramref name="index"/> of a job with a live display of the run and of the whole job (bars and ETAs) on a
    /// terminal, or one line every <paramref name="lineEvery"/> steps when output is redirected (logs, CI). The job's
    /// ETA assumes the parts still to come take as long per step as this one.
    /// </summary>
    /// <param name="extra">More for each line (e.g. a cluster run's traffic per generation).</param>
    public static T RunPart<T>(IReadOnlyList<JobPart> job, int index, string testName, int lineEvery, Func<IProgress<RunProgress>, T> train,
        Func<string>? extra = null)
    {
        var part = job[index];
        int before = job.Take(index).Sum(p => p.Total), jobTotal = job.Sum(p => p.Total), after = jobTotal - before - part.Total;
        string Line(RunProgress p, double? test) => Describe(part.Label, testName, p with { Test = test }) +
            (job.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" | job {before + p.Completed}/{jobTotal} eta {Clock(p.Remaining + TimeSpan.FromSeconds(after * p.Step.Seconds))}") : "") +
            (extra is null ? "" : " | " + extra());
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, lineEvery);
            double? last = null;
            return train(new InlineProgress(p =>
            {
                last = p.Test ?? last;
                if (p.Completed % every == 0 || p.Completed == p.Total) Console.WriteLine(Line(p, p.Test));
            }));
        }
        T result = default!;
        var columns = new ProgressColumn[] { new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn() };
        AnsiConsole.Progress().Columns(columns).Start(context =>
        {
            var run = context.AddTask(part.Label, maxValue: part.Total);
            var whole = job.Count > 1 ? context.AddTask($"job: {string.Join(", then ", job.Select(p => p.Label))}", maxValue: jobTotal) : null;
            double? lastTest = null;
            result = train(new InlineProgress(p =>
            {
                lastTest = p.Test ?? lastTest;
                run.Value = p.Completed;
                run.Description = Markup.Escape(Describe(part.Label, testName, p with { Test = lastTest }) + (extra is null ? "" : " | " + extra()));
                if (whole is not null) whole.Value = before + p.Completed;
            }));
            run.StopTask();
            whole?.StopTask();
        });
        return result;
    }

    /// <summary>One progress line: the generation's best member, the mean, the best ever, the last test (4 decimals, as eval prints).</summary>
    public static string Describe(string label, string testName, RunProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{label} {p.Completed}/{p.Total} gen-best {p.Step.BestFitness:F4} mean {p.Step.MeanFitness:F4}{(float.IsNaN(p.Step.BestEverFitness) ? "" : $" best-ever {p.Step.BestEverFitness:F4}")} {testName} {(p.Test is { } a ? a.ToString("F4", CultureInfo.InvariantCulture) : "-")} {p.Step.ItemsPerSecond:F0} eval/s elapsed {Clock(p.Elapsed)} eta {Clock(p.Remaining)}");

    private static string Clock(TimeSpan t) => t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t:hh\\:mm\\:ss}" : t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs a command body and turns expected failures into one line on stderr, <c>error: what (path)</c>, with the
    /// documented exit code: 1 runtime (I/O, damaged files, physics), 2 usage (options, configs, resume mismatches).
    /// </summary>
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (RunException e)
        {
            return Fail(e.Message, (int)e.Kind);
        }
        catch (OutOfMemoryException)
        {
            return Fail("out of memory: this configuration needs more memory than the machine offers; reduce --population, --hidden or --threads",
                RunExitCodes.RuntimeError);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message, RunExitCodes.RuntimeError);
        }
    }

    public static int Fail(string message, int exitCode)
    {
        Console.Error.WriteLine("error: " + OneLine(message));
        return exitCode;
    }

    /// <summary>Joins a multi-line message (several option problems) into one line.</summary>
    public static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace('\t', ' ');

    /// <summary>Prints warnings from the run pipeline (e.g. a torn last log line was dropped).</summary>
    public static void Warn(string message) => AnsiConsole.MarkupLineInterpolated($"[yellow]warning: {message}[/]");

    private sealed class InlineProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
