using PdlfFast.Cli.SpikePropamine;
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
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        chanceLine.LegendText = "chance";
        plot.Title(title);
        plot.XLabel("training step");
        plot.YLabel("test accuracy (held-out episodes)");
        plot.Axes.SetLimitsY(0, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }

    public static void AccuracyVersusNoise(IReadOnlyList<(string Rule, float Noise, double Accuracy)> results, double chance, string title, string path)
    {
        var plot = new Plot();
        foreach (var group in results.GroupBy(r => r.Rule))
        {
            var points = group.OrderBy(r => r.Noise).ToArray();
            var line = plot.Add.Scatter(points.Select(p => (double)p.Noise).ToArray(), points.Select(p => p.Accuracy).ToArray());
            line.LegendText = group.Key == "none" ? "no plasticity" : group.Key;
            line.MarkerSize = 7;
        }
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        chanceLine.LegendText = "chance";
        plot.Title(title);
        plot.XLabel("input noise sigma");
        plot.YLabel("test accuracy");
        plot.Axes.SetLimitsY(0, 1.02);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, 900, 560);
    }
}
