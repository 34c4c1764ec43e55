using PdlfFast.Training.Workers;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// Evaluates a generation somewhere else than the run's own workers (e.g. on a cluster; set it as
/// <see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/>). Items are numbered as the
/// <see cref="EvaluationDriver{TEvaluator,TWorker}"/> numbers them: <c>member * episodesPerMember + episode</c>.
/// </summary>
/// <remarks>
/// An implementation ships <c>strategyState</c> (and <c>shared</c>) to workers that run a
/// <see cref="ChunkEvaluator{TEvaluator,TWorker}"/> built from the same configuration, and gathers their fitness values
/// into the item slots. Because each item's fitness is a pure function of the member's parameters and its
/// <see cref="EpisodeContext"/>, any split of the items gives the bits of a local run (docs/design.md, "Cluster").
/// Called on the run's thread, once per generation.
/// </remarks>
public interface IGenerationEvaluator
{
    /// <summary>
    /// Fills <paramref name="episodeFitness"/> with every item's fitness for generation <paramref name="generation"/>,
    /// whose members are rebuilt from <paramref name="strategyState"/> (what <see cref="IEvolutionStrategy.WriteAskState"/>
    /// wrote before the generation's tell). For evaluators with <see cref="IGenerationShared"/> state, the workers take
    /// <paramref name="shared"/> before running items and return <see cref="IGenerationShared.ItemLength"/> values per
    /// item in <paramref name="itemData"/> (item-major); both are empty otherwise.
    /// </summary>
    /// <param name="generation">The generation being evaluated (0-based, = <see cref="IEvolutionStrategy.Generation"/> before the tell).</param>
    /// <param name="episodesPerMember">Items per member (<see cref="EvaluationOptions.EpisodesPerMember"/>).</param>
    /// <param name="strategyState">The strategy's ask state; valid only during the call (copy it to keep it).</param>
    /// <param name="shared">The coordinator's shared evaluator state (<see cref="IGenerationShared.ExportShared"/>), or empty.</param>
    /// <param name="episodeFitness">Receives one fitness per item: population x episodes per member.</param>
    /// <param name="itemData">Receives each item's recorded values, item-major, or empty.</param>
    /// <param name="cancellation">Stops the evaluation; the generation is then discarded by the caller.</param>
    void Evaluate(int generation, int episodesPerMember, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared, Span<float> episodeFitness,
        Span<double> itemData, CancellationToken cancellation);
}

/// <summary>
/// State an evaluator's episodes share beyond the parameters, for distributed runs: what every episode of a generation
/// reads (e.g. frozen observation statistics: coordinator to workers) and what each episode records (e.g. its own
/// observation statistics: workers to coordinator, merged there in item order so the bits do not depend on the split).
/// </summary>
/// <remarks>
/// Implemented by an <see cref="IFitnessEvaluator{TWorker}"/> struct in addition; the runtime reaches it through a
/// boxed copy, so such an evaluator must keep this state in a reference-type object its copies share. Called on one
/// thread, between evaluations, never while workers run.
/// </remarks>
public interface IGenerationShared
{
    /// <summary>Doubles of state every episode of a generation reads (coordinator to workers).</summary>
    int SharedLength { get; }
    /// <summary>Coordinator side: writes the shared state (<see cref="SharedLength"/> values) before a remote generation.</summary>
    void ExportShared(Span<double> destination);
    /// <summary>Worker side: takes the shared state the coordinator exported, before any item of the generation runs.</summary>
    void ImportShared(ReadOnlySpan<double> source);
    /// <summary>Doubles each item records for the coordinator (workers to coordinator).</summary>
    int ItemLength { get; }
    /// <summary>Worker side: writes what item (<paramref name="member"/>, <paramref name="episode"/>) recorded (<see cref="ItemLength"/> values).</summary>
    void ExportItem(int member, int episode, Span<double> destination);
    /// <summary>
    /// Coordinator side: takes what item (<paramref name="member"/>, <paramref name="episode"/>) recorded remotely, as
    /// if it had run here. Called in item order, so a merge in this order gives the same bits for any split.
    /// </summary>
    void ImportItem(int member, int episode, ReadOnlySpan<double> source);
}

/// <summary>A remote worker's evaluator of one run, whatever its task (the non-generic face of <see cref="ChunkEvaluator{TEvaluator,TWorker}"/>).</summary>
public interface IChunkRunner : IDisposable
{
    /// <summary>Items of a generation: population x episodes per member.</summary>
    int Items { get; }
    /// <summary>Values each item records for the coordinator (0 unless the evaluator has <see cref="IGenerationShared"/> state).</summary>
    int ItemLength { get; }
    /// <summary>The generation whose state is loaded (-1 before the first <see cref="Load"/>).</summary>
    int Generation { get; }
    /// <summary>
    /// Restores the strategy's ask state for <paramref name="generation"/> (and the evaluator's shared state);
    /// repeated calls for the loaded generation do nothing.
    /// </summary>
    void Load(int generation, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared = default);
    /// <summary>Runs items [<paramref name="start"/>, <paramref name="end"/>) of the loaded generation into <paramref name="fitness"/>.</summary>
    void Evaluate(int start, int end, Span<float> fitness, Span<double> itemData = default, CancellationToken cancellation = default);
}

