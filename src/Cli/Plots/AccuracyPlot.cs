using ScottPlot;

namespace PdlfFast.Cli.Plots;

/// <summary>The common frame of every accuracy plot: a dashed chance line, titles, the y range and the legend.</summary>
internal static class AccuracyPlot
{
    public static void Save(Plot plot, double chance, string title, string xLabel, string yLabel, double yMin, string path, int height = 560)
    {
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        chanceLine.LegendText = "chance";
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.SetLimitsY(yMin, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, height);
    }
}
