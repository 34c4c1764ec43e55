using System.Diagnostics;
using PdlfFast.Training.Checkpoints;

namespace PdlfFast.Training.Evolution;

/// <summary>One generation's figures, as a progress display or a log line wants them.</summary>
/// <param name="Generation">The generation just done (0-based; the strategy's <see cref="IEvolutionStrategy.Generation"/> is now one more).</param>
/// <param name="BestFitness">The generation's best finite member fitness (NaN if none was finite).</param>
/// <param name="MeanFitness">The mean of the generation's finite member fitness values (NaN if none was finite).</param>
/// <param name="BestEverFitness">The best member fitness of the whole run so far (<see cref="EvolutionRun{TEvaluator,TWorker}.BestFitness"/>).</param>
/// <param name="NonFiniteEpisodes">Episodes of this generation whose fitness was NaN or infinite.</param>
/// <param name="Seconds">Wall seconds of the whole generation: ask, evaluation, tell.</param>
/// <param name="EpisodesPerSecond">Episodes evaluated per wall second of the generation.</param>
public readonly record struct GenerationReport(int Generation, float BestFitness, float MeanFitness, float BestEverFitness,
    int NonFiniteEpisodes, double Seconds, double EpisodesPerSecond)
{
    /// <summary>Episodes evaluated in the generation.</summary>
    public int Episodes { get; init; }
    /// <summary>Wall seconds of the strategy's own work (ask, rank, tell) in <see cref="Seconds"/>.</summary>
    public double StrategySeconds { get; init; }
}

