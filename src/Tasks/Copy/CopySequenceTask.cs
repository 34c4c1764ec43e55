using PdlfFast.Kernel.Random;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tasks.Copy;

/// <summary>
/// The copy task (<see cref="CopyTask"/>: same inputs, timing and +-1 bits) as a gradient-trainable sequence task for
/// SpikePropamine networks: logistic loss on every recall step, averaged over the <see cref="Length"/> recalled bits;
/// an episode's accuracy is the fraction of recalled bits whose output has the target's sign (chance 0.5).
/// </summary>
public readonly struct CopySequenceTask : ISequenceTask
{
    private readonly CopyTask _task;

    public CopySequenceTask(int length, int latency) => _task = new CopyTask(length, latency);

    public int Length => _task.Length;
    public int Latency => _task.Latency;
    public int Inputs => CopyTask.Channels;
    public int Outputs => 1;
    public int Steps => _task.Steps;
    /// <summary>Targets: the episode's bits (+1 / -1), recalled in order.</summary>
    public int TargetLength => _task.Length;
    public float Chance => 0.5f;
    /// <summary>The delay's steps (Start inclusive, End exclusive): where the activity-reset probe wipes activity.</summary>
    public (int Start, int End) Delay => (Length, Length + Latency);

    public void Sample(ref RandomStream random, Span<float> inputs, Span<float> targets)
    {
        var bits = targets[..Length];
        _task.DrawSequence(ref random, bits);
        for (int t = 0; t < Steps; t++) _task.Input(bits, t, inputs.Slice(t * Inputs, Inputs));
    }

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
