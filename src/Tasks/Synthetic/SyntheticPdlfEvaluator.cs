using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Synthetic;

/// <summary>Per-worker scratch of <see cref="SyntheticPdlfEvaluator"/>: one rule, one episode state.</summary>
/// <remarks>Made by <see cref="SyntheticPdlfEvaluator.CreateWorker"/>, one per thread; its contents are the evaluator's scratch.</remarks>
/// <param name="spec">Network shape.</param>
/// <param name="terms">Terms of the PDLF rule.</param>
public sealed class SyntheticPdlfWorker(NetworkSpec spec, PdlfTermSet terms)
{
    internal PdlfCoefficients Rule { get; } = new(spec, terms);
    internal NetworkState State { get; } = new(spec);
    internal float[] Action { get; } = new float[spec.OutputSize];
}

/// <summary>
/// A PDLF policy run on synthetic observations (no physics): the ES bench's workload. Fitness is minus the mean
/// squared action, which is cheap and depends on every synapse. Observations come from a fixed table, starting at an
/// offset drawn from the episode seed, so every episode is reproducible from its context alone.
/// </summary>
/// <remarks>
/// docs/design.md, "Benchmark workloads" (the ES figures) and the cluster's synthetic run kind. Observations are
/// uniform in [-3, 3] from a 512-entry table made from the constructor's seed; the table is shared read-only by all
/// workers. The fitness does not depend on the thread count. Needs no MuJoCo.
/// </remarks>
public readonly struct SyntheticPdlfEvaluator : IFitnessEvaluator<SyntheticPdlfWorker>
{
    private const int DistinctObservations = 512;
    private readonly float[] _observations;

    /// <summary>An evaluator of PDLF policies of shape <paramref name="spec"/>.</summary>
    /// <param name="spec">Network shape (input, hidden, output).</param>
    /// <param name="terms">Terms of the PDLF rule; any value other than Abcd and Acd runs the BD rule.</param>
    /// <param name="episodeSteps">Steps per episode.</param>
    /// <param name="seed">Seed of the observation table.</param>
    public SyntheticPdlfEvaluator(NetworkSpec spec, PdlfTermSet terms, int episodeSteps, ulong seed = 1)
    {
        Spec = spec;
        Terms = terms;
        EpisodeSteps = episodeSteps;
        _observations = new float[DistinctObservations * spec.InputSize];
        new RandomStream(seed, new StreamId(0, 0, 0, Purpose: 2)).FillUniform(_observations, -3f, 3f);
    }

    /// <summary>Network shape.</summary>
    public NetworkSpec Spec { get; }
    /// <summary>Terms of the PDLF rule.</summary>
    public PdlfTermSet Terms { get; }
    /// <summary>Steps per episode.</summary>
    public int EpisodeSteps { get; }
    /// <summary>Rule parameters the ES searches: terms x synapses.</summary>
    public int Dimension => PdlfCoefficients.GenomeLength(Spec, Terms);

    /// <summary>A worker's scratch: its own rule coefficients, episode state and action buffer.</summary>
    /// <param name="worker">Index of the worker thread (unused: workers are interchangeable).</param>
    public SyntheticPdlfWorker CreateWorker(int worker) => new(Spec, Terms);

    /// <summary>One episode: loads the rule, resets the state, steps <see cref="EpisodeSteps"/> times. Allocates nothing.</summary>
    /// <param name="worker">The calling thread's scratch.</param>
    /// <param name="parameters">The rule's genome, <see cref="Dimension"/> values.</param>
    /// <param name="episode">Only its seed is used: it picks where in the observation table the episode starts.</param>
    /// <returns>Minus the mean squared action over the episode.</returns>
    public float Evaluate(SyntheticPdlfWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        worker.Rule.Load(parameters);
        int offset = (int)(episode.Seed % DistinctObservations);
        // Dispatch on the term set once per episode, so the step loop calls one specialised step.
        var run = new RunAction(this, worker, offset);
        return PdlfTermSets.Dispatch<RunAction, float>(Terms, ref run);
    }

    private readonly struct RunAction(SyntheticPdlfEvaluator evaluator, SyntheticPdlfWorker worker, int offset) : IPdlfTermsAction<float>
    {
        public float Invoke<TTerms>() where TTerms : struct, IPdlfTerms => evaluator.Run<TTerms>(worker, offset);
    }

    private float Run<TTerms>(SyntheticPdlfWorker worker, int offset) where TTerms : struct, IPdlfTerms
    {
        var state = worker.State;
        state.Reset();
        int inputs = Spec.InputSize;
        double sum = 0;
        for (int t = 0; t < EpisodeSteps; t++)
        {
            var x = _observations.AsSpan(((offset + t) % DistinctObservations) * inputs, inputs);
            PdlfNetwork.Step<TTerms>(state, worker.Rule, x, worker.Action);
            foreach (var a in worker.Action) sum += a * a;
        }
        return (float)(-sum / (EpisodeSteps * Spec.OutputSize));
    }
}
