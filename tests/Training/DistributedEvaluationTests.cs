using PdlfFast.Tasks.Copy;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Evolution;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Training;

/// <summary>
/// A generation evaluated by remote workers (here in process: several <see cref="ChunkEvaluator{TEvaluator,TWorker}"/>s
/// with their own strategies and thread counts, fed chunks of random sizes in a shuffled order) must give the bits of
/// a local run: the property the cluster rests on.
/// </summary>
public class DistributedEvaluationTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>Hands a generation's items out in shuffled chunks of 1-7 items to several chunk evaluators.</summary>
    private sealed class ShuffledWorkers<TEvaluator, TWorker>(ChunkEvaluator<TEvaluator, TWorker>[] workers, int seed) : IGenerationEvaluator
        where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
    {
        public int Chunks { get; private set; }

        public void Evaluate(int generation, int episodesPerMember, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared,
            Span<float> episodeFitness, Span<double> itemData, CancellationToken cancellation)
        {
            var random = new Random(seed + generation);
            var chunks = new List<(int Start, int End)>();
            for (int start = 0; start < episodeFitness.Length;)
            {
                int end = Math.Min(episodeFitness.Length, start + random.Next(1, 8));
                chunks.Add((start, end));
                start = end;
            }
            episodeFitness.Fill(float.NaN);
            int itemLength = itemData.Length / episodeFitness.Length;
            // Some chunks run twice (a worker that timed out and was replaced): the result must not change.
            foreach (var (start, end) in chunks.Concat(chunks.Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()))
            {
                var worker = workers[random.Next(workers.Length)];
                worker.Load(generation, strategyState, shared);
                worker.Evaluate(start, end, episodeFitness[start..end], itemData[(start * itemLength)..(end * itemLength)], cancellation);
                Chunks++;
            }
        }
    }

    [Theory]
    [InlineData("pgpe", "pdlf")]
    [InlineData("openai-es", "gru")]
    public void Copy_task_generations_evaluated_by_remote_workers_give_the_local_bits(string strategy, string model)
    {
        var config = new CopyConfig
        {
            Model = model, Strategy = strategy, Hidden = 16, Population = 8, Sequences = 4, Length = 3, Latency = 2, TestSequences = 16,
            Threads = 1, Seed = 9,
        };
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-distributed-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var workers = new[] { 1, 2, 3 }.Select(threads => new ChunkEvaluator<CopyEvaluator, CopyWorker>(config.Evaluator(), CopyRun.CreateStrategy(config),
            new EvaluationOptions(EpisodesPerMember: 1, Threads: threads, CommonRandomNumbers: true, Seed: config.Seed))).ToArray();
        try
        {
            using var local = CopyRun.CreateSession(config);
            using var remote = CopyRun.CreateSession(config);
            var cluster = new ShuffledWorkers<CopyEvaluator, CopyWorker>(workers, seed: 3);
            remote.Run.Remote = cluster;
            for (int g = 0; g < 6; g++)
            {
                var a = local.Step();
                var b = remote.Step();
                Assert.Equal((a.BestFitness, a.MeanFitness, a.BestEverFitness), (b.BestFitness, b.MeanFitness, b.BestEverFitness));
            }
            Bits.Equal(local.Strategy.Mean, remote.Strategy.Mean, "strategy mean");
            Bits.Equal(local.Run.BestParameters, remote.Run.BestParameters, "best member");
            local.SaveCheckpoint(Path.Combine(root, "local.ckpt"));
            remote.SaveCheckpoint(Path.Combine(root, "remote.ckpt"));
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "local.ckpt")), File.ReadAllBytes(Path.Combine(root, "remote.ckpt")));
            Assert.True(cluster.Chunks > 6, "the items were not split");
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void Locomotion_generations_evaluated_by_remote_workers_give_the_local_bits_observation_statistics_included()
    {
        PdlfFast.Tasks.Physics.MuJoCoAvailability.Ensure();
        var config = new LocomotionConfig { Task = "swimmer_dir", Hidden = 8, Population = 6, EpisodeSteps = 30, Threads = 1, Seed = 4 };
        var setup = config.Setup();
        string root = Path.Combine(Path.GetTempPath(), $"pdlf-distributed-loco-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var models = new List<PdlfFast.Tasks.Physics.MuJoCoModel>();
        var workers = new[] { 1, 2 }.Select(threads =>
        {
            var model = PdlfFast.Tasks.Physics.MuJoCoModel.FromEmbedded(setup.Task.ModelName);
            models.Add(model);
            var statistics = new PdlfFast.Tasks.Locomotion.ObservationStatistics(setup.Task.StateObservationSize, config.Population, config.EpisodesPerMember);
            return new ChunkEvaluator<PdlfFast.Tasks.Locomotion.LocomotionEvaluator, PdlfFast.Tasks.Locomotion.LocomotionWorker>(
                new PdlfFast.Tasks.Locomotion.LocomotionEvaluator(setup, model, statistics), LocomotionRun.CreateStrategy(config),
                new EvaluationOptions(config.EpisodesPerMember, threads, CommonRandomNumbers: true, Seed: config.Seed));
        }).ToArray();
        try
        {
            using var local = LocomotionRun.CreateSession(config);
            using var remote = LocomotionRun.CreateSession(config);
            var cluster = new ShuffledWorkers<PdlfFast.Tasks.Locomotion.LocomotionEvaluator, PdlfFast.Tasks.Locomotion.LocomotionWorker>(workers, seed: 5);
            remote.Run.Remote = cluster;
            for (int g = 0; g < 3; g++)
            {
                var a = local.Step();
                var b = remote.Step();
                Assert.Equal((a.BestFitness, a.MeanFitness), (b.BestFitness, b.MeanFitness));
            }
            local.SaveCheckpoint(Path.Combine(root, "local.ckpt"));
            remote.SaveCheckpoint(Path.Combine(root, "remote.ckpt"));
            // The checkpoint holds the strategy and the merged observation statistics.
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "local.ckpt")), File.ReadAllBytes(Path.Combine(root, "remote.ckpt")));
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
            foreach (var model in models) model.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_chunk_evaluator_refuses_a_state_of_another_generation_and_items_outside_the_population()
    {
        var config = new CopyConfig { Hidden = 8, Population = 4, Sequences = 2, Length = 2, Latency = 1, Threads = 1 };
        using var session = CopyRun.CreateSession(config);
        session.Step();
        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true)) session.Strategy.WriteAskState(writer);
        using var worker = new ChunkEvaluator<CopyEvaluator, CopyWorker>(config.Evaluator(), CopyRun.CreateStrategy(config), new EvaluationOptions(Threads: 1, Seed: config.Seed));
        Assert.Throws<InvalidOperationException>(() => worker.Evaluate(0, 1, new float[1], cancellation: Ct));
        Assert.Throws<InvalidDataException>(() => worker.Load(0, state.ToArray()));
        worker.Load(1, state.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => worker.Evaluate(3, 5, new float[2], cancellation: Ct));
        var fitness = new float[4];
        worker.Evaluate(0, 4, fitness, cancellation: Ct);
        Assert.All(fitness, f => Assert.True(float.IsFinite(f)));
    }
}
