using PdlfFast.Kernel.Random;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Training.Gradient;

/// <summary>Per-worker scratch for running a SpikePropamine network on a sequence task without gradients.</summary>
/// <remarks>
/// Made by <see cref="SequenceEvaluator{TTask}.CreateWorker"/>, one per thread; its buffers are internal, an episode's
/// activity is readable through <see cref="Tape"/> after a run. Not thread-safe.
/// </remarks>
public sealed class SequenceWorker
{
    /// <summary>Scratch for episodes of <paramref name="steps"/> steps (allocates the tape and the episode buffers).</summary>
    /// <param name="spec">The network.</param>
    /// <param name="steps">Steps per episode.</param>
    /// <param name="inputs">Input channels per step.</param>
    /// <param name="outputs">Outputs per step.</param>
    /// <param name="targetLength">Floats of an episode's targets (<see cref="ISequenceTask.TargetLength"/>).</param>
    public SequenceWorker(PlasticSnnSpec spec, int steps, int inputs, int outputs, int targetLength)
    {
        Tape = new PlasticSnnTape(spec, steps);
        Inputs = new float[steps * inputs];
        Targets = new float[targetLength];
        Outputs = new float[steps * outputs];
        OutputGradient = new float[steps * outputs];
    }

    /// <summary>The network's tape: after a run, the last episode's spikes and traces (<see cref="PlasticSnnTape.SpikesAt"/>, ...).</summary>
    public PlasticSnnTape Tape { get; }
    internal float[] Inputs { get; }
    internal float[] Targets { get; }
    internal float[] Outputs { get; }
    internal float[] OutputGradient { get; }
}

/// <summary>
/// A sequence task as an ES fitness: one episode per evaluation (drawn from the episode seed, shared by the
/// generation under common random numbers); fitness = minus the episode's loss, so ES and BPTT optimise the same
/// objective on the same network. Also the held-out test of either trainer.
/// </summary>
/// <remarks>
/// A struct evaluator with a class worker, as <see cref="IFitnessEvaluator{TWorker}"/> explains; it holds only the
/// spec and the task, both read-only. Its episodes draw from their own stream purpose, so the same seed never gives
/// a training (<see cref="GradientTrainer{TTask}"/>) and an evaluation episode the same numbers.
/// </remarks>
/// <param name="spec">The network.</param>
/// <param name="task">The task, copied by value.</param>
public readonly struct SequenceEvaluator<TTask>(PlasticSnnSpec spec, TTask task) : IFitnessEvaluator<SequenceWorker>
    where TTask : struct, ISequenceTask
{
    /// <summary>
    /// The <see cref="PdlfFast.Kernel.Random.StreamId"/> purpose every episode draws its task sample from: episode
    /// <c>index</c> of stream <c>seed</c> is <c>new RandomStream(seed, new StreamId(0, 0, (uint)index, Purpose))</c>, so
    /// a host can regenerate exactly the episodes a run trained or tested on (held-out tests use the run's test seed).
    /// </summary>
    public const uint Purpose = 83;

    /// <summary>The network evaluated.</summary>
    public PlasticSnnSpec Spec { get; } = spec;
    /// <summary>The task the episodes come from.</summary>
    public TTask Task { get; } = task;

    /// <inheritdoc/>
    public SequenceWorker CreateWorker(int worker) => new(Spec, Task.Steps, Task.Inputs, Task.Outputs, Task.TargetLength);

    /// <summary>Minus the loss of the episode drawn from <see cref="EpisodeContext.Seed"/> (episode index 0 of that stream).</summary>
    public float Evaluate(SequenceWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode) =>
        -Run(worker, parameters, episode.Seed, 0, out _);

    /// <summary>
    /// Runs episode <paramref name="index"/> of stream <paramref name="seed"/>; returns its loss. <paramref name="silence"/>:
    /// steps whose activity is wiped (see <see cref="PlasticSnnTape.Forward"/>). A pure function of the parameters,
    /// the seed and the index; allocates nothing.
    /// </summary>
    /// <param name="worker">The calling thread's scratch.</param>
    /// <param name="parameters">The network's parameters.</param>
    /// <param name="seed">The stream the episode is drawn from.</param>
    /// <param name="index">The episode's index in that stream.</param>
    /// <param name="accuracy">The episode's accuracy in [0, 1].</param>
    /// <param name="silence">Steps [Start, End) whose activity is wiped; default: none.</param>
    public float Run(SequenceWorker worker, ReadOnlySpan<float> parameters, ulong seed, uint index, out float accuracy, (int Start, int End) silence = default)
    {
        var random = new RandomStream(seed, new StreamId(0, 0, index, Purpose));
        Task.Sample(ref random, worker.Inputs, worker.Targets);
        worker.Tape.Forward(parameters, worker.Inputs, Task.Steps, worker.Outputs, silence);
        return Task.Loss(worker.Outputs, worker.Targets, worker.OutputGradient, out accuracy);
    }

    /// <summary>
    /// Mean accuracy of <paramref name="parameters"/> on <paramref name="episodes"/> held-out episodes (indices 0 ..
    /// episodes - 1 of stream <paramref name="seed"/>), on the calling thread. Allocates nothing.
    /// </summary>
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
