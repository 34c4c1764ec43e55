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

    private static async Task<TestCluster> StartAsync(int silos)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.AddSiloBuilderConfigurator<WorkerSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Copy_task_on_one_to_three_silos_ends_with_the_local_checkpoint(int silos)
    {
        var config = new CopyConfig { Hidden = 16, Population = 8, Sequences = 4, Length = 3, Latency = 2, TestSequences = 16, Threads = 1, Seed = 13 };
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-cluster-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var cluster = await StartAsync(silos);
        try
        {
            using var local = CopyRun.CreateSession(config);
            using var remote = CopyRun.CreateSession(config);
            var coordinator = new Coordinator(cluster.Client, RunKinds.Copy, config.ToJson(), new CoordinatorOptions(ChunkItems: 3));
            remote.Run.Remote = coordinator;
            await Task.Run(() =>
            {
                for (int g = 0; g < 5; g++)
                {
                    local.Step();
                    remote.Step();
                }
            }, TestContext.Current.CancellationToken);
            local.SaveCheckpoint(Path.Combine(root, "local.ckpt"));
            remote.SaveCheckpoint(Path.Combine(root, "remote.ckpt"));
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "local.ckpt")), File.ReadAllBytes(Path.Combine(root, "remote.ckpt")));
            var workers = await coordinator.Workers();
            Assert.Equal(silos, workers.Length);
            Assert.Equal(5 * config.Population, workers.Sum(w => w.Items));
            Assert.All(workers, w => Assert.Null(w.Refusal));
            // Traffic grows with the state (dimension) and the items (population), not with their product.
            Assert.True(coordinator.LastTraffic.BytesIn < 4 * config.Population * 64);
        }
        finally
        {
            await cluster.StopAllSilosAsync(TestContext.Current.CancellationToken);
            await cluster.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }
}
