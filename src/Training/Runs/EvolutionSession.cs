using PdlfFast.Training.Evolution;

namespace PdlfFast.Training.Runs;

/// <summary>A held-out test of a parameter vector (accuracy, return; higher is better).</summary>
public delegate double ParameterTest(ReadOnlySpan<float> parameters);

/// <summary>
/// An ES run as a <see cref="ITrainingSession"/>: one <see cref="EvolutionRun{TEvaluator,TWorker}"/> step per
/// generation, the strategy mean tested, checkpoints holding the task's payload (its config, and whatever else it
/// needs to continue exactly, e.g. observation statistics) beside the strategy state.
/// </summary>
public sealed class EvolutionSession<TEvaluator, TWorker> : ITrainingSession
    where TEvaluator : struct, IFitnessEvaluator<TWorker> where TWorker : class
{
    private readonly ParameterTest _test;
    private readonly Func<byte[]> _payload;

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

    public EvolutionRun<TEvaluator, TWorker> Run { get; }
    public IEvolutionStrategy Strategy => Run.Strategy;
    public int Completed => Run.Strategy.Generation;
    public string ConfigJson { get; }

    /// <summary>Called after every generation's Tell (e.g. to fold the generation's observation statistics).</summary>
    public Action? AfterGeneration { get; init; }

    /// <summary>Counts physics instabilities so far (read between generations), for the step's figures.</summary>
    public Func<long>? Instabilities { get; init; }

    /// <summary>Applies a restored checkpoint's task payload (e.g. observation statistics).</summary>
    public Action<byte[]>? RestorePayload { get; init; }

    /// <summary>Resources the session owns beside the run (e.g. a physics model and a test worker), disposed with it.</summary>
    public IReadOnlyList<IDisposable> Owned { get; init; } = [];

    public RunStep Step()
    {
        long before = Instabilities?.Invoke() ?? 0;
        var report = Run.Step();
        AfterGeneration?.Invoke();
        long unstable = (Instabilities?.Invoke() ?? 0) - before;
        return new RunStep(report.BestFitness, report.MeanFitness, report.BestEverFitness, report.NonFiniteEpisodes, report.Seconds,
            report.Episodes) { Instabilities = unstable };
    }

    public double Test() => _test(Run.Strategy.Mean);

    public void SaveCheckpoint(string path) => Run.SaveCheckpoint(path, _payload());

    public void LoadCheckpoint(string path)
    {
        var payload = Run.LoadCheckpoint(path);
        RestorePayload?.Invoke(payload);
    }

    public void Dispose()
    {
        Run.Dispose();
        foreach (var owned in Owned) owned.Dispose();
    }
}
