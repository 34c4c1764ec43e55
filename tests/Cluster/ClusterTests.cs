using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using PdlfFast.Cluster;
using PdlfFast.Tasks.Runs;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cluster;

/// <summary>
/// Runs on an in-process Orleans cluster (TestingHost): every silo hosts a worker that pulls chunks from the
/// coordinator's board. The runs must end with the checkpoint of a local single-thread run, byte for byte.
/// </summary>
[Trait("Category", "EndToEnd")]
public class ClusterTests
{
    /// <summary>Each silo of the test cluster runs one worker of one thread.</summary>
    public sealed class WorkerSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton(new WorkerOptions(Threads: 1));
            siloBuilder.Services.AddHostedService<ClusterWorker>();
        }
    }

    /// <summary>Each silo runs one worker of three threads: it takes three chunks at a time, one per thread.</summary>
    public sealed class ThreeThreadWorkerSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton(new WorkerOptions(Threads: 3));
            siloBuilder.Services.AddHostedService<ClusterWorker>();
        }
    }

    private static async Task<TestCluster> StartAsync(int silos, bool threeThreads = false)
    {
        var builder = new TestClusterBuilder((short)silos);
        if (threeThreads) builder.AddSiloBuilderConfigurator<ThreeThreadWorkerSilo>();
        else builder.AddSiloBuilderConfigurator<WorkerSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Runs <paramref name="body"/> against a fresh cluster of <paramref name="silos"/> silos and a temporary directory, then removes both.</summary>
    private static async Task WithCluster(int silos, Func<TestCluster, string, Task> body, bool threeThreads = false)
    {
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-cluster-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var cluster = await StartAsync(silos, threeThreads);
        try
        {
            await body(cluster, root);
        }
        finally
        {
            await cluster.StopAllSilosAsync(TestContext.Current.CancellationToken);
            await cluster.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Steps the local and the distributed session alike, off the test's thread (the coordinator blocks on its calls).</summary>
    private static Task StepSideBySide(PdlfFast.Training.Runs.ITrainingSession local, PdlfFast.Training.Runs.ITrainingSession remote, int generations) =>
        Task.Run(() =>
        {
            for (int g = 0; g < generations; g++)
            {
                local.Step();
                remote.Step();
            }
        }, TestContext.Current.CancellationToken);

    /// <summary>The two sessions' checkpoints (strategy, best member, task payload) must be the same bytes.</summary>
    private static void AssertSameCheckpoint(PdlfFast.Training.Runs.ITrainingSession local, PdlfFast.Training.Runs.ITrainingSession remote, string root)
    {
        local.SaveCheckpoint(Path.Combine(root, "local.ckpt"));
        remote.SaveCheckpoint(Path.Combine(root, "remote.ckpt"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "local.ckpt")), File.ReadAllBytes(Path.Combine(root, "remote.ckpt")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public Task Copy_task_on_one_to_three_silos_ends_with_the_local_checkpoint(int silos) => WithCluster(silos, async (cluster, root) =>
    {
        var config = new CopyConfig { Hidden = 16, Population = 8, Sequences = 4, Length = 3, Latency = 2, TestSequences = 16, Threads = 1, Seed = 13 };
        using var local = CopyRun.CreateSession(config);
        using var remote = CopyRun.CreateSession(config);
        var coordinator = new Coordinator(cluster.Client, RunKinds.Copy, config.ToJson(), new CoordinatorOptions(ChunkItems: 3));
        remote.Run.Remote = coordinator;
        await StepSideBySide(local, remote, 5);
        AssertSameCheckpoint(local, remote, root);
        var workers = await coordinator.Workers();
        Assert.Equal(silos, workers.Length);
        Assert.Equal(5 * config.Population, workers.Sum(w => w.Items));
        Assert.All(workers, w => Assert.Null(w.Refusal));
        // Traffic grows with the state (dimension) and the items (population), not with their product.
        Assert.True(coordinator.LastTraffic.BytesIn < 4 * config.Population * 64);
    });

    [Fact]
    public Task A_worker_lost_mid_generation_delays_the_run_but_does_not_change_it() => WithCluster(3, async (cluster, root) =>
    {
        var config = new CopyConfig { Hidden = 16, Population = 8, Sequences = 4, Length = 3, Latency = 2, TestSequences = 16, Threads = 1, Seed = 21 };
        using var local = CopyRun.CreateSession(config);
        using var remote = CopyRun.CreateSession(config);
        // One item per chunk and a short re-issue time: the lost silo surely holds a chunk, and the test stays quick.
        var coordinator = new Coordinator(cluster.Client, RunKinds.Copy, config.ToJson(),
            new CoordinatorOptions(ChunkItems: 1) { ReissueAfter = TimeSpan.FromSeconds(1) });
        remote.Run.Remote = coordinator;
        var secondary = cluster.SecondarySilos[0];
        // A worker whose network is gone: it takes chunks and never returns them.
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var board = cluster.Client.GetGrain<ICoordinatorGrain>(Coordinator.DefaultBoard);
        var lost = new WorkerInfo("lost", "nowhere", 1, Coordinator.Build);
        var taker = Task.Run(async () =>
        {
            while (!cut.IsCancellationRequested)
            {
                try
                {
                    await board.Next(lost, null, -1);
                }
                catch (Exception e) when (e is TimeoutException or Orleans.Runtime.OrleansException)
                {
                    // The board's silo was the one killed: this worker's call is lost with it, like the chunks it holds.
                }
                await Task.Delay(50, CancellationToken.None);
            }
        }, cut.Token);
        await Task.Run(() =>
        {
            for (int g = 0; g < 6; g++)
            {
                local.Step();
                if (g == 2) _ = Task.Run(async () => { await Task.Delay(5); await cluster.KillSiloAsync(secondary); });
                remote.Step();
            }
        }, TestContext.Current.CancellationToken);
        cut.Cancel();
        await taker;
        Assert.True(coordinator.TotalReissued > 0, "no chunk was re-issued: the test lost nothing");
        AssertSameCheckpoint(local, remote, root);
    });

    [Fact]
    public Task Workers_of_several_threads_take_a_chunk_per_thread_and_change_no_bit() => WithCluster(2, async (cluster, root) =>
    {
        PdlfFast.Tasks.Physics.MuJoCoAvailability.Ensure();
        // Eight episodes per member (one per target): threads take single members, not pairs; a chunk is one member
        // and each worker asks for three at a time.
        var config = new LocomotionConfig { Task = "swimmer_dir", Hidden = 8, Population = 6, EpisodeSteps = 20, Threads = 1, Seed = 6 };
        using var local = LocomotionRun.CreateSession(config);
        using var remote = LocomotionRun.CreateSession(config);
        var coordinator = new Coordinator(cluster.Client, RunKinds.Locomotion, config.ToJson(), new CoordinatorOptions(ChunkItems: config.EpisodesPerMember));
        remote.Run.Remote = coordinator;
        await StepSideBySide(local, remote, 3);
        AssertSameCheckpoint(local, remote, root);
        var workers = await coordinator.Workers();
        Assert.All(workers, w => Assert.Equal(3, w.Worker.Threads));
        Assert.Equal(3 * config.Population * config.EpisodesPerMember, workers.Sum(w => w.Items));
    }, threeThreads: true);

    [Theory]
    [InlineData("cue")]
    [InlineData("copy")]
    public Task SpikePropamine_es_runs_on_two_silos_end_with_the_local_checkpoint(string task) => WithCluster(2, async (cluster, root) =>
    {
        var config = new SpikePropamineConfig { Task = task, Trainer = "es", Rule = "oja-neuromod", Hidden = 8, Population = 6, Batch = 3, Length = 3, Latency = 2,
            Threads = 1, Seed = 8 };
        using var local = SequenceRun.CreateSession(config);
        using var remote = SequenceRun.CreateSession(config);
        remote.Remote = new Coordinator(cluster.Client, RunKinds.SpikePropamine, config.ToJson(), new CoordinatorOptions(ChunkItems: 3));
        await StepSideBySide(local, remote, 3);
        AssertSameCheckpoint(local, remote, root);
    });

    [Fact]
    public Task The_synthetic_bench_workload_on_two_silos_ends_with_the_local_mean() => WithCluster(2, async (cluster, _) =>
    {
        var config = new SyntheticConfig { Inputs = 5, Hidden = 9, Outputs = 3, EpisodeSteps = 40, Population = 8, Threads = 1, Seed = 2 };
        using var local = config.CreateSession();
        using var remote = config.CreateSession();
        remote.Run.Remote = new Coordinator(cluster.Client, RunKinds.Synthetic, config.ToJson(), new CoordinatorOptions(ChunkItems: 2));
        await StepSideBySide(local, remote, 3);
        Bits.Equal(local.Strategy.Mean, remote.Strategy.Mean, "synthetic run's mean");
    });

    [Fact]
    public Task A_worker_that_joins_mid_run_takes_work_and_changes_no_bit() => WithCluster(1, async (cluster, root) =>
    {
        var config = new CopyConfig { Hidden = 16, Population = 8, Sequences = 4, Length = 3, Latency = 2, TestSequences = 16, Threads = 1, Seed = 17 };
        using var local = CopyRun.CreateSession(config);
        using var remote = CopyRun.CreateSession(config);
        var coordinator = new Coordinator(cluster.Client, RunKinds.Copy, config.ToJson(), new CoordinatorOptions(ChunkItems: 2));
        remote.Run.Remote = coordinator;
        await StepSideBySide(local, remote, 3);
        await cluster.StartAdditionalSiloAsync();
        // Wait until the new silo's worker has asked the board (it then takes chunks like the first).
        for (int wait = 0; wait < 300 && (await coordinator.Workers()).Length < 2; wait++) await Task.Delay(100, TestContext.Current.CancellationToken);
        await StepSideBySide(local, remote, 3);
        AssertSameCheckpoint(local, remote, root);
        var workers = await coordinator.Workers();
        Assert.Equal(2, workers.Length);
        Assert.All(workers, w => Assert.True(w.Items > 0, $"{w.Worker.Id} evaluated nothing"));
    });

    [Fact]
    public Task Swimmer_dir_on_two_silos_ends_with_the_local_checkpoint_observation_statistics_included() => WithCluster(2, async (cluster, root) =>
    {
        PdlfFast.Tasks.Physics.MuJoCoAvailability.Ensure();
        var config = new LocomotionConfig { Task = "swimmer_dir", Hidden = 8, Population = 6, EpisodeSteps = 30, Threads = 1, Seed = 4 };
        using var local = LocomotionRun.CreateSession(config);
        using var remote = LocomotionRun.CreateSession(config);
        remote.Run.Remote = new Coordinator(cluster.Client, RunKinds.Locomotion, config.ToJson(), new CoordinatorOptions(ChunkItems: 5));
        await StepSideBySide(local, remote, 3);
        AssertSameCheckpoint(local, remote, root);
    });

    [Fact]
    public Task A_worker_of_another_build_is_refused_and_listed_with_the_reason() => WithCluster(1, async (cluster, _) =>
    {
        var config = new CopyConfig { Hidden = 8, Population = 4, Sequences = 2, Length = 2, Latency = 1, Threads = 1 };
        using var remote = CopyRun.CreateSession(config);
        var coordinator = new Coordinator(cluster.Client, RunKinds.Copy, config.ToJson());
        remote.Run.Remote = coordinator;
        await Task.Run(() => remote.Step(), TestContext.Current.CancellationToken);
        var board = cluster.Client.GetGrain<ICoordinatorGrain>(Coordinator.DefaultBoard);
        var stranger = new WorkerInfo("stranger", "elsewhere", 4, "another-build");
        var answer = await board.Next(stranger, null, -1);
        Assert.NotNull(answer);
        Assert.Contains("another-build", answer.Refusal);
        Assert.Null(answer.StrategyState);
        Assert.Null(await board.Next(stranger, null, -1)); // refused once, then simply given nothing
        var listed = Assert.Single(await coordinator.Workers(), w => w.Worker.Id == "stranger");
        Assert.Contains("same pdlf build", listed.Refusal);
        Assert.Equal(0, listed.Items);
    });

    [Fact]
    public void Workers_cannot_build_runs_they_are_not_given_to_evaluate()
    {
        var bptt = new SpikePropamineConfig { Trainer = "bptt", Hidden = 8, Steps = 2, Batch = 2, Length = 3, Threads = 1 };
        var e = Assert.Throws<PdlfFast.Training.Runs.ConfigException>(() => RunKinds.CreateChunkRunner(RunKinds.SpikePropamine, bptt.ToJson(), 1));
        Assert.Contains("BPTT", e.Message);
        Assert.Throws<PdlfFast.Training.Runs.ConfigException>(() => RunKinds.CreateChunkRunner("chess", "{}", 1));
        Assert.Throws<PdlfFast.Training.Runs.ConfigException>(() => RunKinds.CreateChunkRunner(RunKinds.Copy, "{\"hidden\": -1}", 1));
        using var es = RunKinds.CreateChunkRunner(RunKinds.SpikePropamine, (bptt with { Trainer = "es", Population = 4 }).ToJson(), 2);
        Assert.Equal(4 * 2, es.Items);
    }
}
