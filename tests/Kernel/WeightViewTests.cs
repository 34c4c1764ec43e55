using CommunityToolkit.HighPerformance;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Network;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

/// <summary>The 2-D weight views address the flat padded storage: [r, c] is flat index r * Stride + c, padding unseen.</summary>
public class WeightViewTests
{
    [Theory]
    [InlineData(3, 5)]   // stride 8
    [InlineData(2, 20)]  // stride 32
    [InlineData(4, 16)]  // no padding
    [InlineData(7, 1)]   // single column, stride 1
    public void Views_address_the_flat_index_and_skip_padding(int rows, int columns)
    {
        var shape = LayerShape.Padded(rows, columns);
        var flat = new float[shape.StorageLength];
        Array.Fill(flat, float.NaN); // padding marker
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                flat[r * shape.Stride + c] = r * shape.Stride + c;

        ReadOnlySpan2D<float> view = shape.AsReadOnlySpan2D(flat);
        Assert.Equal(rows, view.Height);
        Assert.Equal(columns, view.Width);
        Assert.Equal(shape.Synapses, (int)view.Length);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.Equal(shape.Index(r, c), view[r, c]);
        int seen = 0;
        foreach (float v in view)
        {
            Assert.False(float.IsNaN(v));
            seen++;
        }
        Assert.Equal(shape.Synapses, seen);

        Span2D<float> writable = shape.AsSpan2D(flat);
        writable.Fill(-1f);
        for (int i = 0; i < flat.Length; i++)
            Assert.True(i % shape.Stride < columns ? flat[i] == -1f : float.IsNaN(flat[i]), $"flat index {i}");
    }

    [Fact]
    public void Views_reject_storage_shorter_than_the_shape()
    {
        var shape = LayerShape.Padded(3, 5);
        Assert.Throws<ArgumentException>(() => { shape.AsSpan2D(new float[shape.StorageLength - 1]); });
        Assert.Throws<ArgumentException>(() => { shape.AsReadOnlySpan2D(new float[shape.StorageLength - 1]); });
    }

    [Fact]
    public void Network_state_views_share_the_stored_weights()
    {
        var spec = new NetworkSpec(5, 20, 3); // strides 32 and 4
        var state = new NetworkState(spec);
        var data = new Seeded(3);
        var w1 = state.InputWeights2D;
        Assert.Equal((5, 20), (w1.Height, w1.Width));
        w1[4, 19] = 2f;
        Assert.Equal(2f, state.InputWeights[4 * spec.Input.Stride + 19]);
        state.OutputWeights[spec.Output.Index(19, 2)] = -3f;
        Assert.Equal(-3f, state.OutputWeights2D[19, 2]);

        // Effective weights are scale * view, in the dense order of CopyEffectiveWeights.
        var w2 = state.OutputWeights2D;
        for (int r = 0; r < w2.Height; r++)
            for (int c = 0; c < w2.Width; c++)
                w2[r, c] = data.Uniform(-1f, 1f);
        state.OutputScale = 0.5f;
        var dense = new float[spec.Output.Synapses];
        state.CopyEffectiveWeights(2, dense);
        Assert.Equal(dense, state.OutputWeights2D.ToArray().Cast<float>().Select(w => w * 0.5f).ToArray());
        // Padding columns (3 of the 4 stored) were never touched through the view.
        for (int r = 0; r < spec.HiddenSize; r++)
            Assert.Equal(0f, state.OutputWeights[spec.Output.Index(r, 3)]);
    }

    [Fact]
    public void Direct_weight_views_hold_the_genome_matrices_row_major()
    {
        var spec = new NetworkSpec(3, 18, 2, NetworkVariant.DirectWeight); // strides 32 and 2
        var parameters = new DirectWeightParameters(spec);
        var genome = new Seeded(5).Uniform(DirectWeightParameters.GenomeLength(spec), -1f, 1f);
        parameters.Load(genome);
        var w1 = parameters.InputWeights2D;
        var w2 = parameters.OutputWeights2D;
        int w2Start = spec.Input.Synapses + spec.HiddenSize;
        for (int r = 0; r < spec.InputSize; r++)
            for (int c = 0; c < spec.HiddenSize; c++)
                Assert.Equal(genome[r * spec.HiddenSize + c], w1[r, c]);
        for (int r = 0; r < spec.HiddenSize; r++)
            for (int c = 0; c < spec.OutputSize; c++)
                Assert.Equal(genome[w2Start + r * spec.OutputSize + c], w2[r, c]);
    }
}
