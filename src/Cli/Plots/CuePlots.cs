using PdlfFast.Tasks.Runs;
using ScottPlot;

namespace PdlfFast.Cli.Plots;

/// <summary>PNG figures of cue-task runs.</summary>
public static class CuePlots
{
    public static void TrainingCurves(IEnumerable<(string Label, IReadOnlyList<SequenceLog> Log)> runs, string title, double chance, string path)
    {
        var plot = new Plot();
        foreach (var (label, log) in runs)
        {
            var tested = log.Where(l => l.TestAccuracy is not null).ToArray();
            if (tested.Length == 0) continue;
            var line = plot.Add.Scatter(tested.Select(l => (double)l.Step).ToArray(), tested.Select(l => l.TestAccuracy!.Value).ToArray());
            line.LegendText = label;
            line.MarkerSize = 4;
        }
        AccuracyPlot.Save(plot, chance, title, "training step", "test accuracy (held-out episodes)", 0, path);
    }

    /// <summary>
    /// One line per rule: colour by base rule (Hebbian, Oja, BCM; black without plasticity), line and marker by
    /// modulation (solid circles plain, dashed triangles neuromodulated, dotted squares retroactive). Lines at the
    /// same accuracy are shifted sideways by a hair so none hides another.
    /// </summary>
    public static void AccuracyVersusNoise(IReadOnlyList<(string Rule, float Noise, double Accuracy)> results, double chance, string title, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bases = PdlfFast.Rules.SpikePropamine.TraceRules.Names; // one colour per rule, in the registry's order
        var groups = results.GroupBy(r => r.Rule).ToArray();
        double spread = results.Count == 0 ? 0 : 0.004 * Math.Max(results.Max(r => r.Noise), 0.1);
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            var points = group.OrderBy(r => r.Noise).ToArray();
            double shift = (g - (groups.Length - 1) / 2.0) * spread;
            var line = plot.Add.Scatter(points.Select(p => p.Noise + shift).ToArray(), points.Select(p => p.Accuracy).ToArray());
            line.LegendText = group.Key == "none" ? "no plasticity" : group.Key;
            line.MarkerSize = 8;
            line.LineWidth = 2;
            var parts = group.Key.Split('-');
            int colour = bases.ToList().IndexOf(parts[0]);
            line.Color = colour < 0 ? Colors.Black : palette.GetColor(colour);
            (line.LinePattern, line.MarkerShape) = parts.Length < 2 ? (LinePattern.Solid, MarkerShape.FilledCircle)
                : parts[1] == "neuromod" ? (LinePattern.Dashed, MarkerShape.FilledTriangleUp)
                : (LinePattern.Dotted, MarkerShape.FilledSquare);
        }
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        chanceLine.Color = Colors.Gray;
        chanceLine.LegendText = "chance";
        var noises = results.Select(r => (double)r.Noise).Distinct().Order().ToArray();
        if (noises.Length > 0)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(noises,
                noises.Select(n => n.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title(title);
        plot.XLabel("input noise sigma");
        plot.YLabel("test accuracy (held-out episodes)");
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Alignment.MiddleLeft);
        plot.SavePng(path, 900, 560);
    }
}
