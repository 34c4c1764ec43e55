using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Rules;

/// <summary>
/// The inference-only SpikePropamine network against the BPTT tape's forward pass: both step through
/// PlasticSnnStepper, so a host that runs a trained network sees exactly what training saw.
/// </summary>
public class PlasticSnnTests
{
    private static float[] Parameters(PlasticSnnLayout layout, Seeded data) => PlasticSnnCases.PerturbedParameters(layout, 3, data, 0.6f);

    [Property(MaxTest = 60, EndSize = 300)]
    public void Steps_are_bit_identical_to_the_training_tape(NonNegativeInt seed, NonNegativeInt which, NonNegativeInt hidden,
        bool plasticInput, bool plasticRecurrent, bool silenced)
    {
        var data = new Seeded(seed.Get);
        var (rule, modulation) = PlasticSnnCases.Variants[which.Get % PlasticSnnCases.Variants.Length];
        var spec = new PlasticSnnSpec(1 + seed.Get % 7, Seeded.Size(hidden.Get, 40), 1 + seed.Get % 3, rule, modulation,
            plasticInput, plasticRecurrent || !plasticInput) { Threshold = 0.3f };
        var layout = new PlasticSnnLayout(spec);
        var parameters = Parameters(layout, data);
        const int steps = 25;
        var inputs = data.Uniform(steps * spec.Inputs, -1.5f, 1.5f);
        (int Start, int End) silence = silenced ? (8, 12) : default;
        var expected = new float[steps * spec.Outputs];
        var tape = new PlasticSnnTape(spec, steps);
        tape.Forward(parameters, inputs, steps, expected, silence);

        foreach (var width in Vectorisation.Accelerated)
        {
            var network = new PlasticSnn(spec, parameters, width);
            var actual = new float[steps * spec.Outputs];
            for (int t = 0; t < steps; t++)
            {
                network.Step(inputs.AsSpan(t * spec.Inputs, spec.Inputs), actual.AsSpan(t * spec.Outputs, spec.Outputs),
                    silenced: t >= silence.Start && t < silence.End);
                Bits.Equal(tape.SpikesAt(t), network.Spikes, $"spikes at step {t} ({width})");
                Bits.Equal(tape.TraceAt(t), network.Trace, $"traces at step {t} ({width})");
                if (spec.PlasticRecurrent) Bits.Equal(tape.RecurrentPlasticTraceAt(t), network.RecurrentPlasticTrace, $"H_rec at step {t} ({width})");
            }
            Bits.Equal(expected, actual, $"outputs ({width}, {rule}, {modulation})");
            Assert.Equal(steps, network.Steps);
        }
    }

    [Fact]
    public void Reset_starts_the_same_episode_again()
    {
        var spec = new PlasticSnnSpec(4, 12, 2, TraceRule.Bcm, TraceModulation.Neuromodulated) { Threshold = 0.2f };
        var data = new Seeded(5);
        var network = new PlasticSnn(spec, Parameters(new PlasticSnnLayout(spec), data));
        var inputs = data.Uniform(30 * 4, -1f, 1f);
        float[] Episode()
        {
            var outputs = new float[30 * 2];
            for (int t = 0; t < 30; t++) network.Step(inputs.AsSpan(t * 4, 4), outputs.AsSpan(t * 2, 2));
            return outputs;
        }
        var first = Episode();
        Assert.Contains(network.RecurrentPlasticTrace.ToArray(), h => h != 0f); // the episode did change the synapses
        network.Reset();
        Assert.All(network.RecurrentPlasticTrace.ToArray(), h => Assert.Equal(0f, h));
        Bits.Equal(first, Episode(), "outputs after Reset");
    }

    [Fact]
    public void Load_runs_other_parameters_from_a_fresh_episode_and_ClearPlasticTraces_keeps_the_activity()
    {
        var spec = new PlasticSnnSpec(4, 12, 2, TraceRule.Hebbian, TraceModulation.Retroactive) { Threshold = 0.2f };
        var layout = new PlasticSnnLayout(spec);
        var data = new Seeded(8);
        float[] first = Parameters(layout, data), second = Parameters(layout, data);
        var inputs = data.Uniform(30 * 4, -1f, 1f);
        float[] Episode(PlasticSnn network)
        {
            var outputs = new float[30 * 2];
            for (int t = 0; t < 30; t++) network.Step(inputs.AsSpan(t * 4, 4), outputs.AsSpan(t * 2, 2));
            return outputs;
        }
        var fresh = new PlasticSnn(spec, second);
        var expected = Episode(fresh);
        var reused = new PlasticSnn(spec, first);
        Episode(reused);
        reused.Load(second);
        Assert.Equal(0, reused.Steps);
        Bits.Equal(expected, Episode(reused), "outputs after Load");
        Bits.Equal(second, reused.Parameters, "parameters after Load");

        var trace = reused.Trace.ToArray();
        Assert.Contains(reused.InputPlasticTrace.ToArray(), h => h != 0f);
        reused.ClearPlasticTraces();
        Assert.All(reused.InputPlasticTrace.ToArray(), h => Assert.Equal(0f, h));
        Assert.All(reused.RecurrentPlasticTrace.ToArray(), h => Assert.Equal(0f, h));
        Bits.Equal(trace, reused.Trace, "hidden traces after ClearPlasticTraces");
        Assert.Throws<ArgumentException>(() => reused.Load(new float[layout.Length + 1]));
    }

    [Fact]
    public void Every_trace_rule_variant_name_parses_back_to_itself()
    {
        foreach (var name in TraceRuleVariant.Names)
        {
            Assert.True(TraceRuleVariant.TryParse(name, out var variant), name);
            Assert.Equal(name, variant.Name);
            variant.Spec(3, 4, 2).Validate();
        }
        Assert.Equal(TraceRuleVariant.None, TraceRuleVariant.TryParse("none", out var none) ? none : default);
        Assert.Equal(new TraceRuleVariant(TraceRule.Bcm, TraceModulation.Neuromodulated, true), TraceRuleVariant.TryParse("bcm-neuromod", out var bcm) ? bcm : default);
        Assert.False(TraceRuleVariant.TryParse("oja-retroactive", out _));
        Assert.False(TraceRuleVariant.TryParse("Hebbian", out _));
        Assert.False(TraceRuleVariant.None.Spec(3, 4, 2).Plastic);
    }

    [Fact]
    public void A_step_allocates_nothing()
    {
        var spec = new PlasticSnnSpec(6, 32, 3, TraceRule.Hebbian, TraceModulation.Retroactive);
        var network = new PlasticSnn(spec, new PlasticSnnLayout(spec).Initial(1));
        float[] input = [0.5f, -1f, 0.25f, 1f, 0f, -0.5f], output = new float[3];
        Assert.Equal(0, Allocations.OfWarmedUp(() =>
        {
            for (int t = 0; t < 200; t++) network.Step(input, output, silenced: t % 20 == 0);
        }));
    }

    [Fact]
    public void Wrong_sizes_are_refused_with_what_was_expected()
    {
        var spec = new PlasticSnnSpec(3, 4, 2);
        var layout = new PlasticSnnLayout(spec);
        var error = Assert.Throws<ArgumentException>(() => new PlasticSnn(spec, new float[layout.Length - 1]));
        Assert.Contains($"has {layout.Length}", error.Message);
        var network = new PlasticSnn(spec, layout.Initial(1));
        Assert.Throws<ArgumentException>(() => network.Step(new float[2], new float[2]));
        Assert.Throws<ArgumentException>(() => network.Step(new float[3], new float[1]));
    }
}
