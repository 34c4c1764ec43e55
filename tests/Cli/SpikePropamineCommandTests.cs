using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Runs;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cli;

[Trait("Category", "EndToEnd")]
public class SpikePropamineCommandTests
{
    private static int Run(params string[] args) => Runs.Cli(args);

    [Theory]
    [InlineData("bptt")]
    [InlineData("es")]
    public void Train_cue_writes_its_log_summary_and_plot_with_either_trainer(string trainer)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-cue-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(0, Run("train", "cue", "--rule", "oja-neuromod", "--trainer", trainer, "--steps", "4", "--batch", "4", "--population", "4",
                "--hidden", "8", "--length", "4", "--test-every", "2", "--test-episodes", "16", "--threads", "2", "--compare", "none", "--out", dir));
            foreach (var file in new[] { "log.jsonl", "summary.json", "parameters.bin", "curves.png", "none/summary.json" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
            Assert.Equal(4, SequenceRun.ReadLog(dir).Count);
            Assert.Equal(2, SequenceRun.ReadLog(dir).Count(l => l.TestAccuracy is not null));
            Assert.Equal(2, Run("train", "cue", "--rule", "stdp", "--out", dir));
            Assert.Equal(2, Run("train", "cue", "--noise", "-1", "--out", dir));
            Assert.Equal(2, Run("train", "cue", "--freeze", "input-wieghts", "--out", dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Train_spikepropamine_copy_runs_the_copy_task_and_checks_its_options()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-spcopy-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(0, Run("train", "spikepropamine-copy", "--rule", "hebbian", "--length", "3", "--latency", "2", "--steps", "4", "--batch", "4",
                "--hidden", "8", "--test-every", "2", "--test-episodes", "16", "--threads", "2", "--compare", "none", "--out", dir));
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal(("copy", 3, 2, 0.5), (root.GetProperty("task").GetString(), root.GetProperty("length").GetInt32(),
                root.GetProperty("latency").GetInt32(), root.GetProperty("chance").GetDouble()));
            // Copy accuracy is the fraction of recalled bits right (thirds per episode), averaged over 16 episodes.
            double accuracy = root.GetProperty("test-accuracy").GetDouble();
            Assert.Equal(0, Math.Round(accuracy * 48) - accuracy * 48, 4);
            Assert.InRange(root.GetProperty("reset-accuracy").GetDouble(), 0.0, 1.0); // the activity-reset probe ran
            Assert.True(File.Exists(Path.Combine(dir, "none", "summary.json")));
            Assert.True(new FileInfo(Path.Combine(dir, "curves.png")).Length > 1000);
            Assert.Equal(0, Run("train", "spikepropamine-copy", "--length", "3", "--latency", "2", "--steps", "2", "--batch", "2", "--hidden", "8",
                "--test-every", "2", "--test-episodes", "8", "--train-with-reset", "--out", Path.Combine(dir, "reset")));
            Assert.Contains("\"train-with-reset\":true", File.ReadAllText(Path.Combine(dir, "reset", "config.json")));
            Assert.Equal(2, Run("train", "spikepropamine-copy", "--train-with-reset", "--trainer", "es", "--out", dir));
            Assert.Equal(2, Run("train", "spikepropamine-copy", "--latency", "-1", "--out", dir));
            Assert.Equal(2, Run("train", "spikepropamine-copy", "--length", "5000", "--out", dir));
            // --noise belongs to the cue task only.
            Assert.NotEqual(0, Run("train", "spikepropamine-copy", "--noise", "0.3", "--out", dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Frozen_parts_keep_their_initial_values()
    {
        var config = new SpikePropamineConfig { Steps = 3, Batch = 2, Hidden = 8, Length = 3, TestEvery = 3, TestEpisodes = 4, Threads = 1,
            Freeze = ["input-alpha", "output-weights"] };
        Assert.Empty(config.Problems());
        Assert.Equal(new HashSet<PlasticSnnPart> { PlasticSnnPart.InputAlpha,
            PlasticSnnPart.OutputWeights }, config.FrozenParts);
        Assert.Contains("modulation-fan-out", SpikePropamineConfig.PartNames);
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-cue-freeze-{Guid.NewGuid():N}");
        try
        {
            Runs.Train(config, dir);
            var trained = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "parameters.bin"))).ToArray();
            var initial = config.InitialParameters();
            var layout = new PlasticSnnLayout(config.Spec());
            foreach (var part in config.FrozenParts)
                Assert.Equal(layout.Of(initial.AsSpan(), part).ToArray(), layout.Of(trained.AsSpan(), part).ToArray());
            Assert.NotEqual(layout.Of(initial.AsSpan(), PlasticSnnPart.InputWeights).ToArray(),
                layout.Of(trained.AsSpan(), PlasticSnnPart.InputWeights).ToArray());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("bptt")]
    [InlineData("es")]
    public void A_trained_network_loads_for_inference_with_the_runs_final_parameters(string trainer)
    {
        var config = new SpikePropamineConfig { Steps = 2, Batch = 2, Population = 4, Hidden = 8, Length = 3, TestEvery = 2,
            TestEpisodes = 4, Threads = 2, Trainer = trainer, Rule = "oja-neuromod" };
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-cue-load-{Guid.NewGuid():N}");
        try
        {
            Runs.Train(config, dir);
            var trained = SequenceRun.Load(Path.Combine(dir, "checkpoint.ckpt"));
            var final = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "parameters.bin"))).ToArray();
            Bits.Equal(final, trained.Parameters, "parameters");
            Assert.Equal(config.Spec(), trained.Spec);
            Assert.Equal(1, trained.Config.Threads); // loading needs no worker pool of the training machine's size
            var network = trained.CreateNetwork();
            var output = new float[trained.Spec.Outputs];
            network.Step(new float[trained.Spec.Inputs], output);
            Assert.Equal(1, network.Steps);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Sweep_cue_writes_one_row_per_rule_and_noise_and_the_accuracy_plot()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-cue-sweep-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(0, Run("sweep", "cue", "--rules", "hebbian", "none", "--noises", "0", "0.5", "--steps", "2", "--batch", "2", "--hidden", "8",
                "--length", "3", "--test-every", "2", "--test-episodes", "8", "--threads", "1", "--out", dir));
            var rows = File.ReadAllLines(Path.Combine(dir, "results.csv"));
            Assert.Equal(["hebbian,0", "hebbian,0.5", "none,0", "none,0.5"], rows.Skip(1).Select(r => string.Join(',', r.Split(',')[0], r.Split(',')[3])));
            Assert.All(rows.Skip(1), r => Assert.Equal("1", r.Split(',')[4]));
            Assert.True(new FileInfo(Path.Combine(dir, "accuracy-vs-noise.png")).Length > 1000);
            // Run again on another thread count: every grid point is reused, with the same figures; a changed budget is not.
            string log = File.ReadAllText(Path.Combine(dir, "hebbian-n0-s1", "log.jsonl"));
            Assert.Equal(0, Run("sweep", "cue", "--rules", "hebbian", "none", "--noises", "0", "0.5", "--steps", "2", "--batch", "2", "--hidden", "8",
                "--length", "3", "--test-every", "2", "--test-episodes", "8", "--threads", "2", "--out", dir));
            Assert.Equal(rows.Select(r => r[..r.LastIndexOf(',')]), File.ReadAllLines(Path.Combine(dir, "results.csv")).Select(r => r[..r.LastIndexOf(',')]));
            Assert.Equal(log, File.ReadAllText(Path.Combine(dir, "hebbian-n0-s1", "log.jsonl")));
            // A second seed adds a grid point per (rule, noise); seed 1's runs are reused.
            Assert.Equal(0, Run("sweep", "cue", "--rules", "hebbian", "--noises", "0", "--seeds", "1", "2", "--steps", "2", "--batch", "2", "--hidden", "8",
                "--length", "3", "--test-every", "2", "--test-episodes", "8", "--threads", "1", "--out", dir));
            Assert.Equal(["1", "2"], File.ReadAllLines(Path.Combine(dir, "results.csv")).Skip(1).Select(r => r.Split(',')[4]));
            Assert.Equal(log, File.ReadAllText(Path.Combine(dir, "hebbian-n0-s1", "log.jsonl")));
            Assert.True(File.Exists(Path.Combine(dir, "hebbian-n0-s2", "summary.json")));
            // Re-run with an option the finished points were not trained with: refused, naming it, and results.csv untouched.
            var table = File.ReadAllText(Path.Combine(dir, "results.csv"));
            Assert.Equal(2, Run("sweep", "cue", "--rules", "hebbian", "--noises", "0", "--seeds", "1", "2", "--steps", "2", "--batch", "2", "--hidden", "8",
                "--length", "3", "--test-every", "2", "--test-episodes", "8", "--threads", "1", "--learning-rate", "0.02", "--out", dir));
            Assert.Equal(table, File.ReadAllText(Path.Combine(dir, "results.csv")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
