using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PdlfFast.Kernel.Simd;

/// <summary>
/// exp, sigmoid and tanh whose every lane is computed by the same sequence of IEEE operations (add, multiply, divide,
/// fused multiply-add, round to even, exponent bits) on every vector width and in the scalar twin, so results are the
/// same bits on AVX-512, AVX2, SSE and without intrinsics (docs/design.md, "Vector paths and determinism").
/// <c>TensorPrimitives.Exp/Sigmoid/Tanh</c> and <c>MathF</c> give no such promise: each may differ from the others by
/// an ulp or two. Accuracy: exp within 2 ulp of the exact value on [-87, 88] (Cody-Waite reduction and a degree-5
/// polynomial, the Cephes expf scheme); tanh within 3e-7 absolute. Inputs are clamped to exp's range, so large
/// arguments saturate (sigmoid to 1 or below 1e-38, tanh to +-1) instead of overflowing; NaN in gives an unspecified value.
/// </summary>
public static class StableMath
{
    // Cephes expf: x = n ln2 + r with ln2 split in two so n * Ln2High is exact; exp(r) ~ 1 + r + r^2 P(r).
    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float ExpMax = 88.3762626647949f, ExpMin = -87.3365447504019f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    // Cephes tanhf: below |x| = 0.625, x + x^3 Q(x^2) (1 - 2 / (e^2x + 1) would lose the small values to cancellation).
    private const float TanhSmall = 0.625f;
    private const float Q0 = -5.70498872745e-3f, Q1 = 2.06390887954e-2f, Q2 = -5.37397155531e-2f, Q3 = 1.33314422036e-1f,
        Q4 = -3.33332819422e-1f;

