using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Layers;

/// <summary>
/// Presynaptic activity to postsynaptic current through a <see cref="LayerShape"/> matrix, scaled by the layer's
/// normalisation factor: <c>current[j] = scale * sum_i x[i] * W[i, j]</c>, for every stored column j &lt; Stride
/// (padding columns hold zero weights, so their current is zero). Each output column accumulates its rows in
/// ascending order with fused multiply-adds in every path, so results are bit-identical across vector widths.
/// All kernels allocate nothing. <c>current</c> spans need <see cref="LayerShape.Stride"/> floats (the padded
/// columns are written too), presynaptic spans <see cref="LayerShape.Rows"/>.
/// </summary>
public static class Propagation
{
    /// <summary>Dense projection for real-valued input (e.g. normalised observations).</summary>
    /// <param name="input">Presynaptic activity x, at least <see cref="LayerShape.Rows"/> values.</param>
    /// <param name="weights">Stored weights in <paramref name="shape"/>'s layout.</param>
    /// <param name="shape">Layout of <paramref name="weights"/>.</param>
    /// <param name="scale">Stored-to-effective weight multiplier (1 for unnormalised layers).</param>
    /// <param name="current">Receives <see cref="LayerShape.Stride"/> currents (overwritten, not accumulated).</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="shape"/>.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static void Dense(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, LayerShape shape, float scale,
        Span<float> current, SimdWidth width = SimdWidth.Auto)
    {
        Check(input, weights, shape, current);
        // Wider paths fall through to narrower ones for the remaining columns, then scalar (same operations).
        int j = 0;
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512:
                DenseColumns<Vec512>(input, weights, shape, scale, current, ref j);
                goto case SimdWidth.Vector256;
            case SimdWidth.Vector256:
                DenseColumns<Vec256>(input, weights, shape, scale, current, ref j);
                goto case SimdWidth.Vector128;
            case SimdWidth.Vector128:
                DenseColumns<Vec128>(input, weights, shape, scale, current, ref j);
                break;
        }
        DenseColumnsScalar(input, weights, shape, scale, current, j);
    }

    private static void DenseColumns<TVec>(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, LayerShape shape,
        float scale, Span<float> current, ref int firstColumn) where TVec : struct, IFloatVector<TVec>
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float output = ref MemoryMarshal.GetReference(current);
        TVec scaleV = TVec.Broadcast(scale);
        nuint stride = (nuint)shape.Stride, rows = (nuint)shape.Rows, columns = (nuint)shape.Stride, count = (nuint)TVec.Count;
        nuint j = (nuint)firstColumn;
        // Four independent accumulators per pass hide the FMA latency; each still sums its rows in order.
        for (; j + 4 * count <= columns; j += 4 * count)
        {
            TVec a0 = TVec.Zero, a1 = TVec.Zero, a2 = TVec.Zero, a3 = TVec.Zero;
            nuint row = j;
            for (nuint i = 0; i < rows; i++, row += stride)
            {
                TVec xi = TVec.Broadcast(Unsafe.Add(ref x, i));
                a0 = TVec.Fma(xi, TVec.Load(ref w, row), a0);
                a1 = TVec.Fma(xi, TVec.Load(ref w, row + count), a1);
                a2 = TVec.Fma(xi, TVec.Load(ref w, row + 2 * count), a2);
                a3 = TVec.Fma(xi, TVec.Load(ref w, row + 3 * count), a3);
            }
            TVec.Store(TVec.Multiply(a0, scaleV), ref output, j);
            TVec.Store(TVec.Multiply(a1, scaleV), ref output, j + count);
            TVec.Store(TVec.Multiply(a2, scaleV), ref output, j + 2 * count);
            TVec.Store(TVec.Multiply(a3, scaleV), ref output, j + 3 * count);
        }
        for (; j + count <= columns; j += count)
        {
            TVec a = TVec.Zero;
            nuint row = j;
            for (nuint i = 0; i < rows; i++, row += stride)
                a = TVec.Fma(TVec.Broadcast(Unsafe.Add(ref x, i)), TVec.Load(ref w, row), a);
            TVec.Store(TVec.Multiply(a, scaleV), ref output, j);
        }
        firstColumn = (int)j;
    }

    private static void DenseColumnsScalar(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, LayerShape shape,
        float scale, Span<float> current, int firstColumn)
    {
        for (int j = firstColumn; j < shape.Stride; j++)
        {
            float a = 0f;
            for (int i = 0; i < shape.Rows; i++)
                a = MathF.FusedMultiplyAdd(input[i], weights[i * shape.Stride + j], a);
            current[j] = a * scale;
        }
    }

    /// <summary>
    /// <see cref="Dense"/> for a batch of inputs sharing one weight matrix (rows of <paramref name="inputStride"/> and
    /// <paramref name="currentStride"/> floats). Column blocks of three (then two) vectors are computed for every sample while the
    /// block's weights sit in L1, so a matrix larger than L1 is read from L2 once per step instead of once per sample.
    /// Each output still sums its rows in ascending order with FMA: results equal <see cref="Dense"/> bit for bit.
    /// </summary>
    /// <param name="inputs">Sample b's input starts at <c>b * inputStride</c>.</param>
    /// <param name="inputStride">Floats between samples' inputs, at least <see cref="LayerShape.Rows"/>.</param>
    /// <param name="weights">Stored weights in <paramref name="shape"/>'s layout, shared by all samples.</param>
    /// <param name="shape">Layout of <paramref name="weights"/>.</param>
    /// <param name="scale">Stored-to-effective weight multiplier.</param>
    /// <param name="currents">Sample b's <see cref="LayerShape.Stride"/> currents start at <c>b * currentStride</c>.</param>
    /// <param name="currentStride">Floats between samples' currents, at least <see cref="LayerShape.Stride"/>.</param>
    /// <param name="batch">Samples; 0 does nothing.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span or stride is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
    public static void DenseBatch(ReadOnlySpan<float> inputs, int inputStride, ReadOnlySpan<float> weights, LayerShape shape,
        float scale, Span<float> currents, int currentStride, int batch, SimdWidth width = SimdWidth.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (batch == 0) return;
        if (inputStride < shape.Rows || inputs.Length < (batch - 1) * inputStride + shape.Rows)
            throw new ArgumentException($"Inputs must hold {batch} rows of at least {shape.Rows} values, {inputStride} apart.", nameof(inputs));
        if (currentStride < shape.Stride || currents.Length < (batch - 1) * currentStride + shape.Stride)
            throw new ArgumentException($"Currents must hold {batch} rows of at least {shape.Stride} values, {currentStride} apart.", nameof(currents));
        shape.Validate(weights.Length);
        int done = Vectorisation.Resolve(width) switch
        {
            SimdWidth.Vector512 => DenseBatchBlocks<Vec512>(inputs, inputStride, weights, shape, scale, currents, currentStride, batch),
            SimdWidth.Vector256 => DenseBatchBlocks<Vec256>(inputs, inputStride, weights, shape, scale, currents, currentStride, batch),
            SimdWidth.Vector128 => DenseBatchBlocks<Vec128>(inputs, inputStride, weights, shape, scale, currents, currentStride, batch),
            _ => 0,
        };
        if (done == shape.Stride) return;
        for (int b = 0; b < batch; b++)
            DenseColumnsScalar(inputs.Slice(b * inputStride), weights, shape, scale, currents.Slice(b * currentStride), done);
    }

    private static int DenseBatchBlocks<TVec>(ReadOnlySpan<float> inputs, int inputStride, ReadOnlySpan<float> weights, LayerShape shape,
        float scale, Span<float> currents, int currentStride, int batch) where TVec : struct, IFloatVector<TVec>
    {
        int done = DenseBatchSums<TVec>(inputs, inputStride, weights, shape, currents, currentStride, batch);
        // Scaled in a second pass over the (small) outputs, the same multiply as scaling before the store: a broadcast
        // scale live across the tile loops would be a seventeenth vector register, and under AVX2 the compiler then
        // spilled an accumulator to the stack, putting a store-to-load round trip into every row's FMA chain.
        TVec scaleV = TVec.Broadcast(scale);
        ref float o0 = ref MemoryMarshal.GetReference(currents);
        for (int b = 0; b < batch; b++)
        {
            ref float o = ref Unsafe.Add(ref o0, b * currentStride);
            for (nuint j = 0; j < (nuint)done; j += (nuint)TVec.Count)
                TVec.Store(TVec.Multiply(TVec.Load(ref o, j), scaleV), ref o, j);
        }
        return done;
    }

    /// <summary>The unscaled sums of <see cref="DenseBatchBlocks{TVec}"/> for whole column blocks; returns the columns done.</summary>
    private static int DenseBatchSums<TVec>(ReadOnlySpan<float> inputs, int inputStride, ReadOnlySpan<float> weights, LayerShape shape,
        Span<float> currents, int currentStride, int batch) where TVec : struct, IFloatVector<TVec>
    {
        ref float x0 = ref MemoryMarshal.GetReference(inputs);
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float o0 = ref MemoryMarshal.GetReference(currents);
        nuint stride = (nuint)shape.Stride, rows = (nuint)shape.Rows, count = (nuint)TVec.Count, j = 0;
        // Blocks of three vectors first: a 4 x 3 tile keeps twelve FMA chains in flight (two FMA pipes of latency 4-5
        // need at least ten) in twelve accumulators, three weight vectors and one broadcast - all sixteen registers of
        // AVX2 and SSE, none spilled. The remaining columns take the 4 x 2 tile, then scalar.
        for (; j + 3 * count <= stride; j += 3 * count)
        {
            int b = 0;
            for (; b + 4 <= batch; b += 4)
            {
                ref float xa = ref Unsafe.Add(ref x0, b * inputStride);
                ref float xb = ref Unsafe.Add(ref xa, inputStride);
                ref float xc = ref Unsafe.Add(ref xb, inputStride);
                ref float xd = ref Unsafe.Add(ref xc, inputStride);
                TVec a0 = TVec.Zero, a1 = TVec.Zero, a2 = TVec.Zero, b0 = TVec.Zero, b1 = TVec.Zero, b2 = TVec.Zero;
                TVec c0 = TVec.Zero, c1 = TVec.Zero, c2 = TVec.Zero, d0 = TVec.Zero, d1 = TVec.Zero, d2 = TVec.Zero;
                nuint row = j;
                for (nuint i = 0; i < rows; i++, row += stride)
                {
                    TVec w0 = TVec.Load(ref w, row), w1 = TVec.Load(ref w, row + count), w2 = TVec.Load(ref w, row + 2 * count);
                    TVec x = TVec.Broadcast(Unsafe.Add(ref xa, i));
                    a0 = TVec.Fma(x, w0, a0);
                    a1 = TVec.Fma(x, w1, a1);
                    a2 = TVec.Fma(x, w2, a2);
                    x = TVec.Broadcast(Unsafe.Add(ref xb, i));
                    b0 = TVec.Fma(x, w0, b0);
                    b1 = TVec.Fma(x, w1, b1);
                    b2 = TVec.Fma(x, w2, b2);
                    x = TVec.Broadcast(Unsafe.Add(ref xc, i));
                    c0 = TVec.Fma(x, w0, c0);
                    c1 = TVec.Fma(x, w1, c1);
                    c2 = TVec.Fma(x, w2, c2);
                    x = TVec.Broadcast(Unsafe.Add(ref xd, i));
                    d0 = TVec.Fma(x, w0, d0);
                    d1 = TVec.Fma(x, w1, d1);
                    d2 = TVec.Fma(x, w2, d2);
                }
                ref float o = ref Unsafe.Add(ref o0, b * currentStride);
                StoreTriple(ref o, j, count, a0, a1, a2);
                StoreTriple(ref Unsafe.Add(ref o, currentStride), j, count, b0, b1, b2);
                StoreTriple(ref Unsafe.Add(ref o, 2 * currentStride), j, count, c0, c1, c2);
                StoreTriple(ref Unsafe.Add(ref o, 3 * currentStride), j, count, d0, d1, d2);
            }
            for (; b < batch; b++)
                SampleColumns<TVec>(ref Unsafe.Add(ref x0, b * inputStride), ref w, ref Unsafe.Add(ref o0, b * currentStride), j, 3, rows, stride);
        }
        for (; j + 2 * count <= stride; j += 2 * count)
        {
            int b = 0;
            // Four samples at a time: eight independent FMA chains hide the FMA latency, and each weight vector loaded
            // serves four samples.
            for (; b + 4 <= batch; b += 4)
            {
                ref float xa = ref Unsafe.Add(ref x0, b * inputStride);
                ref float xb = ref Unsafe.Add(ref xa, inputStride);
                ref float xc = ref Unsafe.Add(ref xb, inputStride);
                ref float xd = ref Unsafe.Add(ref xc, inputStride);
                TVec a0 = TVec.Zero, a1 = TVec.Zero, b0 = TVec.Zero, b1 = TVec.Zero;
                TVec c0 = TVec.Zero, c1 = TVec.Zero, d0 = TVec.Zero, d1 = TVec.Zero;
                nuint row = j;
                for (nuint i = 0; i < rows; i++, row += stride)
                {
                    TVec w0 = TVec.Load(ref w, row), w1 = TVec.Load(ref w, row + count);
                    TVec x = TVec.Broadcast(Unsafe.Add(ref xa, i));
                    a0 = TVec.Fma(x, w0, a0);
                    a1 = TVec.Fma(x, w1, a1);
                    x = TVec.Broadcast(Unsafe.Add(ref xb, i));
                    b0 = TVec.Fma(x, w0, b0);
                    b1 = TVec.Fma(x, w1, b1);
                    x = TVec.Broadcast(Unsafe.Add(ref xc, i));
                    c0 = TVec.Fma(x, w0, c0);
                    c1 = TVec.Fma(x, w1, c1);
                    x = TVec.Broadcast(Unsafe.Add(ref xd, i));
                    d0 = TVec.Fma(x, w0, d0);
                    d1 = TVec.Fma(x, w1, d1);
                }
                ref float o = ref Unsafe.Add(ref o0, b * currentStride);
                StorePair(ref o, j, count, a0, a1);
                StorePair(ref Unsafe.Add(ref o, currentStride), j, count, b0, b1);
                StorePair(ref Unsafe.Add(ref o, 2 * currentStride), j, count, c0, c1);
                StorePair(ref Unsafe.Add(ref o, 3 * currentStride), j, count, d0, d1);
            }
            for (; b < batch; b++)
                SampleColumns<TVec>(ref Unsafe.Add(ref x0, b * inputStride), ref w, ref Unsafe.Add(ref o0, b * currentStride), j, 2, rows, stride);
        }
        return (int)j;
    }

    /// <summary>
    /// The samples left over by the four-sample tiles: <paramref name="vectors"/> column vectors from column j of one
    /// sample, a vector at a time (each output still sums its rows in ascending order with FMA).
    /// </summary>
    private static void SampleColumns<TVec>(ref float x, ref float w, ref float output, nuint j, int vectors, nuint rows, nuint stride)
        where TVec : struct, IFloatVector<TVec>
    {
        for (nuint column = j, end = j + (nuint)(vectors * TVec.Count); column < end; column += (nuint)TVec.Count)
        {
            TVec sum = TVec.Zero;
            nuint row = column;
            for (nuint i = 0; i < rows; i++, row += stride)
                sum = TVec.Fma(TVec.Broadcast(Unsafe.Add(ref x, i)), TVec.Load(ref w, row), sum);
            TVec.Store(sum, ref output, column);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTriple<TVec>(ref float output, nuint j, nuint count, TVec a0, TVec a1, TVec a2)
        where TVec : struct, IFloatVector<TVec>
    {
        StorePair(ref output, j, count, a0, a1);
        TVec.Store(a2, ref output, j + 2 * count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair<TVec>(ref float output, nuint j, nuint count, TVec a0, TVec a1)
        where TVec : struct, IFloatVector<TVec>
    {
        TVec.Store(a0, ref output, j);
        TVec.Store(a1, ref output, j + count);
    }

    /// <summary>Plain scalar twin of <see cref="Dense"/> (same bits; tests and bench baseline).</summary>
    public static void DenseScalar(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, LayerShape shape, float scale,
        Span<float> current)
    {
        Check(input, weights, shape, current);
        DenseColumnsScalar(input, weights, shape, scale, current, 0);
    }

    /// <summary>
    /// Ternary spikes (-1, 0, +1) as signed row additions: silent neurons cost one comparison, found a vector of
    /// spikes at a time. Any positive spike value adds its row and any negative one subtracts it, so magnitudes
    /// other than 1 are ignored. Rows are added in ascending order, then the sum is scaled once.
    /// </summary>
    /// <param name="spikes">Presynaptic spikes, at least <see cref="LayerShape.Rows"/> values.</param>
    /// <param name="weights">Stored weights in <paramref name="shape"/>'s layout.</param>
    /// <param name="shape">Layout of <paramref name="weights"/>.</param>
    /// <param name="scale">Stored-to-effective weight multiplier.</param>
    /// <param name="current">Receives <see cref="LayerShape.Stride"/> currents (overwritten).</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="shape"/>.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static void Spikes(ReadOnlySpan<float> spikes, ReadOnlySpan<float> weights, LayerShape shape, float scale,
        Span<float> current, SimdWidth width = SimdWidth.Auto)
    {
        Check(spikes, weights, shape, current);
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512: SpikesCore<Vec512>(spikes, weights, shape, scale, current); break;
            case SimdWidth.Vector256: SpikesCore<Vec256>(spikes, weights, shape, scale, current); break;
            case SimdWidth.Vector128: SpikesCore<Vec128>(spikes, weights, shape, scale, current); break;
            default: SpikesScalar(spikes, weights, shape, scale, current); break;
        }
    }

    private static void SpikesCore<TVec>(ReadOnlySpan<float> spikes, ReadOnlySpan<float> weights, LayerShape shape,
        float scale, Span<float> current) where TVec : struct, IFloatVector<TVec>
    {
        Span<float> output = current[..shape.Stride];
        output.Clear();
        ref float s = ref MemoryMarshal.GetReference(spikes);
        int rows = shape.Rows, i = 0;
        for (; i + TVec.Count <= rows; i += TVec.Count)
        {
            uint active = TVec.NonZeroMask(TVec.Load(ref s, (nuint)i));
            while (active != 0)
            {
                int r = i + System.Numerics.BitOperations.TrailingZeroCount(active);
                active &= active - 1;
                AddRow<TVec>(output, weights, shape, r, Unsafe.Add(ref s, r) > 0f);
            }
        }
        for (; i < rows; i++)
            if (spikes[i] != 0f) AddRow<TVec>(output, weights, shape, i, spikes[i] > 0f);
        ScaleInPlace<TVec>(output, scale);
    }

    private static void AddRow<TVec>(Span<float> output, ReadOnlySpan<float> weights, LayerShape shape, int row, bool positive)
        where TVec : struct, IFloatVector<TVec>
    {
        ref float o = ref MemoryMarshal.GetReference(output);
        ref float w = ref Unsafe.Add(ref MemoryMarshal.GetReference(weights), row * shape.Stride);
        nuint columns = (nuint)output.Length, j = 0;
        if (positive)
        {
            AddVectors<TVec>(ref o, ref w, columns, ref j);
            if (TVec.Count > Vec256.Count) AddVectors<Vec256>(ref o, ref w, columns, ref j);
            if (TVec.Count > Vec128.Count) AddVectors<Vec128>(ref o, ref w, columns, ref j);
            for (; j < columns; j++) Unsafe.Add(ref o, j) += Unsafe.Add(ref w, j);
        }
        else
        {
            SubtractVectors<TVec>(ref o, ref w, columns, ref j);
            if (TVec.Count > Vec256.Count) SubtractVectors<Vec256>(ref o, ref w, columns, ref j);
            if (TVec.Count > Vec128.Count) SubtractVectors<Vec128>(ref o, ref w, columns, ref j);
            for (; j < columns; j++) Unsafe.Add(ref o, j) -= Unsafe.Add(ref w, j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddVectors<TVec>(ref float o, ref float w, nuint columns, ref nuint j) where TVec : struct, IFloatVector<TVec>
    {
        for (; j + (nuint)TVec.Count <= columns; j += (nuint)TVec.Count)
            TVec.Store(TVec.Add(TVec.Load(ref o, j), TVec.Load(ref w, j)), ref o, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubtractVectors<TVec>(ref float o, ref float w, nuint columns, ref nuint j) where TVec : struct, IFloatVector<TVec>
    {
        for (; j + (nuint)TVec.Count <= columns; j += (nuint)TVec.Count)
            TVec.Store(TVec.Subtract(TVec.Load(ref o, j), TVec.Load(ref w, j)), ref o, j);
    }

    private static void ScaleInPlace<TVec>(Span<float> values, float scale) where TVec : struct, IFloatVector<TVec>
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        nuint n = (nuint)values.Length, j = 0;
        ScaleVectors<TVec>(ref v, n, scale, ref j);
        if (TVec.Count > Vec256.Count) ScaleVectors<Vec256>(ref v, n, scale, ref j);
        if (TVec.Count > Vec128.Count) ScaleVectors<Vec128>(ref v, n, scale, ref j);
        for (; j < n; j++) Unsafe.Add(ref v, j) *= scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleVectors<TVec>(ref float v, nuint n, float scale, ref nuint j) where TVec : struct, IFloatVector<TVec>
    {
        TVec scaleV = TVec.Broadcast(scale);
        for (; j + (nuint)TVec.Count <= n; j += (nuint)TVec.Count)
            TVec.Store(TVec.Multiply(TVec.Load(ref v, j), scaleV), ref v, j);
    }

    /// <summary>Plain scalar twin of <see cref="Spikes"/> (same bits; tests and bench baseline).</summary>
    public static void SpikesScalar(ReadOnlySpan<float> spikes, ReadOnlySpan<float> weights, LayerShape shape, float scale,
        Span<float> current)
    {
        Check(spikes, weights, shape, current);
        for (int j = 0; j < shape.Stride; j++) current[j] = 0f;
        for (int i = 0; i < shape.Rows; i++)
        {
            if (spikes[i] == 0f) continue;
            for (int j = 0; j < shape.Stride; j++)
            {
                if (spikes[i] > 0f) current[j] += weights[i * shape.Stride + j];
                else current[j] -= weights[i * shape.Stride + j];
            }
        }
        for (int j = 0; j < shape.Stride; j++) current[j] *= scale;
    }

    private static void Check(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, LayerShape shape, Span<float> current)
    {
        if (input.Length < shape.Rows)
            throw new ArgumentException($"Presynaptic span has {input.Length} values; the layer has {shape.Rows} rows.", nameof(input));
        if (current.Length < shape.Stride)
            throw new ArgumentException($"Current span has {current.Length} values; the layer stores {shape.Stride} columns per row.", nameof(current));
        shape.Validate(weights.Length);
    }
}
