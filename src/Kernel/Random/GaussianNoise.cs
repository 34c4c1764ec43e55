using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Random;

/// <summary>
/// Standard-normal values addressed by index, computed many at a time: Philox4x32-10 runs across vector lanes (one
/// block per lane) and single-precision Box-Muller turns each block's four words into four values. The values are a
/// pure function of (seed, stream, index) and bit-identical on every vector width, on the scalar path and under any
/// split of the index range (this is the evolution strategies' noise, stream version 2).
/// <para>
/// Layout: values come in groups of 64 from 16 consecutive blocks. Value <c>64 g + 16 k + l</c> is output k (0..3) of
/// block <c>16 g + l</c>; outputs 0 and 1 come from the block's words 0 and 1, outputs 2 and 3 from words 2 and 3. A
/// group is one AVX2 pass (two interleaved sets of 8 lanes) or two SSE passes; an AVX-512 pass computes two whole groups
/// (one 16-lane set each). Every pass stores whole vectors.
/// </para>
/// <para>
/// Why the results cannot depend on the width: every operation is lane-wise integer arithmetic or one IEEE-754 single
/// operation (add, subtract, multiply, square root, exact int-to-float conversion) in a fixed order, with no fused
/// multiply-add and no library transcendental. <c>ln</c> uses Cephes' logf polynomial after an exact exponent split;
/// sine and cosine use Cephes' polynomials on [-pi/4, pi/4] after an exact quadrant split of the 24-bit angle.
/// The radius draws on 24 bits, so |value| &lt;= sqrt(-2 ln 2^-24) = 5.77 (the double-precision stream 1 reached 8.6):
/// harmless for ES noise, where a 6-sigma step is already an outlier.
/// </para>
/// </summary>
public static class GaussianNoise
{
    /// <summary>Philox blocks per group (one per lane of a group's pass).</summary>
    public const int GroupBlocks = 16;
    /// <summary>Values per group: four per block. Ranges aligned to groups are computed without a partial group.</summary>
    public const int GroupValues = 4 * GroupBlocks;
    /// <summary>Values one stream holds (2^32 blocks of four).</summary>
    public const long StreamLength = 4L << 32;

    /// <summary>
    /// Writes values <paramref name="first"/> .. <paramref name="first"/> + length - 1 of stream (seed, id).
    /// Allocation-free; <paramref name="width"/> only changes the speed. <see cref="SimdWidth.Auto"/> runs the widest
    /// path the CPU has even without hardware FMA (this kernel uses none).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves [0, <see cref="StreamLength"/>).</exception>
    /// <exception cref="PlatformNotSupportedException">An explicit <paramref name="width"/> is not accelerated here.</exception>
    public static void Fill(ulong seed, StreamId id, long first, Span<float> destination, SimdWidth width = SimdWidth.Auto)
    {
        if (first < 0 || first > StreamLength - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(first), first, $"Values [{first}, {first + destination.Length}) lie outside the stream's [0, 2^34).");
        if (destination.IsEmpty) return;
        var key = RandomStream.Key(seed, id.Purpose);
        var counter = new Counter(id.Episode, id.Member, id.Generation, (uint)key, (uint)(key >> 32));
        // Auto: the widest path the CPU has. Not Vectorisation.Best, which falls back to scalar without hardware FMA:
        // this kernel uses no FMA, so SSE-only machines still run their vector path.
        var path = Path(width == SimdWidth.Auto ? SimdWidth.Vector512 : Vectorisation.Resolve(width));
        long end = first + destination.Length;
        Span<float> partial = stackalloc float[GroupValues];
        for (long group = first / GroupValues; group * GroupValues < end; group++)
        {
            long groupStart = group * GroupValues;
            if (path == Lanes.Avx512 && groupStart >= first && groupStart + 2 * GroupValues <= end)
            {
                PassWide512(counter, (uint)group * GroupBlocks, ref destination[(int)(groupStart - first)]);
                group++;
            }
            else if (groupStart >= first && groupStart + GroupValues <= end)
                Group(path, counter, (uint)group, ref destination[(int)(groupStart - first)]);
            else
            {
                Group(path, counter, (uint)group, ref MemoryMarshal.GetReference(partial));
                long from = Math.Max(first, groupStart), to = Math.Min(end, groupStart + GroupValues);
                partial[(int)(from - groupStart)..(int)(to - groupStart)].CopyTo(destination[(int)(from - first)..]);
            }
        }
    }