/// <summary>
/// A remote worker's side of a distributed generation: it restores the strategy from the state the coordinator
/// sends, rebuilds only the members of the items it is given (<see cref="IEvolutionStrategy.AskMember"/>) and runs
/// those items on its own pool of threads, items handed out dynamically. Every item's fitness depends only on the
/// member's parameters and its <see cref="EpisodeContext"/>, so any split of the items over any number of workers and
/// threads gives the bits a single local run gives.
/// </summary>
/// <remarks>
/// The evaluator is a struct and the worker a class for the same reasons as in
/// <see cref="EvaluationDriver{TEvaluator,TWorker}"/>: see <see cref="IFitnessEvaluator{TWorker}"/>. The constructor
/// allocates the workers, one member and one noise buffer per thread and starts the pool's threads; afterwards
/// <see cref="Evaluate"/> allocates only when a chunk is larger than any before it. One caller at a time:
/// <see cref="Load"/> and <see cref="Evaluate"/> must not overlap. Dispose to stop the threads.
/// </remarks>
/// <typeparam name="TEvaluator">The task's evaluator (a struct; see <see cref="IFitnessEvaluator{TWorker}"/>).</typeparam>
/// <typeparam name="TWorker">The evaluator's per-thread scratch.</typeparam>
public sealed class ChunkEvaluator<TEvaluator, TWorker> : IParallelJob, IChunkRunner
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private TEvaluator _evaluator;
    private readonly IEvolutionStrategy _strategy;
    private readonly EvaluationOptions _options;
    private readonly WorkerPool _pool;
    private readonly TWorker[] _workers;
    private readonly float[][] _members, _noise;
    private readonly int[] _memberInBuffer, _pairInNoise;
    private int _nextUnit, _lastUnit, _start, _end;
    private float[] _fitness = [];
    private int _first;
    private CancellationToken _cancellation;

    /// <summary>A worker-side runner with <see cref="EvaluationOptions.Threads"/> threads and one worker each.</summary>
    /// <param name="evaluator">The run's evaluator, built from the run's configuration exactly as the coordinator built it.</param>
    /// <param name="strategy">A strategy built from the run's configuration (its state is replaced by <see cref="Load"/>).</param>
    /// <param name="options">
    /// The run's options; <see cref="EvaluationOptions.Seed"/>, <see cref="EvaluationOptions.EpisodesPerMember"/> and
    /// <see cref="EvaluationOptions.CommonRandomNumbers"/> must match the coordinator's, the thread count need not.
    /// </param>
    public ChunkEvaluator(TEvaluator evaluator, IEvolutionStrategy strategy, EvaluationOptions options)
    {
        _strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        options.Validate();
        _evaluator = evaluator;
        _options = options;
        _pool = new WorkerPool(options.Threads);
        _workers = new TWorker[options.Threads];
        _members = new float[options.Threads][];
        _noise = new float[options.Threads][];
        _memberInBuffer = new int[options.Threads];
        _pairInNoise = new int[options.Threads];
        for (int w = 0; w < options.Threads; w++)
        {
            _workers[w] = _evaluator.CreateWorker(w);
            _members[w] = new float[strategy.Dimension];
            _noise[w] = new float[strategy.Dimension];
        }
        Shared = _evaluator as IGenerationShared; // a boxed copy: such evaluators keep their state in a shared object
    }

    /// <summary>Items per unit of work a thread takes: a mirrored pair of one-episode members, else one member's episodes.</summary>
    private int UnitItems => _options.EpisodesPerMember == 1 ? 2 : _options.EpisodesPerMember;

    /// <summary>The generation whose state is loaded (-1 before the first).</summary>
    public int Generation { get; private set; } = -1;
    /// <inheritdoc/>
    public int Items => _strategy.PopulationSize * _options.EpisodesPerMember;
    /// <inheritdoc/>
    public int ItemLength => Shared?.ItemLength ?? 0;

    /// <summary>Resources the evaluator needs and this runner owns (e.g. a physics model), disposed with it.</summary>
    public IReadOnlyList<IDisposable> Owned { get; init; } = [];
    /// <summary>Per-thread scratch (index = worker), e.g. to read counters between chunks; never while evaluating.</summary>
    public IReadOnlyList<TWorker> Workers => _workers;

    /// <summary>The evaluator's shared state, when it has some (<see cref="IGenerationShared"/>).</summary>
    internal IGenerationShared? Shared { get; }

    /// <summary>
    /// Restores the strategy's state for <paramref name="generation"/>, and the evaluator's shared state when it has
    /// some (once per generation; later calls are free).
    /// </summary>
    /// <param name="generation">The generation to evaluate; must be the one the state was written at.</param>
    /// <param name="strategyState">What the coordinator's <see cref="IEvolutionStrategy.WriteAskState"/> wrote.</param>
    /// <param name="shared">The coordinator's shared evaluator state, when the evaluator has some.</param>
    /// <exception cref="InvalidDataException">The state is of another generation, strategy, size or seed.</exception>
    public void Load(int generation, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared = default)
    {
        if (generation == Generation) return;
        if (Shared is not null) Shared.ImportShared(shared);
        using (var reader = new BinaryReader(new MemoryStream(strategyState.ToArray())))
            _strategy.ReadAskState(reader);
        if (_strategy.Generation != generation)
            throw new InvalidDataException($"The state is of generation {_strategy.Generation}, not {generation}.");
        Generation = generation;
        Array.Fill(_memberInBuffer, -1);
        Array.Fill(_pairInNoise, -1);
    }

    /// <summary>
    /// Runs items [<paramref name="start"/>, <paramref name="end"/>) of the loaded generation into <paramref name="fitness"/>
    /// and, for evaluators with shared state, each item's recorded data into <paramref name="itemData"/>.
    /// Items are handed to this runner's threads dynamically; the result does not depend on which thread ran what.
    /// </summary>
    /// <param name="start">First item (member x episodes + episode).</param>
    /// <param name="end">One past the last item; at most <see cref="Items"/>.</param>
    /// <param name="fitness">Receives <c>end - start</c> fitness values.</param>
    /// <param name="itemData">Receives <c>(end - start) x <see cref="ItemLength"/></c> values, item-major.</param>
    /// <param name="cancellation">Stops between items; then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">No generation was loaded.</exception>
    public void Evaluate(int start, int end, Span<float> fitness, Span<double> itemData = default, CancellationToken cancellation = default)
    {
        int itemLength = Shared?.ItemLength ?? 0;
        if (itemData.Length != (end - start) * itemLength)
            throw new ArgumentException($"{itemData.Length} item values for {end - start} items of {itemLength}.", nameof(itemData));
        if (Generation < 0) throw new InvalidOperationException("Load a generation's state first.");
        if (start < 0 || end > Items || start > end) throw new ArgumentOutOfRangeException(nameof(end), $"Items [{start}, {end}) are outside 0..{Items}.");
        if (fitness.Length != end - start) throw new ArgumentException($"{fitness.Length} fitness slots for {end - start} items.", nameof(fitness));
        if (_fitness.Length < end - start) _fitness = new float[end - start];
        _first = start;
        _start = start;
        _end = end;
        // Threads take work units: mirrored pairs when a member has one episode (one noise draw then serves both
        // members), single members otherwise, so that a chunk of a few members keeps every thread of a worker busy.
        _nextUnit = end > start ? start / UnitItems : 0;
        _lastUnit = end > start ? (end - 1) / UnitItems : -1;
        _cancellation = cancellation;
        _pool.Run(this);
        cancellation.ThrowIfCancellationRequested();
        _fitness.AsSpan(0, end - start).CopyTo(fitness);
        int episodes = _options.EpisodesPerMember;
        for (int item = start; item < end && Shared is not null; item++)
            Shared.ExportItem(item / episodes, item % episodes, itemData.Slice((item - start) * itemLength, itemLength));
    }

    void IParallelJob.Execute(int worker)
    {
        var scratch = _workers[worker];
        var member = _members[worker];
        var noise = _noise[worker];
        int episodes = _options.EpisodesPerMember;
        int unitItems = UnitItems;
        while (!_cancellation.IsCancellationRequested)
        {
            int unit = Interlocked.Increment(ref _nextUnit) - 1;
            if (unit > _lastUnit) return;
            int first = Math.Max(_start, unit * unitItems), last = Math.Min(_end, (unit + 1) * unitItems);
            for (int item = first; item < last && !_cancellation.IsCancellationRequested; item++)
            {
                int m = item / episodes, e = item % episodes, pair = m / 2;
                if (_memberInBuffer[worker] != m)
                {
                    if (_pairInNoise[worker] != pair)
                    {
                        _strategy.DrawPairNoise(pair, noise);
                        _pairInNoise[worker] = pair;
                    }
                    _strategy.MemberFromNoise(m, noise, member);
                    _memberInBuffer[worker] = m;
                }
                var context = new EpisodeContext(Generation, m, e,
                    EvaluationDriver<TEvaluator, TWorker>.EpisodeSeed(_options.Seed, Generation, m, e, _options.CommonRandomNumbers));
                _fitness[item - _first] = _evaluator.Evaluate(scratch, member, context);
            }
        }
    }

    /// <summary>Stops the worker threads and disposes <see cref="Owned"/>.</summary>
    public void Dispose()
    {
        _pool.Dispose();
        foreach (var owned in Owned) owned.Dispose();
    }
}
