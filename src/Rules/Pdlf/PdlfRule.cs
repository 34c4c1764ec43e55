using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// One layer's plasticity step, fused with its normalisation (DESIGN.md sections 2 and 5):
/// <code>
/// W      &lt;- scale * W + dW,   dW[i,j] = eta (A x[i] (y[j] - C) + B y[j] + D)   (TTerms picks the terms)
/// return max |W|
/// </code>
/// <c>scale</c> is the previous step's <c>1 / max|W|</c>: the caller stores W unnormalised and multiplies by the new
/// scale on use, so each synapse's W and coefficients are read once and W written once per step, with the max
/// tracked in the same pass. Rows are presynaptic (x broadcast), columns postsynaptic (y loaded as a vector).
/// Every stored column is updated, padding included: its coefficients are zero, so it stays zero while the
/// loop runs without a tail (<paramref name="post"/> must therefore cover the stride, with finite padding).
/// </summary>
public static class PdlfRule
{
    public static float Apply<TTerms>(Span<float> weights, PdlfLayerCoefficients coefficients, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> post, float scale, SimdWidth width = SimdWidth.Auto) where TTerms : struct, IPdlfTerms
    {
        var shape = coefficients.Shape;
        Check(weights, shape, pre, post);
        return Vectorisation.Resolve(width) switch
        {
            SimdWidth.Vector512 => ApplyCore<TTerms, Vec512>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector256 => ApplyCore<TTerms, Vec256>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector128 => ApplyCore<TTerms, Vec128>(weights, coefficients, pre, post, scale),
            _ => ApplyScalar<TTerms>(weights, coefficients, pre, post, scale),
        };
    }

    private static float ApplyCore<TTerms, TVec>(Span<float> weights, PdlfLayerCoefficients coefficients,
        ReadOnlySpan<float> pre, ReadOnlySpan<float> post, float scale)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec>
    {
        var shape = coefficients.Shape;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float etaA = ref MemoryMarshal.GetReference(coefficients.EtaA);
        ref float negEtaAC = ref MemoryMarshal.GetReference(coefficients.NegEtaAC);
        ref float etaB = ref MemoryMarshal.GetReference(coefficients.EtaB);
        ref float etaD = ref MemoryMarshal.GetReference(coefficients.EtaD);
        ref float y = ref MemoryMarshal.GetReference(post);
        TVec scaleV = TVec.Broadcast(scale);
        TVec maxV = TVec.Zero;
        float maxTail = 0f;
        nuint columns = (nuint)shape.Stride, stride = (nuint)shape.Stride, count = (nuint)TVec.Count;
        nuint vectorColumns = columns - columns % count;
        nuint rowStart = 0;
        for (int i = 0; i < shape.Rows; i++, rowStart += stride)
        {
            float xi = pre[i];
            TVec x = TVec.Broadcast(xi);
            for (nuint j = 0; j < vectorColumns; j += count)
            {
                nuint s = rowStart + j;
                TVec yj = TVec.Load(ref y, j);
                TVec delta = TTerms.Delta(x, yj,
                    TTerms.UsesA ? TVec.Load(ref etaA, s) : TVec.Zero,
                    TTerms.UsesA ? TVec.Load(ref negEtaAC, s) : TVec.Zero,
                    TTerms.UsesB ? TVec.Load(ref etaB, s) : TVec.Zero,
                    TVec.Load(ref etaD, s));
                TVec updated = TVec.Fma(TVec.Load(ref w, s), scaleV, delta);
                TVec.Store(updated, ref w, s);
                maxV = TVec.Max(maxV, TVec.Abs(updated));
            }
            // Scalar tail, identical in operations to the vector body; only for unpadded layouts.
            for (nuint j = vectorColumns; j < columns; j++)
            {
                nuint s = rowStart + j;
                float delta = TTerms.Delta(xi, Unsafe.Add(ref y, j), Unsafe.Add(ref etaA, s), Unsafe.Add(ref negEtaAC, s),
                    Unsafe.Add(ref etaB, s), Unsafe.Add(ref etaD, s));
                float updated = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, s), scale, delta);
                Unsafe.Add(ref w, s) = updated;
                maxTail = MathF.Max(maxTail, MathF.Abs(updated));
            }
        }
        return MathF.Max(TVec.MaxAcross(maxV), maxTail);
    }

    /// <summary>Plain scalar twin of <see cref="Apply{TTerms}"/>, kept for tests and as the bench baseline.</summary>
    public static float ApplyScalar<TTerms>(Span<float> weights, PdlfLayerCoefficients coefficients, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> post, float scale) where TTerms : struct, IPdlfTerms
    {
        var shape = coefficients.Shape;
        Check(weights, shape, pre, post);
        ReadOnlySpan<float> etaA = coefficients.EtaA, negEtaAC = coefficients.NegEtaAC, etaB = coefficients.EtaB, etaD = coefficients.EtaD;
        float max = 0f;
        for (int i = 0; i < shape.Rows; i++)
        {
            for (int j = 0; j < shape.Stride; j++)
            {
                int s = shape.Index(i, j);
                float delta = TTerms.Delta(pre[i], post[j], etaA[s], negEtaAC[s], etaB[s], etaD[s]);
                float updated = MathF.FusedMultiplyAdd(weights[s], scale, delta);
                weights[s] = updated;
                max = MathF.Max(max, MathF.Abs(updated));
            }
        }
        return max;
    }

    /// <summary>The multiplier that normalises a layer whose largest stored |W| is <paramref name="maxAbs"/>.</summary>
    /// <remarks>
    /// max == 0 means W is all zero: leave it as is (the reference would divide by zero there). A subnormal max is
    /// treated the same way: its reciprocal overflows float, and such a layer is zero for every practical purpose.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalisingScale(float maxAbs) => maxAbs >= SmallestNormalisableMax ? 1f / maxAbs : 1f;

    /// <summary>float's smallest normal value; below it 1/max may overflow.</summary>
    public const float SmallestNormalisableMax = 1.17549435E-38f;

    private static void Check(Span<float> weights, LayerShape shape, ReadOnlySpan<float> pre, ReadOnlySpan<float> post)
    {
        shape.Validate(weights.Length);
        if (pre.Length < shape.Rows)
            throw new ArgumentException($"Presynaptic span has {pre.Length} values; the layer has {shape.Rows} rows.", nameof(pre));
        if (post.Length < shape.Stride)
            throw new ArgumentException($"Postsynaptic span has {post.Length} values; the layer stores {shape.Stride} columns per row.", nameof(post));
    }
}
