using PdlfFast.Training.Evolution;

namespace PdlfFast.Training.Runs;

/// <summary>A held-out test of a parameter vector (accuracy, return; higher is better).</summary>
/// <remarks>Called between steps on the run's thread; the span is valid only during the call.</remarks>
public delegate double ParameterTest(ReadOnlySpan<float> parameters);

/// <summary>
/// An ES run as a <see cref="ITrainingSession"/>: one <see cref="EvolutionRun{TEvaluator,TWorker}"/> step per
/// generation, the strategy mean tested, checkpoints holding the task's payload (its config, and whatever else it
/// needs to continue exactly, e.g. observation statistics) beside the strategy state.
/// </summary>
/// <remarks>
/// Determinism and threading are <see cref="EvolutionRun{TEvaluator,TWorker}"/>'s: one caller at a time, the same bits
/// for a seed on any thread count and across a checkpoint and resume (provided the task restores its payload in
/// <see cref="RestorePayload"/>). The checkpoint is the one <see cref="EvolutionRun{TEvaluator,TWorker}.SaveCheckpoint"/>
/// writes; its caller payload is this session's payload.
/// </remarks>
/// <typeparam name="TEvaluator">The task's evaluator, a struct (see <see cref="IFitnessEvaluator{TWorker}"/>).</typeparam>
/// <typeparam name="TWorker">The evaluator's per-thread scratch.</typeparam>
public sealed class EvolutionSession<TEvaluator, TWorker> : ITrainingSession
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private readonly ParameterTest _test;
    private readonly Func<byte[]> _payload;

    /// <summary>A session over a new <see cref="EvolutionRun{TEvaluator,TWorker}"/> of <paramref name="strategy"/>.</summary>
    /// <param name="strategy">The strategy (its seed draws the members).</param>
    /// <param name="evaluator">The task's fitness.</param>
    /// <param name="options">Episodes per member, threads, common random numbers and the episode seed.</param>
    /// <param name="configJson">The run's configuration, as written to <c>config.json</c>.</param>
    /// <param name="payload">The checkpoint's task payload, made at each save (the config JSON at least).</param>
    /// <param name="test">Tests the strategy mean.</param>
    public EvolutionSession(IEvolutionStrategy strategy, TEvaluator evaluator, EvaluationOptions options, string configJson,
        Func<byte[]> payload, ParameterTest test)
    {
        Run = new EvolutionRun<TEvaluator, TWorker>(strategy, evaluator, options);
        ConfigJson = configJson;
        _payload = payload;
        _test = test;
    }

    /// <summary>The run the session steps (e.g. to set <see cref="EvolutionRun{TEvaluator,TWorker}.Remote"/> or read its driver).</summary>
    public EvolutionRun<TEvaluator, TWorker> Run { get; }
    /// <summary>The run's strategy; its mean is the solution <see cref="Test"/> scores.</summary>
    public IEvolutionStrategy Strategy => Run.Strategy;
    /// <summary>Generations done (the strategy's <see cref="IEvolutionStrategy.Generation"/>).</summary>
    public int Completed => Run.Strategy.Generation;
    /// <inheritdoc/>
    public string ConfigJson { get; }

    /// <summary>Called after every generation's Tell (e.g. to fold the generation's observation statistics).</summary>
    public Action? AfterGeneration { get; init; }

    /// <summary>Counts physics instabilities so far (read between generations), for the step's figures.</summary>
    public Func<long>? Instabilities { get; init; }

    /// <summary>Applies a restored checkpoint's task payload (e.g. observation statistics).</summary>
    public Action<byte[]>? RestorePayload { get; init; }

    /// <summary>Resources the session owns beside the run (e.g. a physics model and a test worker), disposed with it.</summary>
    public IReadOnlyList<IDisposable> Owned { get; init; } = [];

    /// <summary>One generation (<see cref="EvolutionRun{TEvaluator,TWorker}.Step"/>), then <see cref="AfterGeneration"/>; never cancelled.</summary>
    public RunStep Step()
    {
        long before = Instabilities?.Invoke() ?? 0;
        var report = Run.Step();
        AfterGeneration?.Invoke();
        long unstable = (Instabilities?.Invoke() ?? 0) - before;
        return new RunStep(report.BestFitness, report.MeanFitness, report.BestEverFitness, report.NonFiniteEpisodes, report.Seconds,
            report.Episodes) { Instabilities = unstable };
    }

    /// <summary>The held-out test of the strategy's mean.</summary>
    public double Test() => _test(Run.Strategy.Mean);

    /// <summary>Writes the run's checkpoint with a fresh task payload.</summary>
    public void SaveCheckpoint(string path) => Run.SaveCheckpoint(path, _payload());

    /// <summary>Restores the run's checkpoint and hands its task payload to <see cref="RestorePayload"/>.</summary>
    public void LoadCheckpoint(string path)
    {
        var payload = Run.LoadCheckpoint(path);
        RestorePayload?.Invoke(payload);
    }

    /// <summary>Disposes the run (its threads) and <see cref="Owned"/>.</summary>
    public void Dispose()
    {
        Run.Dispose();
        foreach (var owned in Owned) owned.Dispose();
    }
}
