using PdlfFast.Kernel.Random;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Cue;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Training;

/// <summary>Output the sign of the current first input at every step: learnable without memory.</summary>
public readonly struct EchoTask : ISequenceTask
{
    public int Inputs => 4;
    public int Outputs => 1;
    public int Steps => 10;
    public int TargetLength => 10;

    public void Sample(ref RandomStream random, Span<float> inputs, Span<float> targets)
    {
        for (int t = 0; t < Steps; t++)
        {
            for (int i = 0; i < Inputs; i++) inputs[t * Inputs + i] = random.NextBool() ? 1f : -1f;
            targets[t] = inputs[t * Inputs];
        }
    }

    public float Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> outputGradient, out float accuracy)
    {
        float loss = 0f;
        int right = 0;
        for (int t = 0; t < Steps; t++)
        {
            float d = outputs[t] - targets[t];
            loss += d * d / Steps;
            outputGradient[t] = 2f * d / Steps;
            if (MathF.Sign(outputs[t]) == MathF.Sign(targets[t])) right++;
        }
        accuracy = right == Steps ? 1f : 0f;
        return loss;
    }
}

public class GradientTrainerTests
{
    [Fact]
    [Trait("Category", "EndToEnd")]
    public void A_short_BPTT_run_learns_a_memoryless_task()
    {
        var spec = new PlasticSnnSpec(4, 32, 1, PlasticInput: false, PlasticRecurrent: false);
        using var trainer = new GradientTrainer<EchoTask>(spec, new EchoTask(), new GradientOptions(BatchSize: 32, LearningRate: 1e-2, Threads: 2));
        var (before, accuracyBefore) = trainer.Evaluate(128, 9);
        for (int s = 0; s < 300; s++) trainer.Step();
        var (after, accuracy) = trainer.Evaluate(128, 9);
        Assert.True(after < 0.5f * before, $"loss {before:F3} -> {after:F3}");
        // An episode counts only when all 10 answers are right: 1 in 1,024 by chance.
        Assert.True(accuracy > accuracyBefore + 0.2f, $"accuracy {accuracyBefore:F2} -> {accuracy:F2}");
    }

    [Fact]
    public void Training_gives_the_same_bits_on_one_and_two_threads_and_allocates_nothing_per_step()
    {
        var task = new CueTask(length: 4, noise: 0.3f, bits: 6);
        var spec = new PlasticSnnSpec(task.Inputs, 12, 1, TraceRule.Oja, TraceModulation.Neuromodulated);
        float[] Run(int threads, out long allocated)
        {
            using var trainer = new GradientTrainer<CueTask>(spec, task, new GradientOptions(BatchSize: 6, LearningRate: 1e-2, Threads: threads));
            trainer.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int s = 0; s < 3; s++) trainer.Step();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return trainer.Parameters.ToArray();
        }
        var one = Run(1, out long allocatedOne);
        var two = Run(2, out _);
        Bits.Equal(one, two, "parameters after 4 steps");
        Assert.Equal(0, allocatedOne);
    }

    [Fact]
    public void Frozen_and_unused_parts_do_not_move()
    {
        var task = new CueTask(length: 4, bits: 6);
        var spec = new PlasticSnnSpec(task.Inputs, 8, 1, PlasticInput: true, PlasticRecurrent: false);
        var options = new GradientOptions(BatchSize: 4, Threads: 1) { Frozen = new HashSet<PlasticSnnPart> { PlasticSnnPart.OutputWeights } };
        using var trainer = new GradientTrainer<CueTask>(spec, task, options);
        var layout = trainer.Layout;
        var start = trainer.Parameters.ToArray();
        for (int s = 0; s < 3; s++) trainer.Step();
        foreach (var part in new[] { PlasticSnnPart.OutputWeights, PlasticSnnPart.RecurrentAlpha, PlasticSnnPart.RecurrentEta, PlasticSnnPart.ModulationWeights })
            Bits.Equal(layout.Of(start.AsSpan(), part), layout.Of(trainer.Parameters, part), part.ToString());
        Assert.False(layout.Of(start.AsSpan(), PlasticSnnPart.InputAlpha).SequenceEqual(layout.Of(trainer.Parameters, PlasticSnnPart.InputAlpha)));
    }
}