/// <summary>
/// The generation loop: Ask into the driver's population, evaluate on all workers, Tell, keep the best member seen.
/// After the first generation nothing is allocated per generation. Checkpoints hold the strategy state, the
/// best-so-far and an optional caller payload (e.g. a task's observation statistics); loading one and running on
/// continues exactly as if the run had never stopped.
/// </summary>
/// <remarks>
/// <para>
/// <b>Determinism.</b> A run is a pure function of the strategy (its options and seed), the evaluator and
/// <see cref="EvaluationOptions"/> (its episode seed): the same bits on any thread count, any x86-64 vector width,
/// locally or on a cluster, and across a checkpoint and resume. The ask and the tell run on the driver's threads over
/// fixed 1,024-parameter chunks, each parameter depending only on its own noise and the ranks; the evaluation writes
/// every item's fitness to its own slot and reduces in a fixed order (docs/design.md, "Evolution strategies" and
/// "Vector paths and determinism").
/// </para>
/// <para>
/// <b>Threading.</b> One caller at a time: <see cref="Step"/>, <see cref="Run"/>, the checkpoint methods and the
/// properties must not overlap. The calling thread works as worker 0 during a step. Do not ask, tell or restore
/// <see cref="Strategy"/> yourself while it belongs to a run.
/// </para>
/// <para>
/// <b>Allocation.</b> The constructor allocates the population (population x dimension floats), the workers and the
/// pool's threads; <see cref="Step"/> allocates nothing after the first generation (remote generations: whatever the
/// <see cref="IGenerationEvaluator"/> allocates, plus the state buffer). Checkpoints allocate their bytes.
/// </para>
/// </remarks>
/// <typeparam name="TEvaluator">The task's evaluator, a struct (see <see cref="IFitnessEvaluator{TWorker}"/> for why).</typeparam>
/// <typeparam name="TWorker">The evaluator's per-thread scratch, a class.</typeparam>
public sealed class EvolutionRun<TEvaluator, TWorker> : IDisposable
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private const string PayloadTag = "pdlf-evolution/2";
    private readonly float[] _best;
    private readonly StrategyRangeJob _strategyJob;
    private readonly MemoryStream _state = new();

    /// <summary>
    /// A run of <paramref name="strategy"/> from its current state (a new strategy: generation 0). Builds the driver,
    /// one worker per thread and the thread pool; <see cref="BestParameters"/> starts as the strategy's mean.
    /// </summary>
    /// <param name="strategy">The search distribution and its seed; the run owns its state from now on.</param>
    /// <param name="evaluator">The task's fitness; copied by value.</param>
    /// <param name="options">Episodes per member, threads, common random numbers and the episode seed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="strategy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="options"/> are out of range.</exception>
    public EvolutionRun(IEvolutionStrategy strategy, TEvaluator evaluator, EvaluationOptions options)
    {
        Strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        Driver = new EvaluationDriver<TEvaluator, TWorker>(evaluator, strategy.PopulationSize, strategy.Dimension, options);
        _best = new float[strategy.Dimension];
        strategy.Mean.CopyTo(_best);
        _strategyJob = new StrategyRangeJob(strategy, Driver.PopulationBuffer);
    }

    /// <summary>
    /// The strategy the run drives: read its <see cref="IEvolutionStrategy.Mean"/> (the current solution) and
    /// <see cref="IEvolutionStrategy.Generation"/> (generations done) between steps.
    /// </summary>
    public IEvolutionStrategy Strategy { get; }
    /// <summary>The evaluation side: the current population, its fitness and the workers, read-only between steps.</summary>
    public EvaluationDriver<TEvaluator, TWorker> Driver { get; }
    /// <summary>The best member fitness of the run so far (negative infinity before the first finite one).</summary>
    public float BestFitness { get; private set; } = float.NegativeInfinity;
    /// <summary>The generation in which <see cref="BestFitness"/> was reached (-1 before any).</summary>
    public int BestGeneration { get; private set; } = -1;
    /// <summary>
    /// Parameters of the best member evaluated so far (the initial mean before any generation). A member's fitness is
    /// its episodes' mean, so with few episodes the best member is partly luck; the strategy's mean is usually the
    /// better solution to test.
    /// </summary>
    public ReadOnlySpan<float> BestParameters => _best;
    /// <summary>Episodes whose fitness was NaN or infinite over the whole run (kept in checkpoints).</summary>
    public long NonFiniteEpisodes { get; private set; }

    /// <summary>
    /// Where generations are evaluated: null (the default) on this process's workers; otherwise by
    /// <see cref="IGenerationEvaluator"/> (e.g. a cluster), which gets the strategy's state and returns every item's
    /// fitness. Either way a seed gives the same bits.
    /// </summary>
    public IGenerationEvaluator? Remote { get; set; }

    /// <summary>
    /// Runs one generation: ask (on the pool, locally), evaluate (locally or through <see cref="Remote"/>), tell, and
    /// update the best-so-far; <see cref="IEvolutionStrategy.Generation"/> then advances by one.
    /// </summary>
    /// <param name="cancellation">
    /// Stops the evaluation between work items and throws <see cref="OperationCanceledException"/>. The strategy has
    /// then not been told: a later <see cref="Step"/> runs the same generation again, with the same bits.
    /// </param>
    public GenerationReport Step(CancellationToken cancellation = default)
    {
        long start = Stopwatch.GetTimestamp();
        int generation = Strategy.Generation;
        EvaluationReport evaluation;
        double strategySeconds = 0;
        if (Remote is { } remote)
        {
            // Workers rebuild the members they run from the state: nothing of size population x dimension travels.
            _state.SetLength(0);
            using (var writer = new BinaryWriter(_state, System.Text.Encoding.UTF8, leaveOpen: true)) Strategy.WriteAskState(writer);
            // This process does not ask: the population (population x dimension floats) is never needed here, and the
            // tell redraws each pair's noise as it goes, which costs less than writing every member while the workers,
            // possibly on this machine, need the cores and the memory bandwidth.
            evaluation = Driver.Evaluate(remote, generation, _state.GetBuffer().AsSpan(0, (int)_state.Length), cancellation);
        }
        else
        {
            _strategyJob.Run(Driver.Pool, asking: true);
            strategySeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            evaluation = Driver.Evaluate(generation, cancellation);
        }
        long tellStart = Stopwatch.GetTimestamp();
        var told = Strategy.BeginTell(Driver.Fitness);
        bool improved = told.BestMember >= 0 && told.BestFitness > BestFitness;
        if (improved)
        {
            BestFitness = told.BestFitness;
            BestGeneration = generation;
            // The members are still this generation's until the tell's ranges run.
            if (Remote is null) Driver.PopulationBuffer.AsSpan(told.BestMember * Strategy.Dimension, Strategy.Dimension).CopyTo(_best);
            else Strategy.AskMember(told.BestMember, _best);
        }
        _strategyJob.Run(Driver.Pool, asking: false);
        Strategy.EndTell();
        strategySeconds += Stopwatch.GetElapsedTime(tellStart).TotalSeconds;
        NonFiniteEpisodes += evaluation.NonFiniteEpisodes;
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new GenerationReport(generation, told.BestFitness, told.MeanFiniteFitness, BestFitness,
            evaluation.NonFiniteEpisodes, seconds, evaluation.Episodes / Math.Max(seconds, 1e-9)) { Episodes = evaluation.Episodes, StrategySeconds = strategySeconds };
    }

    /// <summary>
    /// Runs until <see cref="IEvolutionStrategy.Generation"/> reaches <paramref name="generations"/>, checkpointing every
    /// <paramref name="checkpointEvery"/> generations and at the end when a path is given. Cancellation stops between
    /// work items; the generation in flight is discarded, the last checkpoint stays valid.
    /// </summary>
    /// <param name="generations">The generation count to reach (a total, not a number of further generations).</param>
    /// <param name="progress">Hears each generation's report, on the calling thread.</param>
    /// <param name="cancellation">Stops the run between work items (throws <see cref="OperationCanceledException"/>).</param>
    /// <param name="checkpointPath">Where to write checkpoints (<see cref="SaveCheckpoint"/>); null: none.</param>
    /// <param name="checkpointEvery">Checkpoint when the generation count is a multiple of this (values below 1 count as 1).</param>
    /// <param name="checkpointExtra">Makes the caller payload of each checkpoint; null: empty.</param>
    public void Run(int generations, IProgress<GenerationReport>? progress = null, CancellationToken cancellation = default,
        string? checkpointPath = null, int checkpointEvery = 10, Func<byte[]>? checkpointExtra = null)
    {
        while (Strategy.Generation < generations)
        {
            var report = Step(cancellation);
            progress?.Report(report);
            bool last = Strategy.Generation == generations;
            if (checkpointPath is not null && (last || Strategy.Generation % Math.Max(1, checkpointEvery) == 0))
                SaveCheckpoint(checkpointPath, checkpointExtra?.Invoke());
        }
    }

    /// <summary>
    /// Writes a checkpoint: caller payload first (so <see cref="ReadCheckpointPayload"/> finds it without knowing the
    /// strategy), then the strategy state (<see cref="IEvolutionStrategy.WriteState"/>: distribution, optimiser
    /// moments, generation, noise stream, seed), the best-so-far and <see cref="NonFiniteEpisodes"/>. The bytes go into
    /// a <see cref="CheckpointFile"/> (versioned, checksummed, replaced atomically), so a crash leaves the old
    /// checkpoint or the new one. Call between steps.
    /// </summary>
    /// <param name="path">The checkpoint file; its directory is created if missing.</param>
    /// <param name="extra">The caller payload, e.g. the task's configuration and observation statistics.</param>
    /// <exception cref="Runs.RunException">The file cannot be written (disk full, permissions, file-size limit).</exception>
    public void SaveCheckpoint(string path, ReadOnlySpan<byte> extra = default)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(PayloadTag);
            writer.Write(extra.Length);
            writer.Write(extra);
            Strategy.WriteState(writer);
            writer.Write(BestFitness);
            writer.Write(BestGeneration);
            writer.Write(NonFiniteEpisodes);
            StrategyChecks.WriteFloats(writer, _best);
        }
        CheckpointFile.Write(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>
    /// The caller payload of a checkpoint (e.g. the experiment's configuration), verified but not applied: a host reads
    /// it to rebuild the run's evaluator and strategy before <see cref="LoadCheckpoint"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The file is not an evolution checkpoint, or is damaged or truncated.</exception>
    /// <exception cref="Runs.ConfigException">The path is empty, a directory or does not exist.</exception>
    public static byte[] ReadCheckpointPayload(string path)
    {
        using var reader = OpenPayload(path, out _);
        try
        {
            return ReadExtra(reader, path);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException("the checkpoint's task payload is truncated", path, e);
        }
    }

    /// <summary>Generations a checkpoint has done, read from its strategy header without restoring anything.</summary>
    /// <exception cref="CheckpointException">The file is not an evolution checkpoint, or is damaged or truncated.</exception>
    public static int ReadCheckpointGeneration(string path)
    {
        using var reader = OpenPayload(path, out _);
        try
        {
            ReadExtra(reader, path);
            return StrategyChecks.ReadHeader(reader).Generation;
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or IOException or InvalidDataException)
        {
            throw new CheckpointException($"the checkpoint's strategy state is truncated: {e.Message}", path, e);
        }
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this run (strategy state, best-so-far,
    /// non-finite count) and returns its caller payload, which the caller applies itself. Stepping on then gives the
    /// bits the original run gave. The run must have been built with the checkpoint's strategy kind, dimension,
    /// population and seed.
    /// </summary>
    /// <exception cref="CheckpointException">
    /// The file is damaged, or its strategy does not fit this run (name, dimension, population, seed).
    /// </exception>
    public byte[] LoadCheckpoint(string path)
    {
        using var reader = OpenPayload(path, out _);
        try
        {
            var extra = ReadExtra(reader, path);
            Strategy.ReadState(reader);
            BestFitness = reader.ReadSingle();
            BestGeneration = reader.ReadInt32();
            NonFiniteEpisodes = reader.ReadInt64();
            StrategyChecks.ReadFloats(reader, _best, "best parameters");
            return extra;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new CheckpointException($"the checkpoint does not fit this run: {e.Message}", path, e);
        }
    }

    private static BinaryReader OpenPayload(string path, out byte[] payload)
    {
        payload = CheckpointFile.Read(path);
        var reader = new BinaryReader(new MemoryStream(payload));
        string tag;
        try
        {
            tag = reader.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw new CheckpointException("the checkpoint has an empty payload", path, e);
        }
        if (tag != PayloadTag) throw new CheckpointException($"the checkpoint holds '{tag}', not an evolution run ('{PayloadTag}')", path);
        return reader;
    }

    private static byte[] ReadExtra(BinaryReader reader, string path)
    {
        int length = reader.ReadInt32();
        if (length > reader.BaseStream.Length - reader.BaseStream.Position) throw new CheckpointException("the checkpoint's task payload is truncated", path);
        var extra = reader.ReadBytes(Math.Max(0, length));
        if (length < 0 || extra.Length != length) throw new CheckpointException("the checkpoint's task payload is truncated", path);
        return extra;
    }

    /// <summary>Stops the driver's threads; the strategy stays usable.</summary>
    public void Dispose() => Driver.Dispose();
}

/// <summary>Runs a strategy's Ask or Tell over fixed parameter chunks on the worker pool (same bits for any split).</summary>
internal sealed class StrategyRangeJob(IEvolutionStrategy strategy, float[] population) : Workers.IParallelJob
{
    // The noise cache's block: even, so every chunk starts on a Gaussian pair; small enough to balance 2+ workers.
    private const int Chunk = NoiseCache.Block;
    private bool _asking;
    private int _next;

    public void Run(Workers.WorkerPool pool, bool asking)
    {
        _asking = asking;
        _next = 0;
        pool.Run(this);
    }

    public void Execute(int worker)
    {
        int dimension = strategy.Dimension;
        while (true)
        {
            int start = (Interlocked.Increment(ref _next) - 1) * Chunk;
            if (start >= dimension) return;
            int end = Math.Min(dimension, start + Chunk);
            if (_asking) strategy.AskRange(population, start, end);
            else strategy.TellRange(start, end);
        }
    }
}
