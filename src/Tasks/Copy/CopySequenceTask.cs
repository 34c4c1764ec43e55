using PdlfFast.Kernel.Random;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tasks.Copy;

/// <summary>
/// The copy task (<see cref="CopyTask"/>: same inputs, timing and +-1 bits) as a gradient-trainable sequence task for
/// SpikePropamine networks: logistic loss on every recall step, averaged over the <see cref="Length"/> recalled bits;
/// an episode's accuracy is the fraction of recalled bits whose output has the target's sign (chance 0.5).
/// </summary>
/// <remarks>Immutable; its methods depend only on their arguments, so trainer workers call them concurrently.</remarks>
public readonly struct CopySequenceTask : ISequenceTask
{
    private readonly CopyTask _task;

    /// <summary>A copy task of <paramref name="length"/> bits and <paramref name="latency"/> delay steps.</summary>
    /// <param name="length">Len: bits per sequence, 1..<see cref="CopyTask.MaxLength"/>.</param>
    /// <param name="latency">Lat: empty steps before the recall cue, 0..16 x <see cref="CopyTask.MaxLength"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public CopySequenceTask(int length, int latency) => _task = new CopyTask(length, latency);

    /// <summary>Len: bits presented and recalled.</summary>
    public int Length => _task.Length;
    /// <summary>Lat: empty delay steps.</summary>
    public int Latency => _task.Latency;
    /// <summary>Input channels per step: <see cref="CopyTask.Channels"/> (bit, presenting, recall).</summary>
    public int Inputs => CopyTask.Channels;
    /// <summary>One readout per step, whose sign is the recalled bit.</summary>
    public int Outputs => 1;
    /// <summary>Steps per episode: Len + Lat + 1 + Len.</summary>
    public int Steps => _task.Steps;
    /// <summary>Targets: the episode's bits (+1 / -1), recalled in order.</summary>
    public int TargetLength => _task.Length;
    /// <summary>Accuracy of guessing: 0.5.</summary>
    public float Chance => 0.5f;
    /// <summary>The delay's steps (Start inclusive, End exclusive): where the activity-reset probe wipes activity.</summary>
    public (int Start, int End) Delay => (Length, Length + Latency);

    /// <summary>Draws an episode: Len random bits into <paramref name="targets"/> and the Steps x 3 inputs that present and recall them.</summary>
    /// <param name="random">Stream the bits come from.</param>
    /// <param name="inputs">Receives <see cref="Steps"/> x <see cref="Inputs"/> values, step-major.</param>
    /// <param name="targets">Receives the Len bits (+1 / -1).</param>
    public void Sample(ref RandomStream random, Span<float> inputs, Span<float> targets)
    {
        var bits = targets[..Length];
        _task.DrawSequence(ref random, bits);
        for (int t = 0; t < Steps; t++) _task.Input(bits, t, inputs.Slice(t * Inputs, Inputs));
    }

    /// <summary>Mean logistic loss log(1 + e^(-y o)) over the Len recall steps; other steps get zero gradient.</summary>
    /// <param name="outputs">The episode's <see cref="Steps"/> readouts.</param>
    /// <param name="targets">The bits from <see cref="Sample"/>.</param>
    /// <param name="outputGradient">Receives dLoss/dOutput for every step (zero outside the recall).</param>
    /// <param name="accuracy">Fraction of recall outputs with the target's sign.</param>
    /// <returns>The loss averaged over the recalled bits.</returns>
    public float Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> outputGradient, out float accuracy)
    {
        outputGradient[..Steps].Clear();
        int first = _task.FirstRecallStep, right = 0;
        float loss = 0f, inverse = 1f / Length;
        for (int k = 0; k < Length; k++)
        {
            float o = outputs[first + k], y = targets[k], margin = y * o;
            loss += LogisticLoss.Of(margin);
            outputGradient[first + k] = -y / (1f + MathF.Exp(margin)) * inverse;
            if (margin > 0) right++;
        }
        accuracy = right * inverse;
        return loss * inverse;
    }
}
