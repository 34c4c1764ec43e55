using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Synthetic;

/// <summary>Per-worker scratch of <see cref="SyntheticPdlfEvaluator"/>: one rule, one episode state.</summary>
public sealed class SyntheticPdlfWorker(NetworkSpec spec, PdlfTermSet terms)
{
    public PdlfCoefficients Rule { get; } = new(spec, terms);
    public NetworkState State { get; } = new(spec);
    public float[] Action { get; } = new float[spec.OutputSize];
}

/// <summary>
/// A PDLF policy run on synthetic observations (no physics): the ES bench's workload. Fitness is minus the mean
/// squared action, which is cheap and depends on every synapse. Observations come from a fixed table, starting at an
/// offset drawn from the episode seed, so every episode is reproducible from its context alone.
/// </summary>
public readonly struct SyntheticPdlfEvaluator : IFitnessEvaluator<SyntheticPdlfWorker>
{
    private const int DistinctObservations = 512;
    private readonly float[] _observations;

    public SyntheticPdlfEvaluator(NetworkSpec spec, PdlfTermSet terms, int episodeSteps, ulong seed = 1)
    {
        Spec = spec;
        Terms = terms;
        EpisodeSteps = episodeSteps;
        _observations = new float[DistinctObservations * spec.InputSize];
        new RandomStream(seed, new StreamId(0, 0, 0, Purpose: 2)).FillUniform(_observations, -3f, 3f);
    }

    public NetworkSpec Spec { get; }
    public PdlfTermSet Terms { get; }
    public int EpisodeSteps { get; }
    public int Dimension => PdlfCoefficients.GenomeLength(Spec, Terms);

    public SyntheticPdlfWorker CreateWorker(int worker) => new(Spec, Terms);

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