    /// <summary>e^x, the same bits on every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpScalar(float x)
    {
        x = MathF.Min(MathF.Max(x, ExpMin), ExpMax);
        float n = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2High, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Low, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        return y * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary><c>1 / (1 + e^-x)</c>, the same bits on every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidScalar(float x) => 1f / (1f + ExpScalar(-x));

    /// <summary>tanh x, the same bits on every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TanhScalar(float x)
    {
        float a = MathF.Abs(x);
        if (a < TanhSmall)
        {
            float z = x * x;
            float q = MathF.FusedMultiplyAdd(Q0, z, Q1);
            q = MathF.FusedMultiplyAdd(q, z, Q2);
            q = MathF.FusedMultiplyAdd(q, z, Q3);
            q = MathF.FusedMultiplyAdd(q, z, Q4);
            return MathF.FusedMultiplyAdd(q * z, x, x);
        }
        float large = 1f - 2f / (ExpScalar(a + a) + 1f);
        return MathF.CopySign(large, x);
    }

    /// <summary>e^x lane by lane: the same bits as <see cref="ExpScalar"/> in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Exp<TVec>(TVec x) where TVec : struct, IFloatVector<TVec>
    {
        x = TVec.Min(TVec.Max(x, TVec.Broadcast(ExpMin)), TVec.Broadcast(ExpMax));
        var n = TVec.Round(TVec.Multiply(x, TVec.Broadcast(Log2E)));
        var r = TVec.Fma(n, TVec.Broadcast(-Ln2High), x);
        r = TVec.Fma(n, TVec.Broadcast(-Ln2Low), r);
        var p = TVec.Fma(TVec.Broadcast(P0), r, TVec.Broadcast(P1));
        p = TVec.Fma(p, r, TVec.Broadcast(P2));
        p = TVec.Fma(p, r, TVec.Broadcast(P3));
        p = TVec.Fma(p, r, TVec.Broadcast(P4));
        p = TVec.Fma(p, r, TVec.Broadcast(P5));
        var y = TVec.Add(TVec.Fma(p, TVec.Multiply(r, r), r), TVec.Broadcast(1f));
        return TVec.Multiply(y, TVec.TwoToThe(n));
    }

    /// <summary>Sigmoid lane by lane, as <see cref="SigmoidScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Sigmoid<TVec>(TVec x) where TVec : struct, IFloatVector<TVec>
    {
        var one = TVec.Broadcast(1f);
        return TVec.Divide(one, TVec.Add(one, Exp(TVec.Subtract(TVec.Zero, x))));
    }

    /// <summary>tanh lane by lane, as <see cref="TanhScalar"/>: both branches computed, the small one selected by mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Tanh<TVec>(TVec x) where TVec : struct, IFloatVector<TVec>
    {
        var sign = TVec.Broadcast(-0f);
        var a = TVec.Abs(x);
        var z = TVec.Multiply(x, x);
        var q = TVec.Fma(TVec.Broadcast(Q0), z, TVec.Broadcast(Q1));
        q = TVec.Fma(q, z, TVec.Broadcast(Q2));
        q = TVec.Fma(q, z, TVec.Broadcast(Q3));
        q = TVec.Fma(q, z, TVec.Broadcast(Q4));
        var small = TVec.Fma(TVec.Multiply(q, z), x, x);
        var one = TVec.Broadcast(1f);
        var large = TVec.Subtract(one, TVec.Divide(TVec.Broadcast(2f), TVec.Add(Exp(TVec.Add(a, a)), one)));
        large = TVec.Or(large, TVec.And(x, sign)); // large >= 0, so OR-ing x's sign bit is CopySign
        var isSmall = TVec.LessThan(a, TVec.Broadcast(TanhSmall));
        return TVec.Or(TVec.And(small, isSmall), TVec.AndNot(large, isSmall));
    }

    /// <summary>Writes e^x of every element of <paramref name="x"/> to <paramref name="result"/> (may be the same span).</summary>
    /// <exception cref="ArgumentException"><paramref name="result"/> is shorter than <paramref name="x"/>.</exception>
    public static void Exp(ReadOnlySpan<float> x, Span<float> result, SimdWidth width = SimdWidth.Auto) => Apply<ExpOp>(x, result, width);

    /// <summary>Writes sigmoid of every element of <paramref name="x"/> to <paramref name="result"/> (may be the same span).</summary>
    /// <exception cref="ArgumentException"><paramref name="result"/> is shorter than <paramref name="x"/>.</exception>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> result, SimdWidth width = SimdWidth.Auto) => Apply<SigmoidOp>(x, result, width);

    /// <summary>Writes tanh of every element of <paramref name="x"/> to <paramref name="result"/> (may be the same span).</summary>
    /// <exception cref="ArgumentException"><paramref name="result"/> is shorter than <paramref name="x"/>.</exception>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> result, SimdWidth width = SimdWidth.Auto) => Apply<TanhOp>(x, result, width);

    private interface IUnary
    {
        static abstract float Scalar(float x);
        static abstract TVec Vector<TVec>(TVec x) where TVec : struct, IFloatVector<TVec>;
    }

    private readonly struct ExpOp : IUnary
    {
        public static float Scalar(float x) => ExpScalar(x);
        public static TVec Vector<TVec>(TVec x) where TVec : struct, IFloatVector<TVec> => Exp(x);
    }

    private readonly struct SigmoidOp : IUnary
    {
        public static float Scalar(float x) => SigmoidScalar(x);
        public static TVec Vector<TVec>(TVec x) where TVec : struct, IFloatVector<TVec> => Sigmoid(x);
    }

    private readonly struct TanhOp : IUnary
    {
        public static float Scalar(float x) => TanhScalar(x);
        public static TVec Vector<TVec>(TVec x) where TVec : struct, IFloatVector<TVec> => Tanh(x);
    }

    private static void Apply<TOp>(ReadOnlySpan<float> x, Span<float> result, SimdWidth width) where TOp : struct, IUnary
    {
        if (result.Length < x.Length) throw new ArgumentException($"result has {result.Length} values, x {x.Length}.", nameof(result));
        ref float source = ref MemoryMarshal.GetReference(x), destination = ref MemoryMarshal.GetReference(result);
        nuint done = Vectorisation.Resolve(width) switch
        {
            SimdWidth.Vector512 => Blocks<TOp, Vec512>(ref source, ref destination, (nuint)x.Length),
            SimdWidth.Vector256 => Blocks<TOp, Vec256>(ref source, ref destination, (nuint)x.Length),
            SimdWidth.Vector128 => Blocks<TOp, Vec128>(ref source, ref destination, (nuint)x.Length),
            _ => 0,
        };
        for (int i = (int)done; i < x.Length; i++) result[i] = TOp.Scalar(x[i]);
    }

    private static nuint Blocks<TOp, TVec>(ref float source, ref float destination, nuint length)
        where TOp : struct, IUnary where TVec : struct, IFloatVector<TVec>
    {
        nuint count = (nuint)TVec.Count, i = 0;
        for (; i + count <= length; i += count) TVec.Store(TOp.Vector(TVec.Load(ref source, i)), ref destination, i);
        return i;
    }
}
