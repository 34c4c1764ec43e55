using System.CommandLine;
using System.Globalization;
using PdlfFast.Cli.Plots;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Analysis;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;

namespace PdlfFast.Cli.Commands;

/// <summary><c>pdlf analyse RUN_DIR</c>: how a locomotion run's evolved rules changed over training (PDLF Fig. 3D-F).</summary>
public static class AnalyseCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A PDLF locomotion run directory (pdlf train TASK --out DIR), with snapshots/ of the mean." };
        var synapses = new Option<int>("--synapses") { Description = "Synapses per layer to follow: those with the largest |eta| at the end (1..16).", DefaultValueFactory = _ => 2 };
        var output = new Option<string?>("--plots") { Description = "Directory for rule-trajectories.png and rule-windows.png. Default: the run directory." };
        var command = new Command("analyse", "Follow the evolved rules of a PDLF locomotion run: eta, A, B, C, D of its most plastic synapses over the generations, and the weight change each stage's rule makes per pre/post spike interval.")
        {
            run, synapses, output,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            string directory = parse.GetValue(run)!;
            int count = parse.GetValue(synapses);
            if (count is < 1 or > 16) throw new ConfigException($"--synapses must be in 1..16 (got {count})");
            string configPath = Path.Combine(directory, "config.json");
            if (!File.Exists(configPath)) throw new ConfigException("not a run directory: it has no config.json", directory);
            var config = LocomotionConfig.FromFile(configPath);
            if (config.PolicyKind != LocomotionPolicyKind.Pdlf)
                throw new ConfigException($"a {config.Policy} run has no rules to analyse (train with --policy pdlf)", directory);
            var snapshots = LocomotionRun.ReadSnapshots(directory);
            if (snapshots.Count == 0)
                throw new ConfigException("no snapshots of the mean in snapshots/ (train with --snapshot-every N, default 10)", directory);
            var spec = config.Setup().Spec;
            var terms = config.Terms;
            if (snapshots.Any(s => s.Mean.Length != PdlfCoefficients.GenomeLength(spec, terms)))
                throw new ConfigException("a snapshot does not fit the run's network and rule (was the run's config changed?)", directory);
            string plots = Outputs.EnsureDirectory(parse.GetValue(output) ?? directory, "--plots");
            var chosen = RuleAnalysis.Salient(snapshots[^1].Mean, spec, terms, count);
            // Early, middle and late: the first, middle and last snapshot.
            var stages = new[] { snapshots[0], snapshots[snapshots.Count / 2], snapshots[^1] }.DistinctBy(s => s.Generation).ToArray();
            Console.WriteLine($"{config.Task}, {PdlfTermSets.Name(terms)} rule, {snapshots.Count} snapshots (generations {snapshots[0].Generation}..{snapshots[^1].Generation})");
            var windows = new List<(SynapseAddress At, int Generation, double[] Window, double AtRest)>();
            foreach (var at in chosen)
            {
                Console.WriteLine($"  layer {at.Layer} synapse {at.Pre} -> {at.Post}:");
                foreach (var (generation, mean) in stages)
                {
                    var rule = RuleAnalysis.Rule(mean, spec, terms, at);
                    var (window, atRest) = RuleAnalysis.Window(rule);
                    windows.Add((at, generation, window, atRest));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"    generation {generation,5}: eta {rule.Eta,7:F3} A {rule.A,7:F3} B {rule.B,7:F3} C {rule.C,7:F3} D {rule.D,7:F3}; {RuleAnalysis.Describe(window, atRest)}"));
                }
            }
            var trajectories = chosen.Select(at => (At: at, Rules: snapshots.Select(s => (s.Generation, RuleAnalysis.Rule(s.Mean, spec, terms, at))).ToArray())).ToArray();
            string trajectoryPath = Path.Combine(plots, "rule-trajectories.png");
            RulePlots.Trajectories(trajectories, terms, $"{config.Task}: evolved rules of the most plastic synapses", trajectoryPath);
            string windowPath = Path.Combine(plots, "rule-windows.png");
            RulePlots.Windows(windows, $"{config.Task}: weight change per spike pair (pre at 0, post at the interval)", windowPath);
            Console.WriteLine($"wrote {trajectoryPath}");
            Console.WriteLine($"wrote {windowPath}");
            return RunExitCodes.Done;
        }));
        return command;
    }
}
