using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Analysis;
using ScottPlot;

namespace PdlfFast.Cli.Plots;

/// <summary>Figures of the rule analysis (<c>pdlf analyse</c>).</summary>
public static class RulePlots
{
    /// <summary>One panel per rule parameter of the term set, one line per synapse, over the generations.</summary>
    public static void Trajectories(IReadOnlyList<(SynapseAddress At, (int Generation, SynapseRule Rule)[] Rules)> synapses, PdlfTermSet terms,
        string title, string path)
    {
        var parameters = terms.Parameters().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var multiplot = new Multiplot();
        multiplot.AddPlots(parameters.Length);
        for (int p = 0; p < parameters.Length; p++)
        {
            var plot = multiplot.GetPlot(p);
            for (int s = 0; s < synapses.Count; s++)
            {
                var (at, rules) = synapses[s];
                var line = plot.Add.Scatter(rules.Select(r => (double)r.Generation).ToArray(), rules.Select(r => (double)Value(r.Rule, parameters[p])).ToArray());
                line.LegendText = $"layer {at.Layer}: {at.Pre} -> {at.Post}";
                line.Color = palette.GetColor(s);
                line.MarkerSize = 5;
            }
            plot.Title(p == 0 ? $"{title} - {parameters[p]}" : parameters[p].ToString());
            plot.XLabel("generation");
            plot.YLabel(parameters[p].ToString());
            if (p == 0) plot.ShowLegend(Alignment.UpperRight);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        multiplot.SavePng(path, 1000, 260 * parameters.Length);
    }

    /// <summary>One panel per synapse: total weight change against the pre/post spike interval, one line per stage of training.</summary>
    public static void Windows(IReadOnlyList<(SynapseAddress At, int Generation, double[] Window, double AtRest)> windows, string title, string path)
    {
        var synapses = windows.Select(w => w.At).Distinct().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var multiplot = new Multiplot();
        multiplot.AddPlots(synapses.Length);
        for (int s = 0; s < synapses.Length; s++)
        {
            var plot = multiplot.GetPlot(s);
            var stages = windows.Where(w => w.At == synapses[s]).ToArray();
            for (int g = 0; g < stages.Length; g++)
            {
                int range = stages[g].Window.Length / 2;
                var line = plot.Add.Scatter(Enumerable.Range(-range, stages[g].Window.Length).Select(x => (double)x).ToArray(),
                    stages[g].Window.Select(v => v - stages[g].AtRest).ToArray());
                line.LegendText = $"generation {stages[g].Generation}";
                line.Color = palette.GetColor(g);
                line.MarkerSize = 4;
            }
            var zero = plot.Add.HorizontalLine(0);
            zero.LinePattern = LinePattern.Dotted;
            zero.Color = Colors.Gray;
            var at = synapses[s];
            plot.Title(s == 0 ? $"{title}; layer {at.Layer}: {at.Pre} -> {at.Post}" : $"layer {at.Layer}: {at.Pre} -> {at.Post}");
            plot.XLabel("post spike time - pre spike time (steps)");
            plot.YLabel("dW minus the change at rest");
            plot.ShowLegend(Alignment.UpperRight);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        multiplot.SavePng(path, 1000, 300 * synapses.Length);
    }

    private static float Value(SynapseRule rule, PdlfParameter parameter) => parameter switch
    {
        PdlfParameter.Eta => rule.Eta,
        PdlfParameter.A => rule.A,
        PdlfParameter.B => rule.B,
        PdlfParameter.C => rule.C,
        PdlfParameter.D => rule.D,
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "Unknown PDLF parameter."),
    };
}
