using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cli;

[Trait("Category", "EndToEnd")]
public class LocomotionExperimentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LocomotionConfig Small => new()
    {
        Task = "halfcheetah_vel", Hidden = 16, Population = 16, Generations = 8, EpisodeSteps = 50, TestEvery = 4, CheckpointEvery = 2,
        Threads = 2,
    };

    private static string TempDirectory(string what) => Path.Combine(Path.GetTempPath(), $"pdlf-{what}-{Guid.NewGuid():N}");

    [Fact]
    public void Bad_values_are_reported_with_the_option_and_its_range()
    {
        var problems = (Small with { Task = "walker", Population = 5, Policy = "lstm", EpisodeSteps = 0 }).Problems();
        Assert.Contains(problems, p => p.StartsWith("--task must be one of halfcheetah_vel, swimmer_dir, ant_dir, hopper_vel, reach_arm, reach_quadruped, ant_forward (got 'walker')"));
        Assert.Contains(problems, p => p.Contains("--population must be even"));
        Assert.Contains(problems, p => p.Contains("--policy must be one of pdlf, direct-weight, spikepropamine (got 'lstm')"));
        Assert.Contains(problems, p => p.StartsWith("--episode-steps must be in 1..100000 (got 0)"));
        Assert.Empty(Small.Problems());
    }

    [Fact]
    public void A_few_generations_improve_the_return_of_the_mean_on_swimmer_dir()
    {
        string dir = TempDirectory("sw");
        // swimmer_dir, not halfcheetah_vel: 8 generations of 50-step halfcheetah episodes improved the mean's return for 1
        // seed of 3 (noise stream 2), so a test on it would pass or fail by luck; 200-step swimmer episodes improved for every seed tried.
        var config = Small with { Task = "swimmer_dir", EpisodeSteps = 200 };
        try
        {
            var summary = Runs.Train(config, dir);
            // The initial mean is all zeros: no plasticity, weights stay zero, the swimmer lies still.
            var setup = config.Setup();
            using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
            using var worker = new LocomotionWorker(setup, model);
            var initial = LocomotionRun.TestTrainingTargets(worker, new float[setup.Dimension],
                LocomotionRun.Load(Path.Combine(dir, RunDirectory.CheckpointName)).Normaliser, new double[8]);
            Assert.True(summary.TestReturn > initial + 1, $"trained {summary.TestReturn:F1} vs initial {initial:F1}");
            Assert.Equal(8, LocomotionRun.ReadLog(dir).Count);
            Assert.Equal(0, summary.Instabilities);

            // Several test episodes per target: the first repeats the logged test exactly, later ones start from other
            // reset states, and the thread count does not change a bit.
            var policy = LocomotionRun.Load(Path.Combine(dir, RunDirectory.CheckpointName));
            var oneThread = LocomotionRun.TestEpisodes(policy, Injury.None, episodes: 3, threads: 1);
            var twoThreads = LocomotionRun.TestEpisodes(policy, Injury.None, episodes: 3, threads: 2);
            Assert.Equal(oneThread, twoThreads);
            for (int k = 0; k < 8; k++) Assert.Equal(summary.TestReturnPerTarget[k], oneThread[k, 0]);
            Assert.Contains(Enumerable.Range(0, 8), k => oneThread[k, 1] != oneThread[k, 0]);

            // Under conditions: the intact row is the plain test, and threads change nothing there either.
            var conditions = LocomotionRun.TestConditions(policy, [EnvironmentCondition.None, EnvironmentCondition.TorsoMass(3)], Injury.None, 3, 2);
            Assert.Equal(ConditionResult.From(EnvironmentCondition.None, oneThread), conditions[0]);
            Assert.Equal(conditions, LocomotionRun.TestConditions(policy, [EnvironmentCondition.None, EnvironmentCondition.TorsoMass(3)], Injury.None, 3, 1));
            Assert.NotEqual(conditions[0].Mean, conditions[1].Mean);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_run_stopped_and_resumed_ends_where_an_uninterrupted_run_ends()
    {
        var config = Small with { Task = "swimmer_dir", Policy = "direct-weight", Generations = 4, Population = 6, EpisodeSteps = 20 };
        var (a, _) = StoppedAndResumed(config);
        Assert.Equal(6 * 8 * 20 * 4, a.Normaliser.Count);
    }

    /// <summary>
    /// Trains <paramref name="config"/> (4 generations) straight through and as 2 generations resumed on one thread
    /// to 4; checks that both end on the same bits and returns the two trained policies.
    /// </summary>
    private static (TrainedPolicy Straight, TrainedPolicy Resumed) StoppedAndResumed(LocomotionConfig config)
    {
        string root = TempDirectory("loco-resume");
        try
        {
            var straight = Runs.Train(config, Path.Combine(root, "a"));
            Runs.Train(config with { Generations = 2 }, Path.Combine(root, "b"));
            var resumed = Runs.Train(config with { Threads = 1 }, Path.Combine(root, "b"), resume: true);
            var a = LocomotionRun.Load(Path.Combine(root, "a", RunDirectory.CheckpointName));
            var b = LocomotionRun.Load(Path.Combine(root, "b", RunDirectory.CheckpointName));
            Assert.Equal((4, 4), (a.Generation, b.Generation));
            Bits.Equal(a.Parameters, b.Parameters, "trained mean");
            Assert.Equal(a.Normaliser.Mean.ToArray(), b.Normaliser.Mean.ToArray());
            Assert.Equal(straight.TestReturn, resumed.TestReturn);
            Assert.Equal(config with { Threads = 1 }, a.Config);
            return (a, b);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int Run(params string[] args) => Runs.Cli(args);

    [Fact]
    public void Train_eval_with_injuries_and_generalise_work_from_the_command_line()
    {
        string dir = TempDirectory("loco-cli");
        try
        {
            Assert.Equal(0, Run("train", "swimmer_dir", "--generations", "2", "--population", "4", "--hidden", "8", "--episode-steps", "600",
                "--compare", "direct-weight", "acd", "--threads", "2", "--out", dir));
            Assert.True(File.Exists(Path.Combine(dir, "curves.png")));
            Assert.True(File.Exists(Path.Combine(dir, "acd", "summary.json")));
            string checkpoint = Path.Combine(dir, "checkpoint.ckpt");
            string figures = Path.Combine(dir, "figures");
            Assert.Equal(0, Run("eval", checkpoint, "--injury", "temporary", "--plots", figures));
            foreach (var file in new[] { "injury-temporary.png", "injury-weights.png", "injury-permanent.png", "embedding.png" })
                Assert.True(new FileInfo(Path.Combine(figures, file)).Length > 1000, file);
            Assert.Equal(0, Run("eval", checkpoint, "--injury", "permanent", "--fraction", "0.5"));
            Assert.Equal(0, Run("eval", checkpoint, "--episodes", "3", "--threads", "2"));
            Assert.Equal(2, Run("eval", checkpoint, "--episodes", "0"));
            Assert.Equal(0, Run("eval", checkpoint, "--condition", "standard", "--episodes", "2", "--plots", figures));
            var table = File.ReadAllLines(Path.Combine(figures, "conditions.csv"));
            Assert.Equal("policy,condition,episodes,mean_return,standard_error,fraction_of_intact", table[0]);
            Assert.Equal(["none", "actuator-off=0", "friction=0.5", "friction=2", "torso-mass=1.5"], table.Skip(1).Select(r => r.Split(',')[1]));
            Assert.Equal(2, Run("eval", checkpoint, "--condition", "friction=0"));
            Assert.Equal(2, Run("eval", checkpoint, "--condition", "actuator-off=9"));
            Assert.Equal(0, Run("conditions", checkpoint, Path.Combine(dir, "direct-weight", "checkpoint.ckpt"),
                "--condition", "actuator-off=1", "--episodes", "2", "--out", dir));
            var both = File.ReadAllLines(Path.Combine(dir, "conditions.csv"));
            Assert.Equal(1 + 2 * 2, both.Length);
            Assert.Equal(2, both.Count(r => r.Contains(",actuator-off=1,")));
            // Not a checkpoint: the same exit code (1, bad data) as eval gives.
            Assert.Equal(1, Run("conditions", Path.Combine(dir, "curves.png")));
            Assert.Equal(1, Run("eval", Path.Combine(dir, "curves.png")));
            Assert.Equal(0, Run("generalise", checkpoint, "--targets", "4", "--out", dir));
            var rows = File.ReadAllLines(Path.Combine(dir, "generalisation.csv"));
            Assert.Equal("target,return,training_target", rows[0]);
            Assert.Equal(4 + 8, rows.Length - 1);
            Assert.Equal(8, rows.Skip(1).Count(r => r.EndsWith(",True")));

            Assert.Equal(0, Run("steer", checkpoint, "--shape", "circle", "--steps", "50", "--out", dir));
            Assert.Equal(51, File.ReadAllLines(Path.Combine(dir, "steer.csv")).Length);
            Assert.True(File.Exists(Path.Combine(dir, "steer.png")));
            Assert.Equal(2, Run("steer", checkpoint, "--size", "0"));

            // Options of the other kind of checkpoint, bad fractions and bad budgets exit with 2.
            Assert.Equal(2, Run("eval", checkpoint, "--reset-during-delay"));
            Assert.Equal(2, Run("eval", checkpoint, "--injury", "permanent", "--fraction", "1.5"));
            Assert.Equal(2, Run("train", "swimmer_dir", "--population", "3", "--out", dir));
            // A fresh run (here with other episode lengths) over a finished one is refused rather than overwriting it.
            var before = File.ReadAllBytes(checkpoint);
            Assert.Equal(2, Run("train", "swimmer_dir", "--generations", "1", "--population", "4", "--hidden", "8", "--episode-steps", "300",
                "--compare", "none", "--threads", "1", "--out", dir));
            Assert.Equal(before, File.ReadAllBytes(checkpoint));
            Assert.Equal(2, Run("generalise", checkpoint, "--targets", "1"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Ant_forward_trains_on_its_single_target_and_refuses_generalise_and_steer()
    {
        var task = LocomotionTasks.Find("ant_forward")!;
        Assert.Equal((1, 0f, false), (task.TrainingTargetCount, task.TrainingTarget(0), task.HasTargetRange));
        Assert.Throws<ArgumentOutOfRangeException>(() => task.TrainingTarget(1));
        string dir = TempDirectory("ant-forward");
        try
        {
            Assert.Equal(0, Run("train", "ant_forward", "--generations", "1", "--population", "4", "--hidden", "8", "--episode-steps", "50",
                "--compare", "none", "--threads", "2", "--out", dir));
            string checkpoint = Path.Combine(dir, "checkpoint.ckpt");
            // One training target: the fitness and the test both cover a single direction.
            Assert.Equal(1, LocomotionRun.Load(checkpoint).Config.EpisodesPerMember / LocomotionRun.Load(checkpoint).Config.EpisodesPerTarget);
            Assert.Equal(2, Run("generalise", checkpoint, "--targets", "4", "--out", dir));
            Assert.Equal(2, Run("steer", checkpoint, "--steps", "20", "--out", dir));
            Assert.Equal(0, Run("eval", checkpoint, "--episodes", "2", "--condition", "torso-mass=1.5"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SpikePropamine_trains_beside_its_non_plastic_twin_and_evaluates_from_the_command_line()
    {
        string dir = TempDirectory("spl-cli");
        try
        {
            // 560 steps: just past the temporary injury's window (501-549), so eval --plots draws it.
            Assert.Equal(0, Run("train", "swimmer_dir", "--policy", "spikepropamine", "--trace-rule", "oja", "--generations", "1",
                "--population", "4", "--hidden", "8", "--episode-steps", "560", "--threads", "2", "--out", dir));
            foreach (var file in new[] { "config.json", "log.jsonl", "checkpoint.ckpt", "summary.json", "curves.png" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
            string checkpoint = Path.Combine(dir, "checkpoint.ckpt"), twin = Path.Combine(dir, "non-plastic", "checkpoint.ckpt");
            Assert.True(File.Exists(Path.Combine(dir, "non-plastic", "summary.json")), "the non-plastic comparison is the default");
            Assert.Contains("\"policy\":\"spikepropamine\",\"rule\":\"abcd\",\"trace-rule\":\"oja\"", File.ReadAllText(Path.Combine(dir, "config.json")));
            var plastic = LocomotionRun.Load(checkpoint);
            var fixedWeights = LocomotionRun.Load(twin);
            Assert.Equal(("spikepropamine", "oja", 1), (plastic.Config.Policy, plastic.Config.TraceRule, plastic.Generation));
            Assert.Equal(plastic.Config with { TraceRule = "none" }, fixedWeights.Config);
            Assert.Equal(plastic.Config.Dimension, plastic.Parameters.Length);

            string figures = Path.Combine(dir, "figures");
            Assert.Equal(0, Run("eval", checkpoint, "--condition", "torso-mass=1.5", "--episodes", "2", "--plots", figures));
            Assert.Equal(3, File.ReadAllLines(Path.Combine(figures, "conditions.csv")).Length);
            Assert.Equal(0, Run("eval", checkpoint, "--injury", "temporary", "--plots", figures));
            foreach (var file in new[] { "injury-temporary.png", "injury-permanent.png", "embedding.png" })
                Assert.True(new FileInfo(Path.Combine(figures, file)).Length > 1000, file);
            Assert.False(File.Exists(Path.Combine(figures, "injury-weights.png")), "the readout does not change within an episode");
            Assert.Equal(0, Run("eval", checkpoint, "--injury", "permanent", "--fraction", "0.5", "--threads", "2"));
            // Without plasticity there are no plastic traces for the temporary injury to wipe.
            Assert.Equal(2, Run("eval", twin, "--injury", "temporary"));
            Assert.Equal(0, Run("conditions", checkpoint, twin, "--condition", "actuator-off=1", "--episodes", "2", "--out", dir));
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "conditions.csv")).Count(r => r.Contains(",actuator-off=1,")));
            Assert.Equal(0, Run("generalise", checkpoint, "--targets", "4", "--out", dir));
            Assert.Equal(2, Run("analyse", dir)); // no PDLF rules to analyse
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Options_that_do_not_fit_the_policy_exit_with_2_and_name_the_option()
    {
        string dir = TempDirectory("spl-bad");
        string[] budget = ["--generations", "1", "--population", "4", "--hidden", "8", "--episode-steps", "10", "--threads", "1", "--out", dir];
        Assert.Equal(2, Run(["train", "swimmer_dir", "--policy", "pdlf", "--trace-rule", "oja", .. budget]));
        Assert.Equal(2, Run(["train", "swimmer_dir", "--trace-rule", "hebbian", .. budget]));
        Assert.Equal(2, Run(["train", "swimmer_dir", "--policy", "spikepropamine", "--rule", "acd", .. budget]));
        Assert.Equal(2, Run(["train", "swimmer_dir", "--policy", "spikepropamine", "--rule", "abcd", .. budget]));
        Assert.Equal(2, Run(["train", "swimmer_dir", "--policy", "spikepropamine", "--trace-rule", "stdp", .. budget]));
        Assert.Equal(2, Run(["train", "swimmer_dir", "--compare", "non-plastic", .. budget]));
        Assert.False(Directory.Exists(dir), "a refused run writes nothing");

        Assert.Contains("--trace-rule applies to --policy spikepropamine (got --policy pdlf with --trace-rule oja).",
            (Small with { TraceRule = "oja" }).Problems());
        Assert.Contains("--rule applies to --policy pdlf (PDLF's terms); --policy spikepropamine takes --trace-rule (got --rule bd).",
            (Small with { Policy = "spikepropamine", Rule = "bd" }).Problems());
        Assert.Contains((Small with { Policy = "spikepropamine", TraceRule = "stdp" }).Problems(),
            p => p.StartsWith("--trace-rule must be one of none, hebbian, oja, bcm, hebbian-neuromod, oja-neuromod, bcm-neuromod, hebbian-retroactive (got 'stdp')"));
        Assert.Empty((Small with { Policy = "spikepropamine", TraceRule = "hebbian-retroactive" }).Problems());
    }

    [Fact]
    public void Configs_of_the_other_policies_are_written_as_before_the_trace_rule_existed()
    {
        // A config as the code before --trace-rule wrote it (and so as every old checkpoint carries it).
        const string old = "{\"task\":\"swimmer_dir\",\"policy\":\"pdlf\",\"rule\":\"abcd\",\"hidden\":8,\"strategy\":\"pgpe\",\"population\":4,"
            + "\"generations\":2,\"episodes-per-target\":1,\"episode-steps\":100,\"learning-rate\":0.01,\"sigma\":0.04,\"test-every\":10,"
            + "\"checkpoint-every\":5,\"snapshot-every\":10,\"seed\":1,\"threads\":2}";
        var read = LocomotionConfig.FromJson(old, "old config");
        Assert.Null(read.TraceRule);
        Assert.Equal(old, read.ToJson());
        Assert.Empty(read.Problems());
        // A SpikePropamine config that names no trace rule records the default.
        var spikePropamine = read with { Policy = "spikepropamine" };
        Assert.Equal("hebbian", spikePropamine.TraceRule);
        Assert.Contains("\"trace-rule\":\"hebbian\"", spikePropamine.ToJson());
        Assert.Equal("SpikePropamine (hebbian)", spikePropamine.Label);
    }

    [Fact]
    public void A_SpikePropamine_run_stopped_and_resumed_ends_where_an_uninterrupted_run_ends()
    {
        var config = Small with
        {
            Task = "swimmer_dir", Policy = "spikepropamine", TraceRule = "hebbian-neuromod", Hidden = 8, Generations = 4, Population = 4,
            EpisodeSteps = 20,
        };
        var (a, _) = StoppedAndResumed(config);
        // The strategy started from the seeded initial mean, not from zeros, and moved from it by Adam steps.
        var initial = config.Setup().InitialParameters(config.Seed)!;
        Assert.NotEqual(initial, a.Parameters);
        Assert.True(initial.Zip(a.Parameters).Max(p => MathF.Abs(p.First - p.Second)) < 0.5f, "the mean moves by Adam steps from its start");
    }
}
