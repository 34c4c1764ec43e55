using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PdlfFast.Kernel.Simd;

/// <summary>
/// The handful of float-vector operations our kernels need, as static abstract members so that one generic kernel
/// body serves Vector128, Vector256 and Vector512: the JIT specialises it per struct, with no virtual calls.
/// Every operation is lane-wise (no horizontal reduction except the order-free max), which keeps a kernel's result
/// bit-identical across widths and equal to its scalar twin (docs/design.md, "Vector paths and determinism").
/// Implemented by <see cref="Vec128"/>, <see cref="Vec256"/> and <see cref="Vec512"/>; public because the rule
/// operator structs of PdlfFast.Rules are generic over it.
/// </summary>
/// <typeparam name="TSelf">The implementing vector struct.</typeparam>
public interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    /// <summary>Float lanes: 4, 8 or 16.</summary>
    static abstract int Count { get; }
    /// <summary>All lanes +0.</summary>
    static abstract TSelf Zero { get; }
    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TSelf Broadcast(float value);
    /// <summary>
    /// <see cref="Count"/> floats from <paramref name="source"/> + <paramref name="offset"/> elements, unaligned and
    /// unchecked: the caller guarantees they are in bounds.
    /// </summary>
    static abstract TSelf Load(ref float source, nuint offset);
    /// <summary>Writes <see cref="Count"/> floats at <paramref name="destination"/> + <paramref name="offset"/>, unaligned and unchecked.</summary>
    static abstract void Store(TSelf value, ref float destination, nuint offset);
    /// <summary>
    /// <see cref="Count"/> words of <see cref="BFloat16.Pack"/>ed pairs from <paramref name="source"/> + <paramref name="offset"/>
    /// (unaligned, unchecked), widened exactly: each word's high bfloat16 into <paramref name="high"/>'s lane and its
    /// low one into <paramref name="low"/>'s. Two lane-wise integer operations, no rounding.
    /// </summary>
    static abstract void LoadBFloat16Pairs(ref uint source, nuint offset, out TSelf high, out TSelf low);
    /// <summary>Lane-wise a + b.</summary>
    static abstract TSelf Add(TSelf a, TSelf b);
    /// <summary>Lane-wise a - b.</summary>
    static abstract TSelf Subtract(TSelf a, TSelf b);
    /// <summary>Lane-wise a * b.</summary>
    static abstract TSelf Multiply(TSelf a, TSelf b);
    /// <summary>a * b + c rounded once, as MathF.FusedMultiplyAdd.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    /// <summary>Lane-wise |a| (sign bit cleared).</summary>
    static abstract TSelf Abs(TSelf a);
    /// <summary>Lane-wise max for non-NaN inputs (NaN handling is platform-specific).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>Lane-wise min for non-NaN inputs (NaN handling is platform-specific).</summary>
    static abstract TSelf Min(TSelf a, TSelf b);
    /// <summary>All-ones lanes where a &gt; b.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    /// <summary>All-ones lanes where a &lt; b.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);
    /// <summary>Bitwise a &amp; b (with a comparison mask: select a's lanes or zero).</summary>
    static abstract TSelf And(TSelf a, TSelf b);
    /// <summary>Bitwise a | b.</summary>
    static abstract TSelf Or(TSelf a, TSelf b);
    /// <summary>a with the lanes set in mask cleared (a &amp; ~mask).</summary>
    static abstract TSelf AndNot(TSelf a, TSelf mask);
    /// <summary>Bit i set when lane i of <paramref name="a"/> differs from zero (+0 and -0 count as zero).</summary>
    static abstract uint NonZeroMask(TSelf a);
    /// <summary>The largest lane (non-NaN inputs). Max is order-free, so this reduction is still width-independent.</summary>
    static abstract float MaxAcross(TSelf a);
    /// <summary>Lane-wise a / b (IEEE division, correctly rounded as the scalar operator).</summary>
    static abstract TSelf Divide(TSelf a, TSelf b);
    /// <summary>Lane-wise round to the nearest integer, ties to even (as <c>MathF.Round</c>).</summary>
    static abstract TSelf Round(TSelf a);
    /// <summary>
    /// Lane-wise <c>2^n</c> for integral <paramref name="n"/> in [-126, 127], built from the exponent bits (exact); other
    /// values are the caller's error.
    /// </summary>
    static abstract TSelf TwoToThe(TSelf n);
}

