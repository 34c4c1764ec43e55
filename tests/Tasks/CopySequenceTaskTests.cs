using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Tasks;

public class CopySequenceTaskTests
{
    [Property(MaxTest = 60, EndSize = 300)]
    public void Episodes_are_the_copy_task_with_the_bits_as_targets(NonNegativeInt seed, NonNegativeInt lengthRaw, NonNegativeInt latencyRaw)
    {
        var task = new CopySequenceTask(Seeded.Size(lengthRaw.Get, 20), Seeded.Size(latencyRaw.Get, 20) - 1);
        var copy = new CopyTask(task.Length, task.Latency);
        var random = new RandomStream((ulong)seed.Get, new StreamId(0, 0, 0, 1));
        var inputs = new float[task.Steps * task.Inputs];
        var targets = new float[task.TargetLength];
        task.Sample(ref random, inputs, targets);
        Assert.All(targets, b => Assert.True(b is 1f or -1f));
        var expected = new float[CopyTask.Channels];
        for (int t = 0; t < task.Steps; t++)
        {
            copy.Input(targets, t, expected);
            Assert.Equal(expected, inputs.AsSpan(t * task.Inputs, task.Inputs).ToArray());
        }
        // The same stream draws the same bits as the ES copy task's generator.
        var again = new RandomStream((ulong)seed.Get, new StreamId(0, 0, 0, 1));
        var bits = new float[task.Length];
        copy.DrawSequence(ref again, bits);
        Assert.Equal(bits, targets);
    }

    [Fact]
    public void Loss_and_accuracy_by_hand_and_the_gradient_matches_finite_differences()
    {
        var task = new CopySequenceTask(2, 1); // steps: 2 presentation, 1 delay, 1 cue, 2 recall
        Assert.Equal(6, task.Steps);
        float[] targets = [1f, -1f];
        float[] outputs = [5f, 5f, 5f, 5f, 2f, 0.5f];
        var gradient = new float[task.Steps];
        float loss = task.Loss(outputs, targets, gradient, out float accuracy);
        // Recall outputs 2 (target +1: right) and 0.5 (target -1: wrong).
        Assert.Equal(0.5f, accuracy);
        Assert.Equal((Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(0.5))) / 2, loss, 5);
        Assert.Equal([0f, 0f, 0f, 0f], gradient[..4]);
        SequenceLossChecks.GradientMatchesFiniteDifferences(task, new Seeded(4).Uniform(task.Steps, -3f, 3f), targets);
    }

    [Fact]
    public void A_constant_answer_is_right_half_the_time()
    {
        var task = new CopySequenceTask(8, 8);
        var ones = Enumerable.Repeat(1f, task.Steps).ToArray();
        var gradient = new float[task.Steps];
        double sum = 0;
        for (uint e = 0; e < 2000; e++)
        {
            var random = new RandomStream(6, new StreamId(0, 0, e, 1));
            var targets = new float[task.TargetLength];
            task.Sample(ref random, new float[task.Steps * task.Inputs], targets);
            task.Loss(ones, targets, gradient, out float accuracy);
            sum += accuracy;
        }
        Assert.InRange(sum / 2000, 0.48, 0.52);
        Assert.Equal(0.5f, task.Chance);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopySequenceTask(0, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopySequenceTask(8, -1));
    }

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void A_short_BPTT_run_on_a_plastic_SNN_recalls_better_than_chance()
    {
        // Len 2, Lat 1 (reduced budget: seconds): a plastic network must hold two bits across the delay.
        var task = new CopySequenceTask(2, 1);
        var spec = new PlasticSnnSpec(task.Inputs, 32, 1, TraceRule.Hebbian, TraceModulation.None, true, true)
        { SurrogateSlope = 1f, Threshold = 0.5f, MembraneDecay = 0.5f, TraceDecay = 0.5f };
        using var trainer = new GradientTrainer<CopySequenceTask>(spec, task, new GradientOptions(BatchSize: 32, LearningRate: 1e-2, Threads: 2));
        var (before, accuracyBefore) = trainer.Evaluate(256, 9);
        for (int s = 0; s < 300; s++) trainer.Step();
        var (after, accuracy) = trainer.Evaluate(256, 9);
        Assert.True(after < before, $"loss {before:F3} -> {after:F3}");
        Assert.True(accuracy > 0.7f && accuracy > accuracyBefore + 0.1f, $"accuracy {accuracyBefore:F2} -> {accuracy:F2}");
        var evaluator = new SequenceEvaluator<CopySequenceTask>(spec, task);
        Assert.Equal(accuracy, evaluator.Accuracy(evaluator.CreateWorker(0), trainer.Parameters, 64, 3), 0.15);
    }
}

public class ActivityResetProbeTests
{
    private static float[] Run(PlasticSnnSpec spec, float[] parameters, float[] inputs, int steps, (int, int) silence)
    {
        var tape = new PlasticSnnTape(spec, steps);
        var outputs = new float[steps * spec.Outputs];
        tape.Forward(parameters, inputs, steps, outputs, silence);
        return outputs;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Wiping_activity_during_the_delay_leaves_only_what_the_synapses_hold(bool plastic)
    {
        const int steps = 14, start = 5, end = 9;
        var spec = new PlasticSnnSpec(3, 12, 2, TraceRule.Hebbian, TraceModulation.None, plastic, plastic) { Spikes = SpikeFunction.Smooth };
        var layout = new PlasticSnnLayout(spec);
        var parameters = layout.Initial(7);
        if (plastic)
        {
            layout.Of(parameters.AsSpan(), PlasticSnnPart.InputAlpha).Fill(0.8f);
            layout.Of(parameters.AsSpan(), PlasticSnnPart.RecurrentAlpha).Fill(0.8f);
            layout.Of(parameters.AsSpan(), PlasticSnnPart.InputEta)[0] = 0.2f;
            layout.Of(parameters.AsSpan(), PlasticSnnPart.RecurrentEta)[0] = 0.2f;
        }
        layout.Of(parameters.AsSpan(), PlasticSnnPart.OutputBias).Fill(0.25f);
        // Two episodes that differ only before the delay.
        var data = new Seeded(3);
        var first = data.Uniform(steps * 3, -2f, 2f);
        var second = first.ToArray();
        for (int k = 0; k < start * 3; k++) second[k] = -first[k];
        var a = Run(spec, parameters, first, steps, (start, end));
        var b = Run(spec, parameters, second, steps, (start, end));
        // During the delay the readout sees no activity: it is the output bias.
        Assert.All(a[(start * 2)..(end * 2)], o => Assert.Equal(0.25f, o));
        var afterA = a[(end * 2)..];
        var afterB = b[(end * 2)..];
        if (plastic) Assert.NotEqual(afterA, afterB); // the plastic traces carry the first inputs across the delay
        else Assert.Equal(afterA, afterB);             // nothing else can
        // Without the probe the activity itself carries them.
        Assert.NotEqual(Run(spec, parameters, first, steps, default)[(end * 2)..], Run(spec, parameters, second, steps, default)[(end * 2)..]);
    }
}
