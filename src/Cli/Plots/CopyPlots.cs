using PdlfFast.Tasks.Runs;
using ScottPlot;

namespace PdlfFast.Cli.Plots;

/// <summary>PNG figures of copy-task runs (ScottPlot).</summary>
public static class CopyPlots
{
    /// <summary>Test accuracy of the mean against generations, one line per run, chance marked.</summary>
    public static void TrainingCurves(IEnumerable<(string Label, IReadOnlyList<GenerationLog> Log)> runs, string title, string path)
    {
        var plot = new Plot();
        foreach (var (label, log) in runs)
        {
            var tested = log.Where(l => l.TestAccuracy is not null).ToArray();
            if (tested.Length == 0) continue;
            var line = plot.Add.Scatter(tested.Select(l => (double)l.Generation + 1).ToArray(), tested.Select(l => l.TestAccuracy!.Value).ToArray());
            line.LegendText = label;
            line.MarkerSize = 4;
        }
        AccuracyPlot.Save(plot, 0.5, title, "generation", "test accuracy (held-out sequences)", 0.3, path);
    }

    /// <summary>Recall accuracy of each sequence position, one line per condition (e.g. with and without the reset).</summary>
    public static void RecallByPosition(IReadOnlyList<(string Label, double[] Accuracy)> conditions, string title, string path)
    {
        var plot = new Plot();
        foreach (var (label, accuracy) in conditions)
        {
            var line = plot.Add.Scatter(Enumerable.Range(1, accuracy.Length).Select(p => (double)p).ToArray(), accuracy);
            line.LegendText = label;
            line.MarkerSize = 7;
            line.LineWidth = 2;
        }
        int positions = conditions.Count == 0 ? 1 : conditions.Max(c => c.Accuracy.Length);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, positions / 16));
        AccuracyPlot.Save(plot, 0.5, title, "position in the sequence (1 = first bit presented)", "recall accuracy (held-out sequences)", 0.3, path, 520);
    }

    /// <summary>
    /// A Len x Lat sweep: one panel per model, test accuracy against latency with one colour per sequence length,
    /// solid without and dashed with the activity reset.
    /// </summary>
    public static void SweepGrid(IReadOnlyList<(string Model, int Length, int Latency, double Accuracy, double WithReset)> cells, string path)
    {
        var models = cells.Select(c => c.Model).Distinct().ToArray();
        var latencies = cells.Select(c => (double)c.Latency).Distinct().Order().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var multiplot = new Multiplot();
        multiplot.AddPlots(Math.Max(1, models.Length));
        for (int m = 0; m < models.Length; m++)
        {
            var plot = multiplot.GetPlot(m);
            var lengths = cells.Where(c => c.Model == models[m]).GroupBy(c => c.Length).OrderBy(g => g.Key).ToArray();
            for (int l = 0; l < lengths.Length; l++)
            {
                var points = lengths[l].OrderBy(c => c.Latency).ToArray();
                double[] xs = points.Select(c => (double)c.Latency).ToArray();
                var plain = plot.Add.Scatter(xs, points.Select(c => c.Accuracy).ToArray());
                plain.LegendText = $"Len {lengths[l].Key}";
                var reset = plot.Add.Scatter(xs, points.Select(c => c.WithReset).ToArray());
                reset.LegendText = $"Len {lengths[l].Key}, reset";
                reset.LinePattern = LinePattern.Dashed;
                plain.Color = reset.Color = palette.GetColor(l);
                plain.MarkerSize = reset.MarkerSize = 7;
                reset.MarkerShape = MarkerShape.OpenCircle;
            }
            if (latencies.Length > 0)
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(latencies, latencies.Select(x => x.ToString("0")).ToArray());
            var chance = plot.Add.HorizontalLine(0.5);
            chance.LinePattern = LinePattern.Dotted;
            chance.Color = Colors.Gray;
            plot.Title($"copy task sweep: {models[m]} (solid: test accuracy, dashed: with the activity reset)");
            plot.XLabel("latency Lat (empty steps before recall)");
            plot.YLabel("test accuracy");
            plot.Axes.SetLimitsY(0.3, 1.02);
            plot.ShowLegend(Alignment.UpperRight);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        multiplot.SavePng(path, 1000, 480 * Math.Max(1, models.Length));
    }

    /// <summary>Heatmaps of fast weights, one panel per snapshot, stacked in one image.</summary>
    public static void WeightSnapshots(IReadOnlyList<(string Label, double[,] Weights)> snapshots, string title, string path) =>
        Heatmaps(snapshots, title, "hidden neuron", "input channel", 260, path, ["bit", "present", "recall"]);

    /// <summary>
    /// One heatmap panel per matrix, stacked in rows, each with its colour bar. Both axes are discrete: ticks sit on
    /// whole cells, rows named by <paramref name="rowNames"/> (or numbered).
    /// </summary>
    public static void Heatmaps(IReadOnlyList<(string Label, double[,] Values)> panels, string title, string xLabel, string yLabel,
        int panelHeight, string path, IReadOnlyList<string>? rowNames = null)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        for (int i = 0; i < panels.Count; i++)
        {
            var plot = multiplot.GetPlot(i);
            var map = plot.Add.Heatmap(panels[i].Values);
            map.Colormap = new ScottPlot.Colormaps.MellowRainbow();
            plot.Add.ColorBar(map);
            plot.Title(i == 0 ? $"{title}\n{panels[i].Label}" : panels[i].Label);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            DiscreteAxes(plot, map, panels[i].Values.GetLength(0), rowNames);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        multiplot.SavePng(path, 1100, panelHeight * panels.Count);
    }

    /// <summary>Integer ticks on a heatmap's axes, data row r drawn at y = r (ScottPlot draws row 0 at the top unless flipped).</summary>
    private static void DiscreteAxes(Plot plot, ScottPlot.Plottables.Heatmap map, int rows, IReadOnlyList<string>? rowNames)
    {
        map.FlipVertically = true;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (rows > 16 && rowNames is null)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            return;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int r = 0; r < rows; r++)
            ticks.AddMajor(r, rowNames is not null && r < rowNames.Count ? rowNames[r] : r.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = ticks;
    }

    /// <summary>
    /// Membrane potentials (heatmap, neurons x steps) and the readout through presentation, delay and recall, for
    /// one sequence with and without the activity reset.
    /// </summary>
    public static void ActivityRaster(IReadOnlyList<(string Label, double[,] Membranes, double[] Output, double[] Target, int DelayStart, int DelayEnd)> panels,
        string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2 * panels.Count);
        for (int p = 0; p < panels.Count; p++)
        {
            var (label, membranes, output, target, delayStart, delayEnd) = panels[p];
            var top = multiplot.GetPlot(2 * p);
            var map = top.Add.Heatmap(membranes);
            map.Colormap = new ScottPlot.Colormaps.Turbo();
            top.Add.ColorBar(map);
            top.Title($"{label}: hidden state (neuron x step); delay = steps {delayStart}-{delayEnd - 1}");
            top.YLabel("hidden neuron");
            DiscreteAxes(top, map, membranes.GetLength(0), null);
            var bottom = multiplot.GetPlot(2 * p + 1);
            var steps = Enumerable.Range(0, output.Length).Select(t => (double)t).ToArray();
            bottom.Add.Scatter(steps, output).LegendText = "readout";
            var scored = steps.Where(t => target[(int)t] != 0).ToArray();
            var targets = bottom.Add.ScatterPoints(scored, scored.Select(t => target[(int)t]).ToArray());
            targets.LegendText = "target bit (+1 / -1)";
            targets.MarkerSize = 9;
            targets.MarkerShape = MarkerShape.OpenCircle;
            bottom.Add.HorizontalSpan(delayStart - 0.5, delayEnd - 0.5).FillColor = Colors.Gray.WithAlpha(0.2);
            bottom.ShowLegend(Alignment.UpperRight);
            bottom.XLabel("step");
            bottom.YLabel("readout");
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        multiplot.SavePng(path, 1100, 330 * panels.Count * 2);
    }
}