/// <summary><see cref="IFloatVector{TSelf}"/> over <c>Vector128&lt;float&gt;</c> (4 floats: SSE / AdvSimd).</summary>
public readonly struct Vec128 : IFloatVector<Vec128>
{
    /// <summary>The wrapped vector.</summary>
    public readonly Vector128<float> V;
    /// <summary>Wraps <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec128(Vector128<float> v) => V = v;
    /// <inheritdoc/>
    public static int Count => Vector128<float>.Count;
    /// <inheritdoc/>
    public static Vec128 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Broadcast(float value) => new(Vector128.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Load(ref float source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref uint source, nuint offset, out Vec128 high, out Vec128 low)
    {
        var words = Vector128.LoadUnsafe(ref source, offset);
        high = new((words & Vector128.Create(0xFFFF0000u)).AsSingle());
        low = new((words << 16).AsSingle());
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec128 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Add(Vec128 a, Vec128 b) => new(a.V + b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Subtract(Vec128 a, Vec128 b) => new(a.V - b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Multiply(Vec128 a, Vec128 b) => new(a.V * b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Fma(Vec128 a, Vec128 b, Vec128 c) => new(Vector128.FusedMultiplyAdd(a.V, b.V, c.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Abs(Vec128 a) => new(Vector128.Abs(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Max(Vec128 a, Vec128 b) => new(Vector128.MaxNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Min(Vec128 a, Vec128 b) => new(Vector128.MinNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 GreaterThan(Vec128 a, Vec128 b) => new(Vector128.GreaterThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 LessThan(Vec128 a, Vec128 b) => new(Vector128.LessThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 And(Vec128 a, Vec128 b) => new(a.V & b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Or(Vec128 a, Vec128 b) => new(a.V | b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 AndNot(Vec128 a, Vec128 mask) => new(Vector128.AndNot(a.V, mask.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec128 a) => ~Vector128.Equals(a.V, Vector128<float>.Zero).ExtractMostSignificantBits() & 0xFu;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Divide(Vec128 a, Vec128 b) => new(a.V / b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Round(Vec128 a) => new(Vector128.Round(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 TwoToThe(Vec128 n) => new(Vector128.ShiftLeft(Vector128.ConvertToInt32(n.V) + Vector128.Create(127), 23).AsSingle());
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec128 a)
    {
        var v = a.V;
        return MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
    }
}

/// <summary><see cref="IFloatVector{TSelf}"/> over <c>Vector256&lt;float&gt;</c> (8 floats: AVX2).</summary>
public readonly struct Vec256 : IFloatVector<Vec256>
{
    /// <summary>The wrapped vector.</summary>
    public readonly Vector256<float> V;
    /// <summary>Wraps <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec256(Vector256<float> v) => V = v;
    /// <inheritdoc/>
    public static int Count => Vector256<float>.Count;
    /// <inheritdoc/>
    public static Vec256 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Broadcast(float value) => new(Vector256.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Load(ref float source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref uint source, nuint offset, out Vec256 high, out Vec256 low)
    {
        var words = Vector256.LoadUnsafe(ref source, offset);
        high = new((words & Vector256.Create(0xFFFF0000u)).AsSingle());
        low = new((words << 16).AsSingle());
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec256 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Add(Vec256 a, Vec256 b) => new(a.V + b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Subtract(Vec256 a, Vec256 b) => new(a.V - b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Multiply(Vec256 a, Vec256 b) => new(a.V * b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Fma(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Abs(Vec256 a) => new(Vector256.Abs(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Max(Vec256 a, Vec256 b) => new(Vector256.MaxNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Min(Vec256 a, Vec256 b) => new(Vector256.MinNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 GreaterThan(Vec256 a, Vec256 b) => new(Vector256.GreaterThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 LessThan(Vec256 a, Vec256 b) => new(Vector256.LessThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 And(Vec256 a, Vec256 b) => new(a.V & b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Or(Vec256 a, Vec256 b) => new(a.V | b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 AndNot(Vec256 a, Vec256 mask) => new(Vector256.AndNot(a.V, mask.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec256 a) => ~Vector256.Equals(a.V, Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFFu;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Divide(Vec256 a, Vec256 b) => new(a.V / b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Round(Vec256 a) => new(Vector256.Round(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 TwoToThe(Vec256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32(n.V) + Vector256.Create(127), 23).AsSingle());
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec256 a) => Vec128.MaxAcross(new Vec128(Vector128.MaxNative(a.V.GetLower(), a.V.GetUpper())));
}

/// <summary><see cref="IFloatVector{TSelf}"/> over <c>Vector512&lt;float&gt;</c> (16 floats: AVX-512).</summary>
public readonly struct Vec512 : IFloatVector<Vec512>
{
    /// <summary>The wrapped vector.</summary>
    public readonly Vector512<float> V;
    /// <summary>Wraps <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec512(Vector512<float> v) => V = v;
    /// <inheritdoc/>
    public static int Count => Vector512<float>.Count;
    /// <inheritdoc/>
    public static Vec512 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Broadcast(float value) => new(Vector512.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Load(ref float source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref uint source, nuint offset, out Vec512 high, out Vec512 low)
    {
        var words = Vector512.LoadUnsafe(ref source, offset);
        high = new((words & Vector512.Create(0xFFFF0000u)).AsSingle());
        low = new((words << 16).AsSingle());
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec512 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Add(Vec512 a, Vec512 b) => new(a.V + b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Subtract(Vec512 a, Vec512 b) => new(a.V - b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Multiply(Vec512 a, Vec512 b) => new(a.V * b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Fma(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Abs(Vec512 a) => new(Vector512.Abs(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Max(Vec512 a, Vec512 b) => new(Vector512.MaxNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Min(Vec512 a, Vec512 b) => new(Vector512.MinNative(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 GreaterThan(Vec512 a, Vec512 b) => new(Vector512.GreaterThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 LessThan(Vec512 a, Vec512 b) => new(Vector512.LessThan(a.V, b.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 And(Vec512 a, Vec512 b) => new(a.V & b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Or(Vec512 a, Vec512 b) => new(a.V | b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 AndNot(Vec512 a, Vec512 mask) => new(Vector512.AndNot(a.V, mask.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec512 a) => (uint)(~Vector512.Equals(a.V, Vector512<float>.Zero).ExtractMostSignificantBits() & 0xFFFFul);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Divide(Vec512 a, Vec512 b) => new(a.V / b.V);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Round(Vec512 a) => new(Vector512.Round(a.V));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 TwoToThe(Vec512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32(n.V) + Vector512.Create(127), 23).AsSingle());
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec512 a) => Vec256.MaxAcross(new Vec256(Vector256.MaxNative(a.V.GetLower(), a.V.GetUpper())));
}
