using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Training;

/// <summary>
/// The hand-written backward pass against central finite differences of the forward pass, for every rule and
/// modulation, on random small networks with the smooth spike function (whose exact derivative is the surrogate).
/// Bound: every coordinate within 1e-2 of the larger gradient magnitude plus 3 % of its own size (float forward,
/// step 1e-3).
/// </summary>
public class PlasticSnnGradientTests
{
    public static readonly (TraceRule Rule, TraceModulation Modulation)[] Variants = PlasticSnnCases.Variants;

    private static double Loss(PlasticSnnTape tape, float[] parameters, float[] inputs, int steps, float[] weights, float[] outputs, (int, int) silence = default)
    {
        tape.Forward(parameters, inputs, steps, outputs, silence);
        double loss = 0;
        for (int i = 0; i < steps * tape.Spec.Outputs; i++) loss += (double)weights[i] * outputs[i];
        return loss;
    }

    private static float[] RandomParameters(PlasticSnnLayout layout, Seeded data)
    {
        var p = layout.Initial(7);
        foreach (PlasticSnnPart part in Enum.GetValues<PlasticSnnPart>())
        {
            var span = layout.Of(p.AsSpan(), part);
            var values = part switch
            {
                PlasticSnnPart.InputEta or PlasticSnnPart.RecurrentEta => data.Uniform(1, 0.1f, 0.4f),
                PlasticSnnPart.InputAlpha or PlasticSnnPart.RecurrentAlpha => data.Uniform(span.Length, -0.8f, 0.8f),
                PlasticSnnPart.ModulationFanOut => data.Uniform(span.Length, 0.3f, 1.2f),
                _ => data.Uniform(span.Length, -1.2f, 1.2f),
            };
            values.CopyTo(span);
        }
        return p;
    }

    [Property(MaxTest = 70, EndSize = 300)]
    public void Backward_matches_central_finite_differences(NonNegativeInt seed, NonNegativeInt which, bool plasticInput, bool plasticRecurrent, bool silenced)
    {
        // Silenced: the activity-reset probe wipes activity for one or two steps inside the episode.
        (int, int) silence = silenced ? (1 + seed.Get % 4, 2 + seed.Get % 4 + seed.Get / 4 % 2) : default;
        var (rule, modulation) = Variants[which.Get % Variants.Length];
        var spec = new PlasticSnnSpec(3, 5, 2, rule, modulation, plasticInput, plasticRecurrent || !plasticInput)
        {
            Spikes = SpikeFunction.Smooth, SurrogateSlope = 2f, Threshold = 0.5f,
        };
        var layout = new PlasticSnnLayout(spec);
        var data = new Seeded(seed.Get);
        const int steps = 7;
        var tape = new PlasticSnnTape(spec, steps);
        var parameters = RandomParameters(layout, data);
        var inputs = data.Uniform(steps * spec.Inputs, -1.5f, 1.5f);
        var lossWeights = data.Uniform(steps * spec.Outputs, -1f, 1f);
        var outputs = new float[steps * spec.Outputs];

        var gradient = new float[layout.Length];
        tape.Forward(parameters, inputs, steps, outputs, silence);
        tape.Backward(parameters, lossWeights, gradient);

        double largest = gradient.Max(g => Math.Abs(g));
        for (int k = 0; k < layout.Length; k++)
        {
            const float step = 1e-3f;
            var plus = parameters.ToArray();
            var minus = parameters.ToArray();
            plus[k] += step;
            minus[k] -= step;
            double numeric = (Loss(tape, plus, inputs, steps, lossWeights, outputs, silence) - Loss(tape, minus, inputs, steps, lossWeights, outputs, silence))
                / (plus[k] - minus[k]);
            double error = Math.Abs(numeric - gradient[k]);
            Assert.True(error <= 2e-3 * Math.Max(largest, 1e-3) + 0.02 * Math.Abs(numeric),
                $"{rule}/{modulation} in={plasticInput} rec={plasticRecurrent} silence={silence}: parameter {k} ({Part(layout, k)}): backward {gradient[k]:G6}, finite difference {numeric:G6}");
        }
    }

