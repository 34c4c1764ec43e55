using PdlfFast.Kernel.Random;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Training.Gradient;

/// <summary>Per-worker scratch for running a SpikePropamine network on a sequence task without gradients.</summary>
public sealed class SequenceWorker
{
    public SequenceWorker(PlasticSnnSpec spec, int steps, int inputs, int outputs, int targetLength)
    {
        Tape = new PlasticSnnTape(spec, steps);
        Inputs = new float[steps * inputs];
        Targets = new float[targetLength];
        Outputs = new float[steps * outputs];
        OutputGradient = new float[steps * outputs];
    }

    public PlasticSnnTape Tape { get; }
    public float[] Inputs { get; }
    public float[] Targets { get; }
    public float[] Outputs { get; }
    public float[] OutputGradient { get; }
}

/// <summary>
/// A sequence task as an ES fitness: one episode per evaluation (drawn from the episode seed, shared by the
/// generation under common random numbers); fitness = minus the episode's loss, so ES and BPTT optimise the same
/// objective on the same network. Also the held-out test of either trainer.
/// </summary>
public readonly struct SequenceEvaluator<TTask>(PlasticSnnSpec spec, TTask task) : IFitnessEvaluator<SequenceWorker>
    where TTask : struct, ISequenceTask
{
    private const uint Purpose = 83;

    public PlasticSnnSpec Spec { get; } = spec;
    public TTask Task { get; } = task;

    public SequenceWorker CreateWorker(int worker) => new(Spec, Task.Steps, Task.Inputs, Task.Outputs, Task.TargetLength);

    public float Evaluate(SequenceWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode) =>
        -Run(worker, parameters, episode.Seed, 0, out _);

    /// <summary>
    /// Runs episode <paramref name="index"/> of stream <paramref name="seed"/>; returns its loss. <paramref name="silence"/>:
    /// steps whose activity is wiped (see <see cref="PlasticSnnTape.Forward"/>).
    /// </summary>
    public float Run(SequenceWorker worker, ReadOnlySpan<float> parameters, ulong seed, uint index, out float accuracy, (int Start, int End) silence = default)
    {
        var random = new RandomStream(seed, new StreamId(0, 0, index, Purpose));
        Task.Sample(ref random, worker.Inputs, worker.Targets);
        worker.Tape.Forward(parameters, worker.Inputs, Task.Steps, worker.Outputs, silence);
        return Task.Loss(worker.Outputs, worker.Targets, worker.OutputGradient, out accuracy);
    }

    /// <summary>Mean accuracy of <paramref name="parameters"/> on <paramref name="episodes"/> held-out episodes.</summary>
    public double Accuracy(SequenceWorker worker, ReadOnlySpan<float> parameters, int episodes, ulong seed, (int Start, int End) silence = default)
    {
        double sum = 0;
        for (int e = 0; e < episodes; e++)
        {
            Run(worker, parameters, seed, (uint)e, out float accuracy, silence);
            sum += accuracy;
        }
        return sum / episodes;
    }
}
