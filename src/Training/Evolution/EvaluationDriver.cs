using PdlfFast.Kernel.Random;
using PdlfFast.Training.Workers;

namespace PdlfFast.Training.Evolution;

/// <summary>Which episode a work item runs: its seed is shared by all members of a generation under common random numbers.</summary>
/// <param name="Generation">The generation being evaluated (0-based).</param>
/// <param name="Member">The member's index in the population (0 .. population - 1; members 2k and 2k+1 are a mirrored pair).</param>
/// <param name="Episode">The episode's index within the member (0 .. <see cref="EvaluationOptions.EpisodesPerMember"/> - 1).</param>
/// <param name="Seed">
/// The episode seed (<see cref="EvaluationDriver{TEvaluator,TWorker}.EpisodeSeed"/>): everything random in the episode
/// (task sample, environment reset) must derive from it, so the fitness is a pure function of the parameters and this
/// context.
/// </param>
public readonly record struct EpisodeContext(int Generation, int Member, int Episode, ulong Seed);

/// <summary>
/// Runs episodes of parameter vectors: a task's fitness, as the evolution strategies see it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Why a struct evaluator and a class worker.</b> The runtime types
/// (<see cref="EvaluationDriver{TEvaluator,TWorker}"/>, <see cref="EvolutionRun{TEvaluator,TWorker}"/>,
/// <see cref="ChunkEvaluator{TEvaluator,TWorker}"/>) take the evaluator as a type parameter constrained to a struct.
/// .NET compiles a separate copy of generic code for every struct type argument, so the per-episode call
/// <see cref="Evaluate"/> is a direct call the JIT or AOT compiler can inline: no delegate or interface dispatch per
/// episode, and nothing boxed. The evaluator itself holds only what every thread reads (the task's settings, a shared
/// read-only model); it is copied by value and must not be mutated by <see cref="Evaluate"/>. Everything an episode
/// writes (pooled network states, observation buffers, a physics data block) lives in the worker: a reference type,
/// made once per thread by <see cref="CreateWorker"/> and reused for every episode that thread runs, so a generation
/// allocates nothing and threads share no mutable state (no locks). See docs/design.md, "Memory layout and kernels".
/// </para>
/// <para>
/// <b>Determinism.</b> An episode's fitness must depend only on the parameters and <see cref="EpisodeContext"/>, never
/// on the worker, on what the worker ran before or on the thread: that is what makes results independent of the thread
/// count and of how a cluster splits the items. Derive all randomness from <see cref="EpisodeContext.Seed"/>.
/// </para>
/// <para>
/// An evaluator whose episodes also share state beyond the parameters (e.g. observation statistics) implements
/// <see cref="IGenerationShared"/> too, so that distributed runs can carry it.
/// </para>
/// </remarks>
/// <typeparam name="TWorker">Per-thread scratch; a class so that the one instance per thread is shared, not copied.</typeparam>
public interface IFitnessEvaluator<TWorker> where TWorker : class
{
    /// <summary>
    /// Makes the scratch of thread <paramref name="worker"/> (0 .. threads - 1). Called once per thread when a driver
    /// or chunk runner is built, on the constructing thread; may allocate freely.
    /// </summary>
    TWorker CreateWorker(int worker);

    /// <summary>
    /// Runs one episode of <paramref name="parameters"/> and returns its fitness (higher is better; NaN or an infinity
    /// marks a diverged episode, which ranks last). Called concurrently from all threads, each with its own
    /// <paramref name="worker"/>; must allocate nothing and must not keep <paramref name="parameters"/>, which the
    /// caller reuses.
    /// </summary>
    /// <param name="worker">The calling thread's scratch, from <see cref="CreateWorker"/>.</param>
    /// <param name="parameters">The member's parameter vector (the strategy's dimension), read-only.</param>
    /// <param name="episode">Which episode: generation, member, episode index and the episode seed.</param>
    float Evaluate(TWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode);
}

