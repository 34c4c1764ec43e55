using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PdlfFast.Kernel.Simd;

/// <summary>
/// A dot product whose rounding does not depend on the vector width (docs/design.md, "Vector paths and
/// determinism"). <c>TensorPrimitives.Dot</c> sums in an order set by the width it runs, so the same inputs give
/// different last bits under AVX-512, AVX2 and SSE; a value that feeds a fitness, a gradient or an ES update must not.
/// Here element i always goes to partial sum <c>i mod 16</c> (one fused multiply-add each, in index order) and the 16
/// partials are added in a fixed pairwise tree: AVX-512 keeps them in one register, AVX2 in two, SSE in four, the
/// scalar twin in sixteen floats, and all four give the same bits. Allocates nothing.
/// </summary>
public static class FixedOrderDot
{
    /// <summary>Partial sums of the canonical order (the widest register's lane count).</summary>
    public const int Lanes = 16;

    /// <summary><c>sum_i a[i] b[i]</c> over <paramref name="a"/>'s length, in the fixed order.</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, at least as long as <paramref name="a"/>.</param>
    /// <param name="width">Vector path; changes only the speed.</param>
    /// <exception cref="ArgumentException"><paramref name="b"/> is shorter than <paramref name="a"/>.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, SimdWidth width = SimdWidth.Auto)
    {
        if (b.Length < a.Length) throw new ArgumentException($"b has {b.Length} values, a {a.Length}.", nameof(b));
        int n = a.Length;
        Span<float> partial = stackalloc float[Lanes];
        ref float x = ref MemoryMarshal.GetReference(a), y = ref MemoryMarshal.GetReference(b);
        nuint whole = (nuint)(n - n % Lanes);
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512: Blocks<Vec512>(ref x, ref y, whole, partial); break;
            case SimdWidth.Vector256: Blocks<Vec256>(ref x, ref y, whole, partial); break;
            case SimdWidth.Vector128: Blocks<Vec128>(ref x, ref y, whole, partial); break;
            default: BlocksScalar(ref x, ref y, whole, partial); break;
        }
        for (int i = (int)whole; i < n; i++) partial[i - (int)whole] = MathF.FusedMultiplyAdd(a[i], b[i], partial[i - (int)whole]);
        return Reduce(partial);
    }

    /// <summary>Scalar twin of <see cref="Dot"/>: the canonical order written out element by element.</summary>
    public static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (b.Length < a.Length) throw new ArgumentException($"b has {b.Length} values, a {a.Length}.", nameof(b));
        Span<float> partial = stackalloc float[Lanes];
        partial.Clear();
        for (int i = 0; i < a.Length; i++) partial[i % Lanes] = MathF.FusedMultiplyAdd(a[i], b[i], partial[i % Lanes]);
        return Reduce(partial);
    }

    // Lanes / TVec.Count registers hold the 16 partials; register r, lane l is partial r * Count + l.
    private static void Blocks<TVec>(ref float x, ref float y, nuint whole, Span<float> partial) where TVec : struct, IFloatVector<TVec>
    {
        nuint count = (nuint)TVec.Count;
        TVec s0 = TVec.Zero, s1 = TVec.Zero, s2 = TVec.Zero, s3 = TVec.Zero;
        int registers = Lanes / TVec.Count;
        for (nuint i = 0; i < whole; i += Lanes)
        {
            s0 = TVec.Fma(TVec.Load(ref x, i), TVec.Load(ref y, i), s0);
            if (registers > 1) s1 = TVec.Fma(TVec.Load(ref x, i + count), TVec.Load(ref y, i + count), s1);
            if (registers > 2)
            {
                s2 = TVec.Fma(TVec.Load(ref x, i + 2 * count), TVec.Load(ref y, i + 2 * count), s2);
                s3 = TVec.Fma(TVec.Load(ref x, i + 3 * count), TVec.Load(ref y, i + 3 * count), s3);
            }
        }
        ref float p = ref MemoryMarshal.GetReference(partial);
        TVec.Store(s0, ref p, 0);
        if (registers > 1) TVec.Store(s1, ref p, count);
        if (registers > 2)
        {
            TVec.Store(s2, ref p, 2 * count);
            TVec.Store(s3, ref p, 3 * count);
        }
    }

    private static void BlocksScalar(ref float x, ref float y, nuint whole, Span<float> partial)
    {
        partial.Clear();
        for (nuint i = 0; i < whole; i++)
        {
            int lane = (int)(i % Lanes);
            partial[lane] = MathF.FusedMultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i), partial[lane]);
        }
    }

    /// <summary>The fixed tree: halves added lane by lane (16 -> 8 -> 4 -> 2 -> 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Span<float> p)
    {
        for (int half = Lanes / 2; half >= 1; half /= 2)
            for (int k = 0; k < half; k++) p[k] += p[k + half];
        return p[0];
    }
}
