using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PdlfFast.Kernel.Random;

/// <summary>
/// The lane operations <see cref="GaussianNoise"/> needs, over 32-bit lanes that hold either integers or float bits,
/// so one generic body serves every width. Integer operations wrap; float operations are single IEEE-754 operations
/// (no FMA), which is what makes every width give the scalar twin's bits.
/// </summary>
internal interface INoiseLanes<TSelf> where TSelf : struct, INoiseLanes<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Broadcast(uint value);
    static abstract TSelf BroadcastFloat(float value);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf And(TSelf a, TSelf b);
    static abstract TSelf Or(TSelf a, TSelf b);
    static abstract TSelf Xor(TSelf a, TSelf b);
    static abstract TSelf ShiftLeft(TSelf a, byte count);
    static abstract TSelf ShiftRight(TSelf a, byte count);
    static abstract TSelf ShiftRightArithmetic(TSelf a, byte count);
    /// <summary>Signed integer lanes to float (exact below 2^24).</summary>
    static abstract TSelf IntToFloat(TSelf a);
    static abstract TSelf FAdd(TSelf a, TSelf b);
    static abstract TSelf FSub(TSelf a, TSelf b);
    static abstract TSelf FMul(TSelf a, TSelf b);
    static abstract TSelf FSqrt(TSelf a);
    /// <summary>All-ones lanes where a &lt; b as floats.</summary>
    static abstract TSelf FLessThan(TSelf a, TSelf b);
    /// <summary>Lanes of <paramref name="whenSet"/> where mask is all ones, else of <paramref name="otherwise"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whenSet, TSelf otherwise);
    static abstract void StoreFloats(TSelf a, ref float destination);
}

/// <summary>Lanes that also run Philox rounds on packed 32-bit words (the SSE and AVX2 passes).</summary>
internal interface IPhiloxLanes<TSelf> : INoiseLanes<TSelf> where TSelf : struct, IPhiloxLanes<TSelf>
{
    /// <summary>start, start + 1, ... in successive lanes.</summary>
    static abstract TSelf Counting(uint start);
    /// <summary>The 64-bit products a * m, as their high and low words.</summary>
    static abstract (TSelf High, TSelf Low) MultiplyWide(TSelf a, uint m);
}

