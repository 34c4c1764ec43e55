using PdlfFast.Training.Workers;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// Evaluates a generation somewhere else than the run's own workers (e.g. on a cluster). Items are numbered as the
/// <see cref="EvaluationDriver{TEvaluator,TWorker}"/> numbers them: <c>member * episodesPerMember + episode</c>.
/// </summary>
public interface IGenerationEvaluator
{
    /// <summary>
    /// Fills <paramref name="episodeFitness"/> with every item's fitness for generation <paramref name="generation"/>,
    /// whose members are rebuilt from <paramref name="strategyState"/> (what <see cref="IEvolutionStrategy.WriteAskState"/>
    /// wrote before the generation's tell). For evaluators with <see cref="IGenerationShared"/> state, the workers take
    /// <paramref name="shared"/> before running items and return <see cref="IGenerationShared.ItemLength"/> values per
    /// item in <paramref name="itemData"/> (item-major); both are empty otherwise.
    /// </summary>
    void Evaluate(int generation, int episodesPerMember, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared, Span<float> episodeFitness,
        Span<double> itemData, CancellationToken cancellation);
}

/// <summary>
/// State an evaluator's episodes share beyond the parameters, for distributed runs: what every episode of a generation
/// reads (e.g. frozen observation statistics: coordinator to workers) and what each episode records (e.g. its own
/// observation statistics: workers to coordinator, merged there in item order so the bits do not depend on the split).
/// </summary>
public interface IGenerationShared
{
    int SharedLength { get; }
    void ExportShared(Span<double> destination);
    void ImportShared(ReadOnlySpan<double> source);
    int ItemLength { get; }
    void ExportItem(int member, int episode, Span<double> destination);
    void ImportItem(int member, int episode, ReadOnlySpan<double> source);
}

/// <summary>A remote worker's evaluator of one run, whatever its task (the non-generic face of <see cref="ChunkEvaluator{TEvaluator,TWorker}"/>).</summary>
public interface IChunkRunner : IDisposable
{
    /// <summary>Items of a generation: population x episodes per member.</summary>
    int Items { get; }
    /// <summary>Values each item records for the coordinator (0 unless the evaluator has <see cref="IGenerationShared"/> state).</summary>
    int ItemLength { get; }
    int Generation { get; }
    void Load(int generation, ReadOnlySpan<byte> strategyState, ReadOnlySpan<double> shared = default);
    void Evaluate(int start, int end, Span<float> fitness, Span<double> itemData = default, CancellationToken cancellation = default);
}

/// <summary>
/// A remote worker's side of a distributed generation: it restores the strategy from the state the coordinator
/// sends, rebuilds only the members of the items it is given (<see cref="IEvolutionStrategy.AskMember"/>) and runs
/// those items on its own pool of threads, items handed out dynamically. Every item's fitness depends only on the
/// member's parameters and its <see cref="EpisodeContext"/>, so any split of the items over any number of workers and
/// threads gives the bits a single local run gives.
/// </summary>
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

    /// <param name="strategy">A strategy built from the run's configuration (its state is replaced by <see cref="Load"/>).</param>
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
    public int Items => _strategy.PopulationSize * _options.EpisodesPerMember;
    public int ItemLength => Shared?.ItemLength ?? 0;

    /// <summary>Resources the evaluator needs and this runner owns (e.g. a physics model), disposed with it.</summary>
    public IReadOnlyList<IDisposable> Owned { get; init; } = [];
    public IReadOnlyList<TWorker> Workers => _workers;

    /// <summary>The evaluator's shared state, when it has some (<see cref="IGenerationShared"/>).</summary>
    public IGenerationShared? Shared { get; }

    /// <summary>
    /// Restores the strategy's state for <paramref name="generation"/>, and the evaluator's shared state when it has
    /// some (once per generation; later calls are free).
    /// </summary>
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
    /// </summary>
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

    public void Dispose()
    {
        _pool.Dispose();
        foreach (var owned in Owned) owned.Dispose();
    }
}