    private static PlasticSnnPart Part(PlasticSnnLayout layout, int index) =>
        Enum.GetValues<PlasticSnnPart>().First(p => index >= layout[p].Offset && index < layout[p].Offset + layout[p].Length);

    [Fact]
    public void Gradients_accumulate_across_episodes_and_passes_allocate_nothing()
    {
        var spec = new PlasticSnnSpec(4, 16, 3, TraceRule.Oja, TraceModulation.Neuromodulated);
        var layout = new PlasticSnnLayout(spec);
        var tape = new PlasticSnnTape(spec, 20);
        var data = new Seeded(3);
        var parameters = RandomParameters(layout, data);
        var inputs = data.Uniform(20 * 4, 0f, 2f);
        var dOut = data.Uniform(20 * 3, -1f, 1f);
        var outputs = new float[20 * 3];
        var once = new float[layout.Length];
        tape.Forward(parameters, inputs, 20, outputs);
        tape.Backward(parameters, dOut, once);
        var twice = new float[layout.Length];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 2; r++)
        {
            tape.Forward(parameters, inputs, 20, outputs);
            tape.Backward(parameters, dOut, twice);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        for (int k = 0; k < once.Length; k++) Assert.True(Math.Abs(2 * once[k] - twice[k]) <= 1e-5f * Math.Max(1f, Math.Abs(once[k])), $"parameter {k}");
        Assert.Contains(once, g => g != 0f);
    }
}

