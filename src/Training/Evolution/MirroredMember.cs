using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// Writes members <c>centre +- noise (.) sigma</c> into the population: <c>delta = noise sigma</c> rounded to float, then one
/// add or subtract, element-wise IEEE operations without FMA, so every vector width gives the scalar loop's bits.
/// </summary>
/// <remarks>
/// The population (the copy task's: 55 MB) is far larger than the caches and is next read member by member during the
/// evaluation, so the vector stores bypass the caches (non-temporal): a line is no longer read from memory before it is
/// overwritten. Call <see cref="Publish"/> before other threads read the rows.
/// </remarks>
internal static class MirroredMember
{
    public static unsafe void Write(ReadOnlySpan<float> center, ReadOnlySpan<float> noise, ReadOnlySpan<float> stdev, Span<float> member, bool subtract)
    {
        int n = member.Length, i = 0;
        fixed (float* c = center, e = noise, s = stdev, m = member)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (int head = Unaligned(m, n, 64); i < head; i++) m[i] = Scalar(c[i], e[i], s[i], subtract);
                for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
                {
                    var delta = Vector512.Load(e + i) * Vector512.Load(s + i);
                    var value = subtract ? Vector512.Load(c + i) - delta : Vector512.Load(c + i) + delta;
                    value.StoreAlignedNonTemporal(m + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (int head = Unaligned(m, n, 32); i < head; i++) m[i] = Scalar(c[i], e[i], s[i], subtract);
                for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
                {
                    var delta = Vector256.Load(e + i) * Vector256.Load(s + i);
                    var value = subtract ? Vector256.Load(c + i) - delta : Vector256.Load(c + i) + delta;
                    value.StoreAlignedNonTemporal(m + i);
                }
            }
            for (; i < n; i++) m[i] = Scalar(c[i], e[i], s[i], subtract);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> (same length) with cache-bypassing vector stores:
    /// the noise cache (27 MB for the copy task) is written in ask and read back only in tell.
    /// </summary>
    public static unsafe void CopyStreaming(ReadOnlySpan<float> source, Span<float> destination)
    {
        int n = destination.Length, i = 0;
        fixed (float* from = source, to = destination)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (int head = Unaligned(to, n, 64); i < head; i++) to[i] = from[i];
                for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count) Vector512.Load(from + i).StoreAlignedNonTemporal(to + i);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (int head = Unaligned(to, n, 32); i < head; i++) to[i] = from[i];
                for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count) Vector256.Load(from + i).StoreAlignedNonTemporal(to + i);
            }
            for (; i < n; i++) to[i] = from[i];
        }
    }

    /// <summary>Makes the non-temporal stores of this thread visible before the rows are handed to other threads.</summary>
    public static void Publish()
    {
        if (Sse.IsSupported) Sse.StoreFence();
    }

    /// <summary>How many of the <paramref name="n"/> floats at <paramref name="destination"/> precede the first address aligned to <paramref name="alignment"/> bytes (written scalar).</summary>
    private static unsafe int Unaligned(float* destination, int n, int alignment)
    {
        int head = (int)((uint)(alignment - (int)((nuint)destination & (nuint)(alignment - 1))) % (uint)alignment) / sizeof(float);
        return Math.Min(head, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scalar(float center, float noise, float stdev, bool subtract)
    {
        float delta = noise * stdev;
        return subtract ? center - delta : center + delta;
    }
}
