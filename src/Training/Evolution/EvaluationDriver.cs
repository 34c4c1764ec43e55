using PdlfFast.Kernel.Random;
using PdlfFast.Training.Workers;

namespace PdlfFast.Training.Evolution;

/// <summary>Which episode a work item runs: its seed is shared by all members of a generation under common random numbers.</summary>
public readonly record struct EpisodeContext(int Generation, int Member, int Episode, ulong Seed);

/// <summary>
/// Runs episodes of parameter vectors. Implemented by a struct so the driver is specialised for it (no delegate or
/// interface call per episode); per-worker scratch (pooled network states, buffers) lives in <typeparamref name="TWorker"/>.
/// An episode's fitness must depend only on the parameters and <see cref="EpisodeContext"/>, never on the worker or
/// on what the worker ran before: that is what makes results independent of the thread count.
/// </summary>
public interface IFitnessEvaluator<TWorker> where TWorker : class
{
    TWorker CreateWorker(int worker);
    float Evaluate(TWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode);
}

public sealed record EvaluationOptions(int EpisodesPerMember = 1, int Threads = 1, bool CommonRandomNumbers = true, ulong Seed = 0)
{
    public void Validate()
    {
        if (EpisodesPerMember < 1 || EpisodesPerMember > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(EpisodesPerMember), EpisodesPerMember, "Episodes per member must be in 1..1048576.");
        if (Threads < 1 || Threads > 1024)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be in 1..1024.");
    }
}

/// <summary>What one generation's evaluation saw.</summary>
public readonly record struct EvaluationReport(int Episodes, int NonFiniteEpisodes);

/// <summary>
/// Evaluates a population: member x episode work items pulled by the workers of a <see cref="WorkerPool"/> from a
/// shared counter (episodes differ in length, so dynamic hand-out balances the load); each item's fitness goes to its
/// own slot and members average their episodes in episode order, so the result is the same for any thread count.
/// Allocates nothing per generation.
/// </summary>
public sealed class EvaluationDriver<TEvaluator, TWorker> : IParallelJob, IDisposable
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private TEvaluator _evaluator;
    private readonly TWorker[] _workers;
    private readonly WorkerPool _pool;
    private readonly float[] _episodeFitness;
    private readonly ulong[] _episodeSeeds;
    private int _next, _generation;
    private CancellationToken _cancellation;

    public EvaluationDriver(TEvaluator evaluator, int populationSize, int dimension, EvaluationOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(populationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options.Validate();
        _evaluator = evaluator;
        Options = options;
        PopulationSize = populationSize;
        Dimension = dimension;
        Population = new float[populationSize * dimension];
        Fitness = new float[populationSize];
        _episodeFitness = new float[populationSize * options.EpisodesPerMember];
        _episodeSeeds = new ulong[populationSize * options.EpisodesPerMember];
        _workers = new TWorker[options.Threads];
        for (int w = 0; w < options.Threads; w++) _workers[w] = _evaluator.CreateWorker(w);
        _pool = new WorkerPool(options.Threads);
    }

    public EvaluationOptions Options { get; }
    public int PopulationSize { get; }
    public int Dimension { get; }
    /// <summary>Members' parameters, row-major; a strategy's Ask writes here.</summary>
    public float[] Population { get; }
    /// <summary>Mean fitness over each member's episodes (NaN if any episode was not finite).</summary>
    public float[] Fitness { get; }
    /// <summary>Per-worker scratch, e.g. to read counters between generations (never while evaluating).</summary>
    public IReadOnlyList<TWorker> Workers => _workers;
    public ReadOnlySpan<float> EpisodeFitness => _episodeFitness;
    internal WorkerPool Pool => _pool;

    /// <summary>See <see cref="WorkerPool.BackgroundAllocatedBytes"/>.</summary>
    public long BackgroundAllocatedBytes => _pool.BackgroundAllocatedBytes;

    /// <summary>The seed of an episode: shared by all members of a generation under common random numbers.</summary>
    public static ulong EpisodeSeed(ulong seed, int generation, int member, int episode, bool commonRandomNumbers)
    {
        uint stream = commonRandomNumbers ? uint.MaxValue : (uint)member;
        return new RandomStream(seed, new StreamId((uint)generation, stream, (uint)episode, RandomPurposes.EpisodeSeeds)).NextUInt64();
    }

    public EvaluationReport Evaluate(int generation, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        int episodes = Options.EpisodesPerMember;
        for (int m = 0; m < PopulationSize; m++)
            for (int e = 0; e < episodes; e++)
                _episodeSeeds[m * episodes + e] = Options.CommonRandomNumbers && m > 0
                    ? _episodeSeeds[e]
                    : EpisodeSeed(Options.Seed, generation, m, e, Options.CommonRandomNumbers);
        _generation = generation;
        _cancellation = cancellation;
        _next = 0;
        _pool.Run(this);
        cancellation.ThrowIfCancellationRequested();
        return Reduce();
    }

    /// <summary>
    /// Evaluates generation <paramref name="generation"/> elsewhere: <paramref name="remote"/> fills every item's fitness,
    /// its workers rebuilding the members from <paramref name="strategyState"/>; members then average their episodes
    /// here exactly as after a local evaluation, so the result has the same bits.
    /// </summary>
    public EvaluationReport Evaluate(IGenerationEvaluator remote, int generation, ReadOnlySpan<byte> strategyState, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        cancellation.ThrowIfCancellationRequested();
        var shared = _evaluator as IGenerationShared; // a boxed copy: such evaluators keep their state in a shared object
        var sharedState = new double[shared?.SharedLength ?? 0];
        shared?.ExportShared(sharedState);
        int items = _episodeFitness.Length, itemLength = shared?.ItemLength ?? 0, episodes = Options.EpisodesPerMember;
        var itemData = new double[items * itemLength];
        remote.Evaluate(generation, episodes, strategyState, sharedState, _episodeFitness, itemData, cancellation);
        for (int item = 0; item < items && shared is not null; item++)
            shared.ImportItem(item / episodes, item % episodes, itemData.AsSpan(item * itemLength, itemLength));
        return Reduce();
    }

    private EvaluationReport Reduce()
    {
        int episodes = Options.EpisodesPerMember;
        int nonFinite = 0;
        for (int m = 0; m < PopulationSize; m++)
        {
            double sum = 0;
            bool finite = true;
            for (int e = 0; e < episodes; e++)
            {
                float f = _episodeFitness[m * episodes + e];
                if (!float.IsFinite(f)) { finite = false; nonFinite++; }
                sum += f;
            }
            Fitness[m] = finite ? (float)(sum / episodes) : float.NaN;
        }
        return new EvaluationReport(PopulationSize * episodes, nonFinite);
    }

    void IParallelJob.Execute(int worker)
    {
        var scratch = _workers[worker];
        int episodes = Options.EpisodesPerMember, items = PopulationSize * episodes;
        while (!_cancellation.IsCancellationRequested)
        {
            int item = Interlocked.Increment(ref _next) - 1;
            if (item >= items) return;
            int member = item / episodes, episode = item % episodes;
            var context = new EpisodeContext(_generation, member, episode, _episodeSeeds[item]);
            _episodeFitness[item] = _evaluator.Evaluate(scratch, Population.AsSpan(member * Dimension, Dimension), context);
        }
    }

    public void Dispose() => _pool.Dispose();
}
