using PdlfFast.Tasks.Runs;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Tasks;

/// <summary>Locomotion runs keep the strategy's mean every N generations, for the rule analysis.</summary>
[Trait("Category", "EndToEnd")]
public class SnapshotTests
{
    [Fact]
    public void A_run_keeps_the_mean_every_n_generations_and_the_last_equals_the_checkpoint()
    {
        var config = new LocomotionConfig
        {
            Task = "swimmer_dir", Hidden = 8, Population = 4, EpisodeSteps = 20, Generations = 4, TestEvery = 2,
            CheckpointEvery = 2, SnapshotEvery = 2, Threads = 1, Seed = 3,
        };
        string dir = Path.Combine(Path.GetTempPath(), $"pdlf-snapshots-{Guid.NewGuid():N}");
        try
        {
            Runs.Train(config, dir);
            var snapshots = LocomotionRun.ReadSnapshots(dir);
            Assert.Equal([2, 4], snapshots.Select(s => s.Generation));
            var trained = LocomotionRun.Load(Path.Combine(dir, "checkpoint.ckpt"));
            Bits.Equal(trained.Parameters, snapshots[^1].Mean, "last snapshot vs checkpoint mean");
            Assert.NotEqual(snapshots[0].Mean, snapshots[1].Mean); // the mean moved between them
            Assert.Empty(LocomotionRun.ReadSnapshots(Path.Combine(dir, "no-such-run")));

            // pdlf analyse reads them back: figures written, and a directory without snapshots is a usage error.
            Assert.Equal(0, Runs.Cli("analyse", dir, "--synapses", "1"));
            Assert.True(new FileInfo(Path.Combine(dir, "rule-trajectories.png")).Length > 0);
            Assert.True(new FileInfo(Path.Combine(dir, "rule-windows.png")).Length > 0);
            Directory.Delete(Path.Combine(dir, LocomotionRun.SnapshotFolder), recursive: true);
            Assert.Equal(2, Runs.Cli("analyse", dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
