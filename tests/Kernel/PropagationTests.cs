using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

public class PropagationTests
{
    private static (LayerShape Shape, float[] Weights) RandomLayer(Seeded data, int rows, int columns, bool padded)
    {
        var shape = padded ? LayerShape.Padded(rows, columns) : LayerShape.Dense(rows, columns);
        var weights = new float[shape.StorageLength];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                weights[shape.Index(i, j)] = data.Uniform(-1f, 1f);
        return (shape, weights);
    }

    // Tolerance 0: each output column sums its rows in ascending order with fused multiply-adds in every path.
    [Property(MaxTest = 150, EndSize = 300)]
    public void Dense_vectorised_is_bit_identical_to_scalar_twin(NonNegativeInt rows, NonNegativeInt columns, int seed, bool padded)
    {
        var data = new Seeded(seed);
        var (shape, weights) = RandomLayer(data, Seeded.Size(rows.Get, 300), Seeded.Size(columns.Get, 300), padded);
        var input = data.Uniform(shape.Rows, -5f, 5f);
        float scale = data.Uniform(0.1f, 3f);
        var expected = new float[shape.Stride];
        Propagation.DenseScalar(input, weights, shape, scale, expected);
        foreach (var width in Seeded.VectorWidths)
        {
            var actual = new float[shape.Stride];
            Propagation.Dense(input, weights, shape, scale, actual, width);
            Bits.Equal(expected, actual, $"dense current ({width}, {shape})");
        }
    }

    [Property(MaxTest = 150, EndSize = 300)]
    public void Spikes_vectorised_is_bit_identical_to_scalar_twin(NonNegativeInt rows, NonNegativeInt columns, int seed, bool padded)
    {
        var data = new Seeded(seed);
        var (shape, weights) = RandomLayer(data, Seeded.Size(rows.Get, 300), Seeded.Size(columns.Get, 300), padded);
        var spikes = data.Spikes(shape.Rows);
        float scale = data.Uniform(0.1f, 3f);
        var expected = new float[shape.Stride];
        Propagation.SpikesScalar(spikes, weights, shape, scale, expected);
        foreach (var width in Seeded.VectorWidths)
        {
            var actual = data.Uniform(shape.Stride, -9f, 9f); // stale values must be overwritten
            Propagation.Spikes(spikes, weights, shape, scale, actual, width);
            Bits.Equal(expected, actual, $"spike current ({width}, {shape})");
        }
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Signed_row_additions_equal_the_dense_product_of_ternary_spikes(NonNegativeInt rows, NonNegativeInt columns, int seed)
    {
        var data = new Seeded(seed);
        var (shape, weights) = RandomLayer(data, Seeded.Size(rows.Get, 300), Seeded.Size(columns.Get, 300), padded: true);
        var spikes = data.Spikes(shape.Rows);
        var viaRows = new float[shape.Stride];
        var viaDense = new float[shape.Stride];
        Propagation.Spikes(spikes, weights, shape, 0.5f, viaRows);
        Propagation.Dense(spikes, weights, shape, 0.5f, viaDense);
        // fma(+-1, w, a) rounds exactly as a +- w and fma(0, w, a) = a, so the two agree exactly (== ignores the sign of zero).
        for (int j = 0; j < shape.Stride; j++) Assert.True(viaRows[j] == viaDense[j], $"column {j}: {viaRows[j]} vs {viaDense[j]}");
    }

    [Property(MaxTest = 60, EndSize = 300)]
    public void Batched_dense_equals_per_sample_dense_bit_for_bit(NonNegativeInt rows, NonNegativeInt columns, NonNegativeInt batch, int seed)
    {
        var data = new Seeded(seed);
        var (shape, weights) = RandomLayer(data, Seeded.Size(rows.Get, 200), Seeded.Size(columns.Get, 300), padded: rows.Get % 2 == 0);
        int n = Seeded.Size(batch.Get, 9), inputStride = shape.Rows + 3, currentStride = shape.Stride + 5;
        var inputs = data.Uniform(n * inputStride, -2f, 2f);
        foreach (var width in Vectorisation.Accelerated)
        {
            var batched = new float[n * currentStride];
            Propagation.DenseBatch(inputs, inputStride, weights, shape, 0.75f, batched, currentStride, n, width);
            for (int b = 0; b < n; b++)
            {
                var single = new float[shape.Stride];
                Propagation.DenseScalar(inputs.AsSpan(b * inputStride, shape.Rows), weights, shape, 0.75f, single);
                Bits.Equal(single, batched.AsSpan(b * currentStride, shape.Stride), $"sample {b} ({width}, {shape})");
            }
        }
    }

    [Fact]
    public void Small_cases_match_hand_computed_currents()
    {
        // W = [[1, 2, 3], [4, 5, 6]] (2 presynaptic rows, 3 postsynaptic columns), scale 0.5.
        var shape = LayerShape.Dense(2, 3);
        float[] w = [1, 2, 3, 4, 5, 6];
        var current = new float[3];
        Propagation.Dense([1f, -2f], w, shape, 0.5f, current);
        Assert.Equal([-3.5f, -4f, -4.5f], current);
        Propagation.Spikes([-1f, 1f], w, shape, 0.5f, current);
        Assert.Equal([1.5f, 1.5f, 1.5f], current);
        Propagation.Spikes([0f, 0f], w, shape, 0.5f, current);
        Assert.Equal([0f, 0f, 0f], current);
    }

    [Fact]
    public void Padded_rows_are_whole_vectors()
    {
        Assert.Equal(128, LayerShape.Padded(28, 128).Stride);
        Assert.Equal(8, LayerShape.Padded(128, 8).Stride);
        Assert.Equal(8, LayerShape.Padded(128, 6).Stride);
        Assert.Equal(4, LayerShape.Padded(12, 3).Stride);
        Assert.Equal(1, LayerShape.Padded(128, 1).Stride);
        Assert.Equal(32, LayerShape.Padded(5, 17).Stride);
    }

    [Fact]
    public void Too_short_spans_are_rejected()
    {
        var shape = LayerShape.Dense(3, 4);
        Assert.Throws<ArgumentException>(() => Propagation.Dense(new float[2], new float[12], shape, 1f, new float[4]));
        Assert.Throws<ArgumentException>(() => Propagation.Dense(new float[3], new float[11], shape, 1f, new float[4]));
        Assert.Throws<ArgumentException>(() => Propagation.Spikes(new float[3], new float[12], shape, 1f, new float[3]));
    }
}