internal readonly struct Lanes128(Vector128<uint> v) : IPhiloxLanes<Lanes128>
{
    private readonly Vector128<uint> _v = v;
    private Vector128<float> F => _v.AsSingle();
    private static Lanes128 Of(Vector128<float> f) => new(f.AsUInt32());

    public static int Count => Vector128<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Counting(uint start) => new(Vector128.Create(start) + Vector128.Create(0u, 1, 2, 3));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Broadcast(uint value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 BroadcastFloat(float value) => Of(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Add(Lanes128 a, Lanes128 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Subtract(Lanes128 a, Lanes128 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 And(Lanes128 a, Lanes128 b) => new(a._v & b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Or(Lanes128 a, Lanes128 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Xor(Lanes128 a, Lanes128 b) => new(a._v ^ b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 ShiftLeft(Lanes128 a, byte count) => new(a._v << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 ShiftRight(Lanes128 a, byte count) => new(a._v >>> count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 ShiftRightArithmetic(Lanes128 a, byte count) => new((a._v.AsInt32() >> count).AsUInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes128 High, Lanes128 Low) MultiplyWide(Lanes128 a, uint m)
    {
        // pmuludq multiplies the even lanes into 64-bit products; the odd lanes are shifted down for a second one.
        var factor = Vector128.Create(m);
        var even = Sse2.Multiply(a._v, factor);
        var odd = Sse2.Multiply((a._v.AsUInt64() >>> 32).AsUInt32(), factor);
        var highHalf = Vector128.Create(0xFFFFFFFF00000000UL);
        return (new(((even >>> 32) | (odd & highHalf)).AsUInt32()), new(((odd << 32) | Vector128.AndNot(even, highHalf)).AsUInt32()));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 IntToFloat(Lanes128 a) => Of(Vector128.ConvertToSingle(a._v.AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FAdd(Lanes128 a, Lanes128 b) => Of(a.F + b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FSub(Lanes128 a, Lanes128 b) => Of(a.F - b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FMul(Lanes128 a, Lanes128 b) => Of(a.F * b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FSqrt(Lanes128 a) => Of(Vector128.Sqrt(a.F));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FLessThan(Lanes128 a, Lanes128 b) => Of(Vector128.LessThan(a.F, b.F));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Select(Lanes128 mask, Lanes128 whenSet, Lanes128 otherwise) => new(Vector128.ConditionalSelect(mask._v, whenSet._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreFloats(Lanes128 a, ref float destination) => a.F.StoreUnsafe(ref destination);
}

internal readonly struct Lanes256(Vector256<uint> v) : IPhiloxLanes<Lanes256>
{
    private readonly Vector256<uint> _v = v;
    private Vector256<float> F => _v.AsSingle();
    private static Lanes256 Of(Vector256<float> f) => new(f.AsUInt32());

    public static int Count => Vector256<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Counting(uint start) => new(Vector256.Create(start) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Broadcast(uint value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 BroadcastFloat(float value) => Of(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Add(Lanes256 a, Lanes256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Subtract(Lanes256 a, Lanes256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 And(Lanes256 a, Lanes256 b) => new(a._v & b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Or(Lanes256 a, Lanes256 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Xor(Lanes256 a, Lanes256 b) => new(a._v ^ b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 ShiftLeft(Lanes256 a, byte count) => new(a._v << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 ShiftRight(Lanes256 a, byte count) => new(a._v >>> count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 ShiftRightArithmetic(Lanes256 a, byte count) => new((a._v.AsInt32() >> count).AsUInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes256 High, Lanes256 Low) MultiplyWide(Lanes256 a, uint m)
    {
        var factor = Vector256.Create(m);
        var even = Avx2.Multiply(a._v, factor);
        var odd = Avx2.Multiply((a._v.AsUInt64() >>> 32).AsUInt32(), factor);
        var highHalf = Vector256.Create(0xFFFFFFFF00000000UL);
        return (new(((even >>> 32) | (odd & highHalf)).AsUInt32()), new(((odd << 32) | Vector256.AndNot(even, highHalf)).AsUInt32()));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 IntToFloat(Lanes256 a) => Of(Vector256.ConvertToSingle(a._v.AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FAdd(Lanes256 a, Lanes256 b) => Of(a.F + b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FSub(Lanes256 a, Lanes256 b) => Of(a.F - b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FMul(Lanes256 a, Lanes256 b) => Of(a.F * b.F);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FSqrt(Lanes256 a) => Of(Vector256.Sqrt(a.F));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FLessThan(Lanes256 a, Lanes256 b) => Of(Vector256.LessThan(a.F, b.F));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Select(Lanes256 mask, Lanes256 whenSet, Lanes256 otherwise) => new(Vector256.ConditionalSelect(mask._v, whenSet._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreFloats(Lanes256 a, ref float destination) => a.F.StoreUnsafe(ref destination);
}

/// <summary>
/// Two AVX-512 vectors as one 32-lane value: every operation is issued for both halves back to back, which gives
/// Box-Muller's long dependent polynomial chains twice the independent work to overlap (copy task's 6.8 million values,
/// one thread: 4.9 ms, against 7.5 ms with one vector). The halves hold consecutive groups of 16 blocks, so the second
/// half's values are stored one group later. A generic pair over any lane type measured 6x slower: the nested
/// generic calls exhaust the JIT's inlining budget. The same pair of 256-bit vectors gave nothing under AVX2 (12.3 vs
/// 12.1 ms): with 16 registers the doubled live state spills.
/// </summary>
internal readonly struct Lanes512x2(Vector512<uint> low, Vector512<uint> high) : INoiseLanes<Lanes512x2>
{
    private readonly Vector512<uint> _low = low, _high = high;
    private static Lanes512x2 Of(Vector512<float> low, Vector512<float> high) => new(low.AsUInt32(), high.AsUInt32());

    public static int Count => 2 * Vector512<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 Broadcast(uint value) => new(Vector512.Create(value), Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 BroadcastFloat(float value) => Of(Vector512.Create(value), Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 Add(Lanes512x2 a, Lanes512x2 b) => new(a._low + b._low, a._high + b._high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 Subtract(Lanes512x2 a, Lanes512x2 b) => new(a._low - b._low, a._high - b._high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 And(Lanes512x2 a, Lanes512x2 b) => new(a._low & b._low, a._high & b._high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 Or(Lanes512x2 a, Lanes512x2 b) => new(a._low | b._low, a._high | b._high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 Xor(Lanes512x2 a, Lanes512x2 b) => new(a._low ^ b._low, a._high ^ b._high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 ShiftLeft(Lanes512x2 a, byte count) => new(a._low << count, a._high << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 ShiftRight(Lanes512x2 a, byte count) => new(a._low >>> count, a._high >>> count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512x2 ShiftRightArithmetic(Lanes512x2 a, byte count) => new((a._low.AsInt32() >> count).AsUInt32(), (a._high.AsInt32() >> count).AsUInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512x2 IntToFloat(Lanes512x2 a) => Of(Vector512.ConvertToSingle(a._low.AsInt32()), Vector512.ConvertToSingle(a._high.AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 FAdd(Lanes512x2 a, Lanes512x2 b) => Of(a._low.AsSingle() + b._low.AsSingle(), a._high.AsSingle() + b._high.AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 FSub(Lanes512x2 a, Lanes512x2 b) => Of(a._low.AsSingle() - b._low.AsSingle(), a._high.AsSingle() - b._high.AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 FMul(Lanes512x2 a, Lanes512x2 b) => Of(a._low.AsSingle() * b._low.AsSingle(), a._high.AsSingle() * b._high.AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512x2 FSqrt(Lanes512x2 a) => Of(Vector512.Sqrt(a._low.AsSingle()), Vector512.Sqrt(a._high.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512x2 FLessThan(Lanes512x2 a, Lanes512x2 b) => Of(Vector512.LessThan(a._low.AsSingle(), b._low.AsSingle()), Vector512.LessThan(a._high.AsSingle(), b._high.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512x2 Select(Lanes512x2 mask, Lanes512x2 whenSet, Lanes512x2 otherwise) =>
        new(Vector512.ConditionalSelect(mask._low, whenSet._low, otherwise._low), Vector512.ConditionalSelect(mask._high, whenSet._high, otherwise._high));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFloats(Lanes512x2 a, ref float destination)
    {
        a._low.AsSingle().StoreUnsafe(ref destination);
        a._high.AsSingle().StoreUnsafe(ref Unsafe.Add(ref destination, GaussianNoise.SetOffset(Vector512<uint>.Count)));
    }
}