/// <summary>How a generation is evaluated: episodes per member, threads, common random numbers and the episode seed.</summary>
/// <remarks>
/// <b>The two seeds.</b> A run has two seeds with separate jobs. The strategy's seed (<see cref="PgpeOptions.Seed"/>,
/// <see cref="OpenAiEsOptions.Seed"/>) draws the search noise, i.e. which parameter vectors the members are.
/// <see cref="Seed"/> here draws the episodes: each episode's <see cref="EpisodeContext.Seed"/> (task sample,
/// environment reset) derives from it. The two draw from different <see cref="RandomPurposes"/>, so one value may
/// serve as both (the tasks' runs pass their one configured seed to both) without their random numbers ever
/// coinciding. Changing only <see cref="Seed"/> keeps the members and changes the episodes they are scored on.
/// </remarks>
/// <param name="EpisodesPerMember">Episodes averaged into a member's fitness, 1 .. 2^20.</param>
/// <param name="Threads">Evaluation threads (the calling thread included), 1 .. 1024; never changes a result.</param>
/// <param name="CommonRandomNumbers">
/// True (the reference's choice): all members of a generation run episode e with the same seed, so members differ
/// only in their parameters and the ranking is less noisy (docs/design.md, "Evolution strategies"). False: every
/// member draws its own episodes.
/// </param>
/// <param name="Seed">The episode seed: what every episode's random numbers derive from (see the remarks).</param>
public sealed record EvaluationOptions(int EpisodesPerMember = 1, int Threads = 1, bool CommonRandomNumbers = true, ulong Seed = 0)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a value is outside the range given above.</summary>
    public void Validate()
    {
        if (EpisodesPerMember < 1 || EpisodesPerMember > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(EpisodesPerMember), EpisodesPerMember, "Episodes per member must be in 1..1048576.");
        if (Threads < 1 || Threads > 1024)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be in 1..1024.");
    }
}

/// <summary>What one generation's evaluation saw.</summary>
/// <param name="Episodes">Episodes run: population x episodes per member.</param>
/// <param name="NonFiniteEpisodes">Episodes whose fitness was NaN or infinite (their member's fitness is then NaN).</param>
public readonly record struct EvaluationReport(int Episodes, int NonFiniteEpisodes);