/// <summary>
/// Each rule's one-step backward pass against central finite differences with every input of order one, where all
/// terms of the rule matter (inside a whole network some are too small for a float finite difference to see).
/// Bound: every coordinate within 1e-3 of the largest gradient plus 1 % of its own size.
/// </summary>
public class TraceLayerGradientTests
{
    [Property(MaxTest = 70, EndSize = 300)]
    public void Each_rule_step_backward_matches_central_finite_differences(NonNegativeInt seed, NonNegativeInt which)
    {
        var (rule, modulation) = PlasticSnnGradientTests.Variants[which.Get % PlasticSnnGradientTests.Variants.Length];
        const int rows = 4, columns = 3;
        var shape = PdlfFast.Kernel.Layers.LayerShape.Dense(rows, columns);
        var data = new Seeded(seed.Get);
        // Ranges keep |H'| < 1, away from the Hebbian clip's kink.
        var inputs = new Dictionary<string, float[]>
        {
            ["x"] = data.Uniform(rows, -0.7f, 0.7f),
            ["y"] = data.Uniform(columns, -0.7f, 0.7f),
            ["theta"] = data.Uniform(columns, 0f, 0.6f),
            ["rate"] = data.Uniform(columns, modulation == TraceModulation.None ? 0.05f : -0.5f, 0.5f),
            ["eta"] = data.Uniform(1, 0.05f, 0.5f),
            ["H"] = data.Uniform(rows * columns, -0.5f, 0.5f),
            ["E"] = data.Uniform(rows * columns, -0.5f, 0.5f),
        };
        if (modulation == TraceModulation.None) inputs["rate"].AsSpan().Fill(inputs["eta"][0]); // plain: rate is eta everywhere
        var cH = data.Uniform(rows * columns, -1f, 1f);
        var cE = data.Uniform(rows * columns, -1f, 1f);
        bool retro = modulation == TraceModulation.Retroactive;
        var layer = new TraceLayerGradient(columns);

        double Loss(Dictionary<string, float[]> v)
        {
            var h = v["H"].ToArray();
            var e = retro ? v["E"].ToArray() : [];
            layer.Forward(rule, modulation, shape, v["x"], v["y"], v["theta"], v["rate"], v["eta"][0], h, e);
            double loss = 0;
            for (int s = 0; s < h.Length; s++) loss += (double)cH[s] * h[s] + (retro ? (double)cE[s] * e[s] : 0);
            return loss;
        }

        var gH = cH.ToArray();
        var gE = retro ? cE.ToArray() : [];
        var gradients = new Dictionary<string, float[]>
        {
            ["x"] = new float[rows], ["y"] = new float[columns], ["theta"] = new float[columns], ["rate"] = new float[columns], ["eta"] = new float[1],
        };
        float gEta = 0f;
        layer.Backward(rule, modulation, shape, inputs["x"], inputs["y"], inputs["theta"], inputs["rate"], inputs["eta"][0], inputs["H"],
            retro ? inputs["E"] : [], gH, gE, gradients["x"], gradients["y"], gradients["theta"], gradients["rate"], ref gEta);
        gradients["eta"][0] = gEta;
        gradients["H"] = gH;
        gradients["E"] = retro ? gE : new float[rows * columns];
        // Plain rules take eta through rate (the network folds it); the eligibility eta exists only when retroactive.
        var checkedInputs = modulation == TraceModulation.None ? new[] { "x", "y", "theta", "H" } : new[] { "x", "y", "theta", "rate", "eta", "H", "E" };
        if (modulation == TraceModulation.None)
        {
            // d/deta of the plain rule = the sum of the per-neuron rate gradients.
            gradients["eta"][0] = gradients["rate"].Sum();
            checkedInputs = [.. checkedInputs, "eta"];
        }
        if (rule != TraceRule.Bcm) checkedInputs = checkedInputs.Where(n => n != "theta").ToArray();
        if (!retro) checkedInputs = checkedInputs.Where(n => n != "E" && (modulation != TraceModulation.Neuromodulated || n != "eta")).ToArray();

        double largest = checkedInputs.SelectMany(n => gradients[n]).Max(g => Math.Abs(g));
        foreach (var name in checkedInputs)
        {
            for (int k = 0; k < inputs[name].Length; k++)
            {
                const float step = 1e-3f;
                var plus = inputs.ToDictionary(p => p.Key, p => p.Value.ToArray());
                var minus = inputs.ToDictionary(p => p.Key, p => p.Value.ToArray());
                plus[name][k] += step;
                minus[name][k] -= step;
                if (name == "eta" && modulation == TraceModulation.None)
                {
                    plus["rate"].AsSpan().Fill(plus["eta"][0]);
                    minus["rate"].AsSpan().Fill(minus["eta"][0]);
                }
                double numeric = (Loss(plus) - Loss(minus)) / (plus[name][k] - minus[name][k]);
                double error = Math.Abs(numeric - gradients[name][k]);
                Assert.True(error <= 1e-3 * Math.Max(largest, 1e-3) + 0.01 * Math.Abs(numeric),
                    $"{rule}/{modulation}: d/d{name}[{k}]: backward {gradients[name][k]:G6}, finite difference {numeric:G6}");
            }
        }
    }

    [Fact]
    public void A_clipped_Hebbian_trace_passes_no_gradient()
    {
        var layer = new TraceLayerGradient(1);
        var shape = PdlfFast.Kernel.Layers.LayerShape.Dense(1, 1);
        float[] gH = [1f], gx = [0f], gy = [0f], gTheta = [0f], gRate = [0f];
        float gEta = 0f;
        // 0.9 * 1 + 1 * (0.5 * 1) = 1.4 > 1: clipped, so H' does not depend on anything.
        layer.Backward(TraceRule.Hebbian, TraceModulation.Neuromodulated, shape, [1f], [1f], [0f], [0.5f], 0f, [0.9f], [], gH, [], gx, gy, gTheta, gRate, ref gEta);
        Assert.Equal([0f, 0f, 0f, 0f], new[] { gH[0], gx[0], gy[0], gRate[0] });
        // Below the clip the same step passes gradient: dH'/dH = 1, dH'/dy = rate x.
        gH[0] = 1f;
        layer.Backward(TraceRule.Hebbian, TraceModulation.Neuromodulated, shape, [1f], [1f], [0f], [0.5f], 0f, [0.2f], [], gH, [], gx, gy, gTheta, gRate, ref gEta);
        Assert.Equal(1f, gH[0]);
        Assert.Equal(0.5f, gy[0]);
        Assert.Equal(1f, gRate[0]);
    }
}
