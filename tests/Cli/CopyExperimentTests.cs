using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Checkpoints;

namespace PdlfFast.Tests.Cli;

public class CopyExperimentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CopyConfig Small => new()
    {
        Hidden = 16, Population = 8, Generations = 6, Sequences = 4, TestSequences = 16, TestEvery = 2, CheckpointEvery = 2,
        Length = 3, Latency = 2, Threads = 2,
    };

    [Fact]
    public void Bad_values_are_reported_with_the_option_and_its_range()
    {
        var problems = (Small with { Length = 0, Population = 7, Model = "lstm", Sigma = -1f, Fitness = "mse" }).Problems();
        Assert.Contains(problems, p => p.Contains("--fitness must be one of auto, accuracy, squared-error (got 'mse')"));
        Assert.Contains(problems, p => p.StartsWith("--length must be in 1..1024 (got 0)"));
        Assert.Contains(problems, p => p.Contains("--population must be even"));
        Assert.Contains(problems, p => p.Contains("--model must be one of pdlf, gru, snn, direct-snn (got 'lstm')"));
        Assert.Contains(problems, p => p.StartsWith("--sigma must be in"));
        Assert.Empty(Small.Problems());
        Assert.Contains((Small with { TrainResetFraction = 0.5f, Latency = 0 }).Problems(), p => p.StartsWith("--train-reset-fraction 0.5 needs --latency >= 1"));
        Assert.Contains((Small with { TrainResetFraction = 1.5f }).Problems(), p => p.StartsWith("--train-reset-fraction must be in 0..1 (got 1.5)"));
        Assert.Empty((Small with { TrainResetFraction = 1f }).Problems());
    }

    [Fact]
    public void Configs_round_trip_through_json_and_unknown_keys_are_refused()
    {
        var config = Small with { Model = "gru", Seed = 42, TrainResetFraction = 0.25f };
        Assert.Equal(config, CopyConfig.FromJson(config.ToJson(), "test"));
        // Keys a file leaves out keep their defaults; computed properties are not written.
        var partial = CopyConfig.FromJson("{\"model\": \"snn\", \"length\": 4}", "partial");
        Assert.Equal(new CopyConfig { Model = "snn", Length = 4 }, partial);
        Assert.DoesNotContain("task", config.ToJson());
        var ex = Assert.Throws<ConfigException>(() => CopyConfig.FromJson("{\"lenght\": 8}", "config 'x.json'"));
        Assert.Contains("config 'x.json'", ex.Message);

        // A config file without "fitness" takes today's default; a checkpoint without it was trained on accuracy.
        Assert.Equal("auto", partial.Fitness);
        Assert.Equal(partial with { Fitness = "accuracy" }, CopyConfig.FromCheckpointJson("{\"model\": \"snn\", \"length\": 4}", "old checkpoint"));
        Assert.Equal(config, CopyConfig.FromCheckpointJson(config.ToJson(), "new checkpoint"));

    }

    [Theory]
    [InlineData("pdlf", 0f, CopyFitness.SquaredError)]
    [InlineData("gru", 0f, CopyFitness.SquaredError)]
    [InlineData("snn", 0f, CopyFitness.Accuracy)]
    [InlineData("pdlf", 0.5f, CopyFitness.Accuracy)]
    [InlineData("gru", 1f, CopyFitness.Accuracy)]
    public void Auto_fitness_is_squared_error_unless_the_memory_must_sit_in_synapses(string model, float trainResetFraction, CopyFitness expected)
    {
        var config = Small with { Model = model, TrainResetFraction = trainResetFraction };
        Assert.Equal("auto", new CopyConfig().Fitness);
        Assert.Equal(expected, config.FitnessKind);
        Assert.Equal(expected, config.Evaluator().Fitness);
        Assert.Equal(CopyFitness.Accuracy, (config with { Fitness = "accuracy" }).FitnessKind);
        Assert.Equal(CopyFitness.SquaredError, (config with { Fitness = "squared-error" }).FitnessKind);
    }

    [Fact]
    public void A_run_stopped_and_resumed_ends_where_an_uninterrupted_run_ends()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-copy-{Guid.NewGuid():N}");
        try
        {
            var straight = Runs.Train(Small, Path.Combine(root, "a"));
            Runs.Train(Small with { Generations = 3 }, Path.Combine(root, "b"));
            var resumed = Runs.Train(Small, Path.Combine(root, "b"), resume: true);
            var (configA, meanA, generationA) = CopyRun.Load(Path.Combine(root, "a", RunDirectory.CheckpointName));
            var (_, meanB, generationB) = CopyRun.Load(Path.Combine(root, "b", RunDirectory.CheckpointName));
            Assert.Equal(6, generationA);
            Assert.Equal(6, generationB);
            Bits.Equal(meanA, meanB, "trained mean");
            Assert.Equal(straight.TestAccuracy, resumed.TestAccuracy);
            Assert.Equal(Small with { Threads = 1 }, configA);
            Assert.Equal(6, CopyRun.ReadLog(Path.Combine(root, "b")).Count);
            Assert.True(File.Exists(Path.Combine(root, "a", "summary.json")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Loading_a_damaged_checkpoint_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pdlf-bad-{Guid.NewGuid():N}.ckpt");
        File.WriteAllText(path, "not a checkpoint");
        try
        {
            var ex = Assert.Throws<CheckpointException>(() => CopyRun.Load(path));
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
