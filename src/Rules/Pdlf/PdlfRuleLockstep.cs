using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

public static partial class PdlfRule
{
    /// <summary>
    /// Coefficient bytes of one row block in the lock-step pass: 16 KB, half of a 32 KB L1 data cache, so a block's
    /// coefficients read for the first episode are still in L1 for the others (with each episode's weight rows beside them).
    /// </summary>
    private const int LockstepBlockBytes = 16 * 1024;

    /// <summary>Bytes of folded coefficients per stored synapse (etaA, negEtaAC, etaB, etaD).</summary>
    private const int CoefficientBytesPerSynapse = 4 * sizeof(float);

    /// <summary>
    /// One layer's plasticity step for K episodes of one individual (the same <paramref name="coefficients"/>), each
    /// state's weights updated exactly as <see cref="Apply{TTerms}"/> would and its scale set to the new normalising
    /// scale. The layer is walked in blocks of rows whose coefficients fit in L1: each block's coefficients are read
    /// from memory once and reused from L1 for every episode, instead of once per episode. Per synapse the operations
    /// are those of <see cref="Apply{TTerms}"/>, in the same order, so every episode's bits equal a separate step's.
    /// Shapes with their own single-episode path (one column; 8 columns under AVX-512) and the scalar width run the
    /// episodes one after another. Allocates nothing.
    /// </summary>
    /// <param name="states">The K episodes; all built for the coefficients' network (checked by the caller).</param>
    /// <param name="outputLayer">false: layer 1 (pre = input, post = trace); true: layer 2 (pre = trace, post = output).</param>
    /// <param name="coefficients">The layer's folded rule.</param>
    /// <param name="width">Vector width.</param>
    internal static void ApplyLockstep<TTerms>(ReadOnlySpan<NetworkState> states, bool outputLayer,
        PdlfLayerCoefficients coefficients, SimdWidth width) where TTerms : struct, IPdlfTerms
    {
        var resolved = Vectorisation.Resolve(width);
        int stride = coefficients.Shape.Stride;
        bool packed = coefficients.Precision == CoefficientPrecision.BFloat16;
        switch (resolved)
        {
            case SimdWidth.Vector512 when stride != 1 && stride != Vec256.Count:
                if (packed) ApplyLockstepCore<TTerms, Vec512, PackedPairs>(states, outputLayer, coefficients);
                else ApplyLockstepCore<TTerms, Vec512, SingleArrays>(states, outputLayer, coefficients);
                return;
            case SimdWidth.Vector256 when stride != 1:
                if (packed) ApplyLockstepCore<TTerms, Vec256, PackedPairs>(states, outputLayer, coefficients);
                else ApplyLockstepCore<TTerms, Vec256, SingleArrays>(states, outputLayer, coefficients);
                return;
            case SimdWidth.Vector128 when stride != 1:
                if (packed) ApplyLockstepCore<TTerms, Vec128, PackedPairs>(states, outputLayer, coefficients);
                else ApplyLockstepCore<TTerms, Vec128, SingleArrays>(states, outputLayer, coefficients);
                return;
        }
        foreach (var state in states)
        {
            float scale = LayerOf(state, outputLayer, out var weights, out var pre, out var post);
            SetScale(state, outputLayer, NormalisingScale(Apply<TTerms>(weights, coefficients, pre, post, scale, resolved)));
        }
    }

    private static void ApplyLockstepCore<TTerms, TVec, TLayout>(ReadOnlySpan<NetworkState> states, bool outputLayer,
        PdlfLayerCoefficients coefficients) where TTerms : struct, IPdlfTerms where TVec : unmanaged, IFloatVector<TVec>
        where TLayout : struct, ICoefficientLayout
    {
        var shape = coefficients.Shape;
        Span<RowMaxima<TVec>> maxima = stackalloc RowMaxima<TVec>[states.Length];
        maxima.Clear();
        nuint columns = (nuint)shape.Stride;
        int rowsPerBlock = Math.Max(1, LockstepBlockBytes / (shape.Stride * CoefficientBytesPerSynapse));
        for (int first = 0; first < shape.Rows; first += rowsPerBlock)
        {
            int end = Math.Min(shape.Rows, first + rowsPerBlock);
            int e = 0;
            // Pairs of episodes share each coefficient load (single precision: the packed pass has half the loads already).
            // Groups of four were measured too (AOT v4): slower than pairs, ant_dir K = 4 3.1 against 3.45e9, with
            // twelve live row references for the general registers.
            for (; !TLayout.Packed && e + 1 < states.Length; e += 2)
            {
                float scale0 = LayerOf(states[e], outputLayer, out var weights0, out var pre0, out var post0);
                float scale1 = LayerOf(states[e + 1], outputLayer, out var weights1, out var pre1, out var post1);
                var c0 = new Operands(weights0, coefficients, pre0, post0);
                var c1 = new Operands(weights1, coefficients, pre1, post1);
                var (m0, m1) = (maxima[e], maxima[e + 1]);
                nuint rowStart = (nuint)first * columns;
                for (int i = first; i < end; i++, rowStart += columns)
                    (m0, m1) = UpdateRowPair<TTerms, TVec>(c0, c1, rowStart, columns, pre0[i], pre1[i], scale0, scale1, m0, m1);
                (maxima[e], maxima[e + 1]) = (m0, m1);
            }
            for (; e < states.Length; e++)
            {
                float scale = LayerOf(states[e], outputLayer, out var weights, out var pre, out var post);
                var c = new Operands(weights, coefficients, pre, post);
                var m = maxima[e]; // a local, so the accumulators stay in registers across the block
                nuint rowStart = (nuint)first * columns;
                for (int i = first; i < end; i++, rowStart += columns)
                    m = UpdateRow<TTerms, TVec, TLayout>(c, rowStart, columns, pre[i], scale, m);
                maxima[e] = m;
            }
        }
        // Scales change only after every block: each block above must see the previous step's scale.
        for (int e = 0; e < states.Length; e++)
            SetScale(states[e], outputLayer, NormalisingScale(maxima[e].Max));
    }

    /// <summary>The layer's stored weights, presynaptic and postsynaptic activity in <paramref name="state"/>; returns its scale.</summary>
    private static float LayerOf(NetworkState state, bool outputLayer, out Span<float> weights, out ReadOnlySpan<float> pre,
        out ReadOnlySpan<float> post)
    {
        if (outputLayer)
        {
            weights = state.OutputWeights;
            pre = state.Trace;
            post = state.Output;
            return state.OutputScale;
        }
        weights = state.InputWeights;
        pre = state.Input;
        post = state.Trace;
        return state.InputScale;
    }

    private static void SetScale(NetworkState state, bool outputLayer, float scale)
    {
        if (outputLayer) state.OutputScale = scale;
        else state.InputScale = scale;
    }
}
