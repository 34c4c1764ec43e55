using PdlfFast.Kernel.Random;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tasks.Cue;

/// <summary>Per-worker scratch for evaluating SpikePropamine networks on the cue task without gradients.</summary>
public sealed class CueWorker(PlasticSnnSpec spec, CueTask task)
{
    public PlasticSnnTape Tape { get; } = new(spec, task.Steps);
    public float[] Inputs { get; } = new float[task.Steps * task.Inputs];
    public float[] Targets { get; } = new float[task.TargetLength];
    public float[] Outputs { get; } = new float[task.Steps * task.Outputs];
    public float[] OutputGradient { get; } = new float[task.Steps * task.Outputs];
}

/// <summary>
/// The cue task as an ES fitness: one episode per evaluation (its cues drawn from the episode seed, shared by the
/// generation under common random numbers); fitness = minus the episode's loss, so ES and BPTT optimise the same
/// objective on the same network.
/// </summary>
public readonly struct CueEvaluator(PlasticSnnSpec spec, CueTask task) : IFitnessEvaluator<CueWorker>
{
    private const uint Purpose = 83;

    public PlasticSnnSpec Spec { get; } = spec;
    public CueTask Task { get; } = task;

    public CueWorker CreateWorker(int worker) => new(Spec, Task);

    public float Evaluate(CueWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode) =>
        -Run(worker, parameters, episode.Seed, 0, out _);

    /// <summary>Runs episode <paramref name="index"/> of stream <paramref name="seed"/>; returns its loss.</summary>
    public float Run(CueWorker worker, ReadOnlySpan<float> parameters, ulong seed, uint index, out bool correct)
    {
        var random = new RandomStream(seed, new StreamId(0, 0, index, Purpose));
        Task.Sample(ref random, worker.Inputs, worker.Targets);
        worker.Tape.Forward(parameters, worker.Inputs, Task.Steps, worker.Outputs);
        return Task.Loss(worker.Outputs, worker.Targets, worker.OutputGradient, out correct);
    }

    /// <summary>Accuracy of <paramref name="parameters"/> on <paramref name="episodes"/> held-out episodes.</summary>
    public double Accuracy(CueWorker worker, ReadOnlySpan<float> parameters, int episodes, ulong seed)
    {
        int correct = 0;
        for (int e = 0; e < episodes; e++)
        {
            Run(worker, parameters, seed, (uint)e, out bool right);
            if (right) correct++;
        }
        return (double)correct / episodes;
    }
}
