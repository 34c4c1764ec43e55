using PdlfFast.Tasks.Runs;
using PdlfFast.Cli.Locomotion;
using ScottPlot;

namespace PdlfFast.Cli.Plots;

/// <summary>PNG figures of locomotion runs (ScottPlot).</summary>
public static class LocomotionPlots
{
    /// <summary>Mean test return of the ES mean over the training targets against generations, one line per run.</summary>
    public static void TrainingCurves(IEnumerable<(string Label, IReadOnlyList<LocomotionLog> Log)> runs, string title, string path)
    {
        var plot = new Plot();
        foreach (var (label, log) in runs)
        {
            var tested = log.Where(l => l.TestReturn is not null).ToArray();
            if (tested.Length == 0) continue;
            var line = plot.Add.Scatter(tested.Select(l => (double)l.Generation + 1).ToArray(), tested.Select(l => l.TestReturn!.Value).ToArray());
            line.LegendText = label;
            line.MarkerSize = 4;
        }
        plot.Title(title);
        plot.XLabel("generation");
        plot.YLabel("test return (mean over the training targets)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>Reward per step (mean over the training targets) with and without the temporary injury, window shaded.</summary>
    public static void InjuryRecovery(string title, double[] healthy, double[] injured, int firstStep, int lastStep, string path)
    {
        var plot = new Plot();
        plot.Add.HorizontalSpan(firstStep - 0.5, lastStep + 0.5).FillColor = Colors.Red.WithAlpha(0.15);
        var steps = Enumerable.Range(1, healthy.Length).Select(t => (double)t).ToArray();
        var a = plot.Add.Scatter(steps, Smooth(healthy, 10));
        a.LegendText = "uninjured";
        a.MarkerSize = 0;
        var b = plot.Add.Scatter(steps, Smooth(injured, 10));
        b.LegendText = $"plastic weights zeroed, steps {firstStep}-{lastStep}";
        b.MarkerSize = 0;
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("reward per step (mean over targets, 10-step average)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>Return against the injured fraction of output synapses.</summary>
    public static void PermanentInjury(string title, IReadOnlyList<(double Fraction, double Return)> points, string path)
    {
        var plot = new Plot();
        var line = plot.Add.Scatter(points.Select(p => p.Fraction).ToArray(), points.Select(p => p.Return).ToArray());
        line.LegendText = "mean return over the training targets";
        plot.Title(title);
        plot.XLabel("fraction of output synapses blocked");
        plot.YLabel("return");
        plot.SavePng(path, 900, 560);
    }

    /// <summary>
    /// Grouped bars: for each condition (x) one bar per policy, the return under the condition as a fraction of that
    /// policy's return under the trained physics (1 = no loss), with standard-error whiskers.
    /// </summary>
    public static void Conditions(string title, IReadOnlyList<string> conditions,
        IReadOnlyList<(string Label, IReadOnlyList<(double Fraction, double Error)> Values)> policies, string path)
    {
        var plot = new Plot();
        double width = 0.8 / Math.Max(1, policies.Count);
        for (int p = 0; p < policies.Count; p++)
        {
            var (label, values) = policies[p];
            var bars = values.Select((v, c) => new Bar
            {
                Position = c + (p - (policies.Count - 1) / 2.0) * width,
                Value = v.Fraction,
                Error = v.Error,
                Size = width * 0.9,
                FillColor = plot.Add.Palette.GetColor(p),
            }).ToList();
            plot.Add.Bars(bars).LegendText = label;
        }
        plot.Add.HorizontalLine(1, 1, Colors.Gray, LinePattern.Dotted);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, conditions.Count).Select(c => (double)c).ToArray(), conditions.ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.3); // headroom above the bars for the legend
        plot.Title(title);
        plot.XLabel("condition (not seen in training)");
        plot.YLabel("return / return under the trained physics");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>Return per target across the range, training targets marked.</summary>
    public static void Generalisation(TrainedPolicy policy, IReadOnlyList<GeneralisationPoint> points, string path)
    {
        var plot = new Plot();
        var unseen = points.Where(p => !p.Trained).ToArray();
        var seen = points.Where(p => p.Trained).ToArray();
        var line = plot.Add.Scatter(unseen.Select(p => (double)p.Target).ToArray(), unseen.Select(p => p.Return).ToArray());
        line.LegendText = "unseen targets";
        line.MarkerSize = 4;
        var trained = plot.Add.ScatterPoints(seen.Select(p => (double)p.Target).ToArray(), seen.Select(p => p.Return).ToArray());
        trained.LegendText = "training targets";
        trained.MarkerSize = 9;
        trained.MarkerShape = MarkerShape.FilledSquare;
        plot.Title($"{policy.Config.Label} on {policy.Config.Task}: generalisation ({policy.Generation} generations)");
        plot.XLabel("target");
        plot.YLabel("return");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>Heatmaps of the output-layer weights (hidden x action) at chosen steps of one episode.</summary>
    public static void WeightSnapshots(IReadOnlyList<(string Label, double[,] Weights)> snapshots, string title, string path) =>
        CopyPlots.Heatmaps(snapshots, title, "hidden neuron", "action", 220, path);

    /// <summary>The planned waypoints and the path the body took.</summary>
    public static void Steering(string title, (double X, double Y)[] waypoints, IReadOnlyList<(double X, double Y)> path, string file)
    {
        var plot = new Plot();
        var planned = plot.Add.Scatter(waypoints.Select(w => w.X).Prepend(0).ToArray(), waypoints.Select(w => w.Y).Prepend(0).ToArray());
        planned.LegendText = "waypoints";
        planned.LinePattern = LinePattern.Dashed;
        planned.MarkerSize = 7;
        var taken = plot.Add.Scatter(path.Select(p => p.X).ToArray(), path.Select(p => p.Y).ToArray());
        taken.LegendText = "path taken";
        taken.MarkerSize = 0;
        plot.Axes.SquareUnits();
        plot.Title(title);
        plot.XLabel("x (m)");
        plot.YLabel("y (m)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(file, 800, 800);
    }

    /// <summary>2-D points in groups (one colour and legend entry each).</summary>
    public static void Embedding(string title, IReadOnlyList<(string Label, double[][] Points)> groups, string file)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int g = 0; g < groups.Count; g++)
        {
            var (label, points) = groups[g];
            if (points.Length == 0) continue;
            var scatter = plot.Add.ScatterPoints(points.Select(p => p[0]).ToArray(), points.Select(p => p[1]).ToArray());
            scatter.LegendText = label;
            scatter.MarkerSize = 5;
            scatter.Color = palette.GetColor(g);
        }
        plot.Title(title);
        plot.XLabel("PC 1");
        plot.YLabel("PC 2");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(file, 900, 700);
    }

    private static double[] Smooth(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