    /// <summary>
    /// Value <paramref name="index"/> of stream (seed, id), computed alone from <see cref="Philox4x32.Block"/> and the
    /// scalar Box-Muller: the reference twin that <see cref="Fill"/> matches bit for bit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="StreamLength"/>).</exception>
    public static float Value(ulong seed, StreamId id, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StreamLength);
        var key = RandomStream.Key(seed, id.Purpose);
        long group = index / GroupValues;
        int output = (int)(index % GroupValues) / GroupBlocks, lane = (int)(index % GroupBlocks);
        var (a, b, c, d) = Philox4x32.Block((uint)(group * GroupBlocks + lane), id.Episode, id.Member, id.Generation, (uint)key, (uint)(key >> 32));
        var (z0, z1) = output < 2 ? BoxMuller(a, b) : BoxMuller(c, d);
        return (output & 1) == 0 ? z0 : z1;
    }

    /// <summary>Box-Muller of two Philox words in single precision: the scalar twin of the vector code, operation for operation.</summary>
    internal static (float Z0, float Z1) BoxMuller(uint radiusWord, uint angleWord)
    {
        float u = (int)((radiusWord >> 8) + 1) * Unit24; // (0, 1]: the log is finite
        float r = MathF.Sqrt(-2f * LogUnitInterval(u));
        int k = (int)(angleWord >> 8);                   // angle = 2 pi k / 2^24
        int n = (k + (1 << 21)) >> 22;                   // nearest quarter turn, 0..4
        float y = (k - (n << 22)) * QuarterTurnPerStep;  // exact offset from it, |y| <= pi/4
        float z = y * y;
        float sin = (((SinC0 * z + SinC1) * z + SinC2) * z) * y + y;
        float cos = (((((CosC0 * z + CosC1) * z + CosC2) * z) * z) - 0.5f * z) + 1f;
        var (cosTheta, sinTheta) = (n & 3) switch
        {
            0 => (cos, sin),
            1 => (-sin, cos),
            2 => (-cos, -sin),
            _ => (sin, -cos),
        };
        return (r * cosTheta, r * sinTheta);
    }

    /// <summary>ln u for u in (0, 1] (Cephes logf: exponent split, then a degree-9 polynomial on [sqrt(1/2) - 1, sqrt(2) - 1)).</summary>
    internal static float LogUnitInterval(float u)
    {
        int bits = BitConverter.SingleToInt32Bits(u);
        int exponent = (bits >> 23) - 126;
        float m = BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F000000); // [0.5, 1)
        float t;
        if (m < SqrtHalf)
        {
            exponent -= 1;
            t = (m + m) - 1f;
        }
        else t = (m + 0f) - 1f;
        float z = t * t;
        float p = ((((((((LogC0 * t + LogC1) * t + LogC2) * t + LogC3) * t + LogC4) * t + LogC5) * t + LogC6) * t + LogC7) * t + LogC8);
        float e = exponent;
        float y = (p * t) * z;
        y += LogLow * e;
        y += -0.5f * z;
        return (t + y) + LogHigh * e;
    }

    private const float Unit24 = 1f / (1 << 24);
    private const float QuarterTurnPerStep = (float)(Math.PI / 2 / (1 << 22));
    private const float SqrtHalf = 0.707106781186547524f;
    private const float LogC0 = 7.0376836292E-2f, LogC1 = -1.1514610310E-1f, LogC2 = 1.1676998740E-1f, LogC3 = -1.2420140846E-1f,
        LogC4 = 1.4249322787E-1f, LogC5 = -1.6668057665E-1f, LogC6 = 2.0000714765E-1f, LogC7 = -2.4999993993E-1f, LogC8 = 3.3333331174E-1f;
    private const float LogLow = -2.12194440e-4f, LogHigh = 0.693359375f; // ln 2 = LogHigh + LogLow, split for exactness
    private const float SinC0 = -1.9515295891E-4f, SinC1 = 8.3321608736E-3f, SinC2 = -1.6666654611E-1f;
    private const float CosC0 = 2.443315711809948E-5f, CosC1 = -1.388731625493765E-3f, CosC2 = 4.166664568298827E-2f;
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private enum Lanes { Scalar, Sse, Avx2, Avx512 }

    /// <summary>
    /// The widest path the resolved width allows and the CPU has the widening multiply for. AVX-512 computes pairs of
    /// whole groups; a lone group (at either end of a range, or a partial one) runs the AVX2 pass.
    /// </summary>
    private static Lanes Path(SimdWidth width) =>
        width >= SimdWidth.Vector512 && Avx512F.IsSupported ? Lanes.Avx512
        : width >= SimdWidth.Vector256 && Avx2.IsSupported ? Lanes.Avx2
        : width >= SimdWidth.Vector128 && Sse2.IsSupported ? Lanes.Sse
        : Lanes.Scalar;

    private readonly record struct Counter(uint Episode, uint Member, uint Generation, uint Key0, uint Key1);

    private static void Group(Lanes path, in Counter counter, uint group, ref float destination)
    {
        uint firstBlock = group * GroupBlocks;
        switch (path)
        {
            case Lanes.Avx512 or Lanes.Avx2:
                Pass<Lanes256>(counter, firstBlock, ref destination);
                break;
            case Lanes.Sse:
                for (int lane = 0; lane < GroupBlocks; lane += 8) Pass<Lanes128>(counter, firstBlock + (uint)lane, ref Unsafe.Add(ref destination, lane));
                break;
            default:
                for (int lane = 0; lane < GroupBlocks; lane++)
                {
                    var (a, b, c, d) = Philox4x32.Block(firstBlock + (uint)lane, counter.Episode, counter.Member, counter.Generation, counter.Key0, counter.Key1);
                    var (z0, z1) = BoxMuller(a, b);
                    var (z2, z3) = BoxMuller(c, d);
                    Unsafe.Add(ref destination, lane) = z0;
                    Unsafe.Add(ref destination, GroupBlocks + lane) = z1;
                    Unsafe.Add(ref destination, 2 * GroupBlocks + lane) = z2;
                    Unsafe.Add(ref destination, 3 * GroupBlocks + lane) = z3;
                }
                break;
        }
    }

    /// <summary>
    /// Blocks firstBlock .. firstBlock + 2 T.Count - 1, one per lane of two interleaved vector sets (a Philox round is a
    /// chain of dependent multiplies: two independent chains keep the multipliers busy); output k of block
    /// firstBlock + j goes to destination[64 (j / 16) + 16 k + j % 16] (the group layout, firstBlock starting a group or,
    /// for narrow vectors, within one).
    /// </summary>
    // Not inlined, and neither is BoxMuller: each is a root with its own inlining budget. Inlined into one method, the
    // ~700 lane operations exhaust the JIT's budget and the last ones become calls through memory (4x slower).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Pass<T>(in Counter counter, uint firstBlock, ref float destination) where T : struct, IPhiloxLanes<T>
    {
        T a0 = T.Counting(firstBlock), b0 = T.Counting(firstBlock + (uint)T.Count);
        T a1 = T.Broadcast(counter.Episode), b1 = a1, a2 = T.Broadcast(counter.Member), b2 = a2, a3 = T.Broadcast(counter.Generation), b3 = a3;
        uint k0 = counter.Key0, k1 = counter.Key1;
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            T key0 = T.Broadcast(k0), key1 = T.Broadcast(k1);
            var (aHigh0, aLow0) = T.MultiplyWide(a0, M0);
            var (aHigh1, aLow1) = T.MultiplyWide(a2, M1);
            var (bHigh0, bLow0) = T.MultiplyWide(b0, M0);
            var (bHigh1, bLow1) = T.MultiplyWide(b2, M1);
            (a0, a1, a2, a3) = (T.Xor(T.Xor(aHigh1, a1), key0), aLow1, T.Xor(T.Xor(aHigh0, a3), key1), aLow0);
            (b0, b1, b2, b3) = (T.Xor(T.Xor(bHigh1, b1), key0), bLow1, T.Xor(T.Xor(bHigh0, b3), key1), bLow0);
        }
        ref float second = ref Unsafe.Add(ref destination, SetOffset(T.Count));
        BoxMuller(a0, a1, ref destination, ref Unsafe.Add(ref destination, GroupBlocks));
        BoxMuller(a2, a3, ref Unsafe.Add(ref destination, 2 * GroupBlocks), ref Unsafe.Add(ref destination, 3 * GroupBlocks));
        BoxMuller(b0, b1, ref second, ref Unsafe.Add(ref second, GroupBlocks));
        BoxMuller(b2, b3, ref Unsafe.Add(ref second, 2 * GroupBlocks), ref Unsafe.Add(ref second, 3 * GroupBlocks));
    }

    /// <summary>
    /// Two groups (32 blocks) on AVX-512 with each block's words zero-extended into 64-bit lanes, eight blocks per
    /// vector. vpmuludq then yields a lane's whole 64-bit product, so a Philox round is, per word pair, one multiply,
    /// one shift and one three-way xor; packed 32-bit lanes need two multiplies and five shuffling operations to split
    /// and recombine the products of their even and odd lanes. Bits above a lane's low 32 are never read: vpmuludq
    /// reads the low halves only and the final pack keeps them. The same layout under AVX2 was measured and dropped
    /// (1.06-1.19x the time of the packed pass): with sixteen registers, eight blocks per pass leave the rounds waiting
    /// on their multiplies and sixteen blocks spill.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PassWide512(in Counter counter, uint firstBlock, ref float destination)
    {
        var offsets = Vector512.Create(0ul, 1, 2, 3, 4, 5, 6, 7);
        var start = Vector512.Create((ulong)firstBlock);
        Vector512<ulong> a0 = start + offsets, b0 = a0 + Vector512.Create(8ul), c0 = a0 + Vector512.Create(16ul), d0 = a0 + Vector512.Create(24ul);
        Vector512<ulong> a1 = Vector512.Create((ulong)counter.Episode), b1 = a1, c1 = a1, d1 = a1;
        Vector512<ulong> a2 = Vector512.Create((ulong)counter.Member), b2 = a2, c2 = a2, d2 = a2;
        Vector512<ulong> a3 = Vector512.Create((ulong)counter.Generation), b3 = a3, c3 = a3, d3 = a3;
        var m0 = Vector512.Create((ulong)M0).AsUInt32();
        var m1 = Vector512.Create((ulong)M1).AsUInt32();
        uint k0 = counter.Key0, k1 = counter.Key1;
        for (int round = 0; round < 10; round++, k0 += W0, k1 += W1)
        {
            var key0 = Vector512.Create((ulong)k0);
            var key1 = Vector512.Create((ulong)k1);
            (a0, a1, a2, a3) = WideRound(a0, a1, a2, a3, m0, m1, key0, key1);
            (b0, b1, b2, b3) = WideRound(b0, b1, b2, b3, m0, m1, key0, key1);
            (c0, c1, c2, c3) = WideRound(c0, c1, c2, c3, m0, m1, key0, key1);
            (d0, d1, d2, d3) = WideRound(d0, d1, d2, d3, m0, m1, key0, key1);
        }
        var w0 = new Lanes512x2(PackLow(a0, b0), PackLow(c0, d0));
        var w1 = new Lanes512x2(PackLow(a1, b1), PackLow(c1, d1));
        var w2 = new Lanes512x2(PackLow(a2, b2), PackLow(c2, d2));
        var w3 = new Lanes512x2(PackLow(a3, b3), PackLow(c3, d3));
        BoxMuller(w0, w1, ref destination, ref Unsafe.Add(ref destination, GroupBlocks));
        BoxMuller(w2, w3, ref Unsafe.Add(ref destination, 2 * GroupBlocks), ref Unsafe.Add(ref destination, 3 * GroupBlocks));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<ulong>, Vector512<ulong>, Vector512<ulong>, Vector512<ulong>) WideRound(Vector512<ulong> w0, Vector512<ulong> w1,
        Vector512<ulong> w2, Vector512<ulong> w3, Vector512<uint> m0, Vector512<uint> m1, Vector512<ulong> key0, Vector512<ulong> key1)
    {
        var product0 = Avx512F.Multiply(w0.AsUInt32(), m0);
        var product1 = Avx512F.Multiply(w2.AsUInt32(), m1);
        return (Avx512F.TernaryLogic(product1 >>> 32, w1, key0, 0x96), product1, Avx512F.TernaryLogic(product0 >>> 32, w3, key1, 0x96), product0);
    }

    /// <summary>The low 32 bits of the sixteen 64-bit lanes of <paramref name="first"/> then <paramref name="second"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> PackLow(Vector512<ulong> first, Vector512<ulong> second) =>
        Avx512F.PermuteVar16x32x2(first.AsUInt32(), Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), second.AsUInt32());

    /// <summary>
    /// Where the values of the blocks <paramref name="lanes"/> after a set's first block go, relative to the set's: the
    /// same group's later lanes for sets narrower than a group, whole groups later otherwise.
    /// </summary>
    internal static int SetOffset(int lanes) => lanes < GroupBlocks ? lanes : lanes / GroupBlocks * GroupValues;

    /// <summary>The lane-wise twin of <see cref="BoxMuller(uint, uint)"/>: same operations, same order.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BoxMuller<T>(T radiusWord, T angleWord, ref float z0, ref float z1) where T : struct, INoiseLanes<T>
    {
        T u = T.FMul(T.IntToFloat(T.Add(T.ShiftRight(radiusWord, 8), T.Broadcast(1))), T.BroadcastFloat(Unit24));
        T r = T.FSqrt(T.FMul(T.BroadcastFloat(-2f), LogUnitInterval(u)));
        T k = T.ShiftRight(angleWord, 8);
        T n = T.ShiftRight(T.Add(k, T.Broadcast(1 << 21)), 22);
        T y = T.FMul(T.IntToFloat(T.Subtract(k, T.ShiftLeft(n, 22))), T.BroadcastFloat(QuarterTurnPerStep));
        T z = T.FMul(y, y);
        T sin = T.FAdd(T.FMul(T.FMul(T.FAdd(T.FMul(T.FAdd(T.FMul(T.BroadcastFloat(SinC0), z), T.BroadcastFloat(SinC1)), z), T.BroadcastFloat(SinC2)), z), y), y);
        T cos = T.FMul(T.FMul(T.FAdd(T.FMul(T.FAdd(T.FMul(T.BroadcastFloat(CosC0), z), T.BroadcastFloat(CosC1)), z), T.BroadcastFloat(CosC2)), z), z);
        cos = T.FAdd(T.FSub(cos, T.FMul(T.BroadcastFloat(0.5f), z)), T.BroadcastFloat(1f));
        // Quarter turn q: (cos, sin) of the angle are (c, s), (-s, c), (-c, -s), (s, -c): odd q swaps, the sign bits follow.
        T quarter = T.And(n, T.Broadcast(3));
        T swap = T.Subtract(T.Broadcast(0), T.And(quarter, T.Broadcast(1)));
        T cosSign = T.ShiftLeft(T.And(T.Add(quarter, T.Broadcast(1)), T.Broadcast(2)), 30);
        T sinSign = T.ShiftLeft(T.And(quarter, T.Broadcast(2)), 30);
        T.StoreFloats(T.FMul(r, T.Xor(T.Select(swap, sin, cos), cosSign)), ref z0);
        T.StoreFloats(T.FMul(r, T.Xor(T.Select(swap, cos, sin), sinSign)), ref z1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T LogUnitInterval<T>(T u) where T : struct, INoiseLanes<T>
    {
        T exponent = T.Subtract(T.ShiftRightArithmetic(u, 23), T.Broadcast(126));
        T m = T.Or(T.And(u, T.Broadcast(0x007FFFFF)), T.Broadcast(0x3F000000));
        T small = T.FLessThan(m, T.BroadcastFloat(SqrtHalf));
        exponent = T.Add(exponent, small); // all-ones lanes are -1
        T t = T.FSub(T.FAdd(m, T.And(m, small)), T.BroadcastFloat(1f));
        T z = T.FMul(t, t);
        T p = T.BroadcastFloat(LogC0);
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC1));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC2));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC3));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC4));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC5));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC6));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC7));
        p = T.FAdd(T.FMul(p, t), T.BroadcastFloat(LogC8));
        T e = T.IntToFloat(exponent);
        T y = T.FMul(T.FMul(p, t), z);
        y = T.FAdd(y, T.FMul(T.BroadcastFloat(LogLow), e));
        y = T.FAdd(y, T.FMul(T.BroadcastFloat(-0.5f), z));
        return T.FAdd(T.FAdd(t, y), T.FMul(T.BroadcastFloat(LogHigh), e));
    }
}
