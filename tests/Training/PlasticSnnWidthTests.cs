using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Training;

/// <summary>
/// BPTT gives the same bits on every vector width: forward outputs and the whole gradient of the tape on each
/// width against its scalar path (tolerance 0), so a run trained on an AVX-512 machine equals one on AVX2.
/// </summary>
public class PlasticSnnWidthTests
{
    [Property(MaxTest = 40, EndSize = 300)]
    public void Forward_and_gradient_are_identical_on_every_width(NonNegativeInt seed, NonNegativeInt which, NonNegativeInt hidden, bool silenced)
    {
        var data = new Seeded(seed.Get);
        var (rule, modulation) = PlasticSnnCases.Variants[which.Get % PlasticSnnCases.Variants.Length];
        // Hidden sizes beyond 16 and off the vector sizes exercise whole blocks and tails of every reduction.
        var spec = new PlasticSnnSpec(1 + seed.Get % 9, Seeded.Size(hidden.Get, 45), 1 + seed.Get % 3, rule, modulation) { Threshold = 0.3f };
        var layout = new PlasticSnnLayout(spec);
        var parameters = PlasticSnnCases.PerturbedParameters(layout, 2, data, 0.5f);
        const int steps = 18;
        var inputs = data.Uniform(steps * spec.Inputs, -1.5f, 1.5f);
        var outputGradient = data.Uniform(steps * spec.Outputs, -1f, 1f);
        (int, int) silence = silenced ? (5, 8) : default;

        (float[] Outputs, float[] Gradient) Run(SimdWidth width)
        {
            var tape = new PlasticSnnTape(spec, steps, width);
            var outputs = new float[steps * spec.Outputs];
            var gradient = new float[layout.Length];
            tape.Forward(parameters, inputs, steps, outputs, silence);
            tape.Backward(parameters, outputGradient, gradient);
            return (outputs, gradient);
        }

        var (expectedOutputs, expectedGradient) = Run(SimdWidth.Scalar);
        Assert.Contains(expectedGradient, g => g != 0f);
        foreach (var width in Vectorisation.Accelerated)
        {
            var (outputs, gradient) = Run(width);
            Bits.Equal(expectedOutputs, outputs, $"outputs ({width}, {rule}, {modulation})");
            Bits.Equal(expectedGradient, gradient, $"gradient ({width}, {rule}, {modulation})");
        }
    }
}