/// <summary>
/// Evaluates a population: member x episode work items pulled by the workers of a <see cref="WorkerPool"/> from a
/// shared counter (episodes differ in length, so dynamic hand-out balances the load); each item's fitness goes to its
/// own slot and members average their episodes in episode order, so the result is the same for any thread count.
/// Allocates nothing per generation.
/// </summary>
/// <remarks>
/// A driver belongs to an <see cref="EvolutionRun{TEvaluator,TWorker}"/>, which builds it
/// (<see cref="EvolutionRun{TEvaluator,TWorker}.Driver"/>), has the strategy ask into its population and evaluates it
/// once per generation. Hosts read it between generations: the members and their fitness as read-only views,
/// the workers' counters and the allocation figure. Nothing here may be read while
/// <see cref="EvolutionRun{TEvaluator,TWorker}.Step"/> runs.
/// </remarks>
/// <typeparam name="TEvaluator">The task's evaluator (a struct; see <see cref="IFitnessEvaluator{TWorker}"/> for why).</typeparam>
/// <typeparam name="TWorker">The evaluator's per-thread scratch.</typeparam>
public sealed class EvaluationDriver<TEvaluator, TWorker> : IParallelJob, IDisposable
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private TEvaluator _evaluator;
    private readonly TWorker[] _workers;
    private readonly WorkerPool _pool;
    private readonly float[] _episodeFitness, _fitness;
    private readonly ulong[] _episodeSeeds;
    private int _next, _generation;
    private CancellationToken _cancellation;

    /// <summary>A driver with one worker per thread (made now, by <see cref="IFitnessEvaluator{TWorker}.CreateWorker"/>) and its thread pool.</summary>
    internal EvaluationDriver(TEvaluator evaluator, int populationSize, int dimension, EvaluationOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(populationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options.Validate();
        _evaluator = evaluator;
        Options = options;
        PopulationSize = populationSize;
        Dimension = dimension;
        PopulationBuffer = new float[populationSize * dimension];
        _fitness = new float[populationSize];
        _episodeFitness = new float[populationSize * options.EpisodesPerMember];
        _episodeSeeds = new ulong[populationSize * options.EpisodesPerMember];
        _workers = new TWorker[options.Threads];
        for (int w = 0; w < options.Threads; w++) _workers[w] = _evaluator.CreateWorker(w);
        _pool = new WorkerPool(options.Threads);
    }

    /// <summary>The options the driver was built with.</summary>
    public EvaluationOptions Options { get; }
    /// <summary>Members per generation (the strategy's population size).</summary>
    public int PopulationSize { get; }
    /// <summary>Parameters per member (the strategy's dimension).</summary>
    public int Dimension { get; }

    /// <summary>
    /// The members' parameters, <see cref="PopulationSize"/> rows of <see cref="Dimension"/> floats, row-major: the last
    /// generation asked on this process. Read-only view; zeros before the first generation, and not
    /// written at all when generations are evaluated remotely (<see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/>),
    /// whose members are rebuilt by the workers.
    /// </summary>
    public ReadOnlySpan<float> Population => PopulationBuffer;

    /// <summary>Member <paramref name="member"/>'s row of <see cref="Population"/> (<see cref="Dimension"/> floats).</summary>
    public ReadOnlySpan<float> Member(int member)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(member);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(member, PopulationSize);
        return PopulationBuffer.AsSpan(member * Dimension, Dimension);
    }

    /// <summary>The population the strategy asks into (writable: only the run and tests write it).</summary>
    internal float[] PopulationBuffer { get; }

    /// <summary>
    /// The last evaluation's fitness per member: the mean over its episodes, averaged in episode order (NaN if any
    /// episode was not finite). Read-only view, one value per member.
    /// </summary>
    public ReadOnlySpan<float> Fitness => _fitness;
    /// <summary>Per-worker scratch (index = thread), e.g. to read counters between generations (never while evaluating).</summary>
    public IReadOnlyList<TWorker> Workers => _workers;
    /// <summary>The last evaluation's fitness per item, item <c>member * EpisodesPerMember + episode</c>.</summary>
    public ReadOnlySpan<float> EpisodeFitness => _episodeFitness;
    internal WorkerPool Pool => _pool;

    /// <summary>See <see cref="WorkerPool.BackgroundAllocatedBytes"/>: what the pool's own threads allocated (0 per generation after warm-up).</summary>
    public long BackgroundAllocatedBytes => _pool.BackgroundAllocatedBytes;

    /// <summary>
    /// The seed of an episode: shared by all members of a generation under common random numbers. A pure function of
    /// its arguments (a Philox draw under <see cref="RandomPurposes.EpisodeSeeds"/>), so remote workers compute the
    /// same seeds.
    /// </summary>
    /// <param name="seed">The episode seed of the run (<see cref="EvaluationOptions.Seed"/>), not the strategy's seed.</param>
    /// <param name="generation">The generation.</param>
    /// <param name="member">The member; ignored under common random numbers.</param>
    /// <param name="episode">The episode within the member.</param>
    /// <param name="commonRandomNumbers">See <see cref="EvaluationOptions.CommonRandomNumbers"/>.</param>
    public static ulong EpisodeSeed(ulong seed, int generation, int member, int episode, bool commonRandomNumbers)
    {
        uint stream = commonRandomNumbers ? uint.MaxValue : (uint)member;
        return new RandomStream(seed, new StreamId((uint)generation, stream, (uint)episode, RandomPurposes.EpisodeSeeds)).NextUInt64();
    }

    /// <summary>Evaluates <see cref="Population"/> as generation <paramref name="generation"/> on this process's threads.</summary>
    internal EvaluationReport Evaluate(int generation, CancellationToken cancellation = default)
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
    internal EvaluationReport Evaluate(IGenerationEvaluator remote, int generation, ReadOnlySpan<byte> strategyState, CancellationToken cancellation = default)
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
            _fitness[m] = finite ? (float)(sum / episodes) : float.NaN;
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
            _episodeFitness[item] = _evaluator.Evaluate(scratch, PopulationBuffer.AsSpan(member * Dimension, Dimension), context);
        }
    }

    /// <summary>Stops the pool's threads. The run disposes its driver; hosts do not.</summary>
    public void Dispose() => _pool.Dispose();
}
