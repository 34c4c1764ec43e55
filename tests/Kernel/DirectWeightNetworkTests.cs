using PdlfFast.Kernel.Network;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

public class DirectWeightNetworkTests
{
    [Fact]
    public void One_step_matches_hand_computed_values()
    {
        // 2-3-2 network. W1 = [[1, 2, -1], [0.5, -3, 0]], b1 = [0.5, 0, -2], x = [1.5, 1]:
        // I = [1.5 + 0.5 + 0.5, 3 - 3 + 0, -1.5 + 0 - 2] = [2.5, 0, -3.5]; v = 0.5 I = [1.25, 0, -1.75] (threshold 1)
        // -> s = [1, 0, -1], v = [0, 0, 0]. W2 = [[1, -1], [5, 5], [0.25, 2]], b2 = [0.1, 0]:
        // out = W2[0] - W2[2] + b2 = [0.85, -3] -> action = tanh(out) = [0.6910, -0.9951].
        var spec = new NetworkSpec(2, 3, 2, NetworkVariant.DirectWeight);
        var parameters = new DirectWeightParameters(spec);
        parameters.Load([1f, 2f, -1f, 0.5f, -3f, 0f, 0.5f, 0f, -2f, 1f, -1f, 5f, 5f, 0.25f, 2f, 0.1f, 0f]);
        var state = new NetworkState(spec);
        var action = new float[2];
        DirectWeightNetwork.Step(state, parameters, [1.5f, 1f], action);
        Assert.Equal([1f, 0f, -1f], state.Spikes[..3].ToArray());
        Assert.Equal([0f, 0f, 0f], state.Membrane[..3].ToArray());
        Assert.Equal(MathF.Tanh(0.85f), action[0], 1e-6f);
        Assert.Equal(MathF.Tanh(-3f), action[1], 1e-6f);
        // Second step: v = 0.5 * 0 + 0.5 I again, so the same spikes.
        DirectWeightNetwork.Step(state, parameters, [1.5f, 1f], action);
        Assert.Equal([1f, 0f, -1f], state.Spikes[..3].ToArray());
    }

    [Fact]
    public void Vector_widths_agree_bit_for_bit()
    {
        var data = new Seeded(11);
        var spec = new NetworkSpec(17, 77, 5, NetworkVariant.DirectWeight);
        var parameters = new DirectWeightParameters(spec);
        parameters.Load(data.Uniform(DirectWeightParameters.GenomeLength(spec), -1f, 1f));
        var observations = Enumerable.Range(0, 30).Select(_ => data.Uniform(17, -5f, 5f)).ToArray();
        float[] Run(PdlfFast.Kernel.Simd.SimdWidth width)
        {
            var state = new NetworkState(spec);
            var trace = new List<float>();
            var action = new float[5];
            foreach (var x in observations)
            {
                DirectWeightNetwork.Step(state, parameters, x, action, width);
                trace.AddRange(action);
            }
            return trace.ToArray();
        }
        var scalar = Run(PdlfFast.Kernel.Simd.SimdWidth.Scalar);
        foreach (var width in Seeded.VectorWidths) Bits.Equal(scalar, Run(width), $"actions ({width})");
    }

    [Fact]
    public void Wrong_variant_and_genome_length_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new DirectWeightParameters(new NetworkSpec(2, 3, 2)));
        var parameters = new DirectWeightParameters(new NetworkSpec(2, 3, 2, NetworkVariant.DirectWeight));
        var ex = Assert.Throws<ArgumentException>(() => parameters.Load(new float[3]));
        Assert.Contains("needs 17", ex.Message);
    }
}
