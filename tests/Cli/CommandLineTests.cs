using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cli;

[Trait("Category", "EndToEnd")]
public class CommandLineTests
{
    private static int Run(params string[] args) => Runs.Cli(args);

    [Fact]
    public void Sweep_writes_one_csv_row_per_grid_point_and_model()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-sweep-{Guid.NewGuid():N}");
        try
        {
            int exit = Run("sweep", "copy", "--lengths", "2", "3", "--latencies", "1", "--models", "snn", "gru", "--generations", "4",
                "--population", "4", "--sequences", "2", "--hidden", "8", "--test-sequences", "8", "--test-every", "2", "--threads", "1", "--out", dir);
            Assert.Equal(0, exit);
            var lines = File.ReadAllLines(Path.Combine(dir, "results.csv"));
            Assert.Equal("length,latency,model,generations,population,sequences,test_accuracy,test_accuracy_with_reset,wall_seconds", lines[0]);
            Assert.Equal(["2,1,snn", "2,1,gru", "3,1,snn", "3,1,gru"], lines.Skip(1).Select(l => string.Join(',', l.Split(',').Take(3))));
            Assert.All(lines.Skip(1), l => Assert.Equal("4", l.Split(',')[3]));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Train_then_eval_round_trips_through_the_checkpoint_and_bad_values_exit_with_2()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-train-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(0, Run("train", "copy", "--generations", "3", "--population", "4", "--sequences", "2", "--hidden", "8",
                "--test-sequences", "8", "--compare", "none", "--threads", "1", "--out", dir));
            Assert.True(File.Exists(Path.Combine(dir, "curves.png")));
            Assert.Equal(0, Run("eval", Path.Combine(dir, "checkpoint.ckpt"), "--reset-during-delay", "--test-sequences", "8"));
            Assert.Equal(2, Run("train", "copy", "--length", "0", "--out", dir));
            Assert.Equal(2, Run("eval", Path.Combine(dir, "missing.ckpt")));
            // A fresh run over a finished one is refused; the finished run's checkpoint stays as it was.
            var before = File.ReadAllBytes(Path.Combine(dir, "checkpoint.ckpt"));
            Assert.Equal(2, Run("train", "copy", "--generations", "3", "--population", "4", "--sequences", "2", "--hidden", "8",
                "--test-sequences", "8", "--compare", "none", "--threads", "1", "--out", dir));
            Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "checkpoint.ckpt")));
            // Resuming with a different model is refused rather than silently mixing runs.
            Assert.Equal(2, Run("train", "copy", "--model", "gru", "--generations", "4", "--population", "4", "--sequences", "2",
                "--hidden", "8", "--compare", "none", "--threads", "1", "--out", dir, "--resume"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
