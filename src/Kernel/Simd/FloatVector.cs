using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PdlfFast.Kernel.Simd;

/// <summary>
/// The handful of float-vector operations our kernels need, as static abstract members so that one generic kernel
/// body serves Vector128, Vector256 and Vector512: the JIT specialises it per struct, with no virtual calls.
/// Every operation is lane-wise (no horizontal reduction except the order-free max), which keeps a kernel's result
/// bit-identical across widths and equal to its scalar twin.
/// </summary>
public interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Broadcast(float value);
    static abstract TSelf Load(ref float source, nuint offset);
    static abstract void Store(TSelf value, ref float destination, nuint offset);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    /// <summary>a * b + c rounded once, as MathF.FusedMultiplyAdd.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Abs(TSelf a);
    /// <summary>Lane-wise max for non-NaN inputs (NaN handling is platform-specific).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Min(TSelf a, TSelf b);
    /// <summary>All-ones lanes where a &gt; b.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    static abstract TSelf LessThan(TSelf a, TSelf b);
    static abstract TSelf And(TSelf a, TSelf b);
    static abstract TSelf Or(TSelf a, TSelf b);
    /// <summary>a with the lanes set in mask cleared (a &amp; ~mask).</summary>
    static abstract TSelf AndNot(TSelf a, TSelf mask);
    /// <summary>Bit i set when lane i of <paramref name="a"/> differs from zero (+0 and -0 count as zero).</summary>
    static abstract uint NonZeroMask(TSelf a);
    static abstract float MaxAcross(TSelf a);
}

public readonly struct Vec128 : IFloatVector<Vec128>
{
    public readonly Vector128<float> V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec128(Vector128<float> v) => V = v;
    public static int Count => Vector128<float>.Count;
    public static Vec128 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Broadcast(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Load(ref float source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec128 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Add(Vec128 a, Vec128 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Subtract(Vec128 a, Vec128 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Multiply(Vec128 a, Vec128 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Fma(Vec128 a, Vec128 b, Vec128 c) => new(Vector128.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Abs(Vec128 a) => new(Vector128.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Max(Vec128 a, Vec128 b) => new(Vector128.MaxNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Min(Vec128 a, Vec128 b) => new(Vector128.MinNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 GreaterThan(Vec128 a, Vec128 b) => new(Vector128.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 LessThan(Vec128 a, Vec128 b) => new(Vector128.LessThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 And(Vec128 a, Vec128 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Or(Vec128 a, Vec128 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 AndNot(Vec128 a, Vec128 mask) => new(Vector128.AndNot(a.V, mask.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec128 a) => ~Vector128.Equals(a.V, Vector128<float>.Zero).ExtractMostSignificantBits() & 0xFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec128 a)
    {
        var v = a.V;
        return MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
    }
}

public readonly struct Vec256 : IFloatVector<Vec256>
{
    public readonly Vector256<float> V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec256(Vector256<float> v) => V = v;
    public static int Count => Vector256<float>.Count;
    public static Vec256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Load(ref float source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec256 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Add(Vec256 a, Vec256 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Subtract(Vec256 a, Vec256 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Multiply(Vec256 a, Vec256 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Fma(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Abs(Vec256 a) => new(Vector256.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Max(Vec256 a, Vec256 b) => new(Vector256.MaxNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Min(Vec256 a, Vec256 b) => new(Vector256.MinNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 GreaterThan(Vec256 a, Vec256 b) => new(Vector256.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 LessThan(Vec256 a, Vec256 b) => new(Vector256.LessThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 And(Vec256 a, Vec256 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Or(Vec256 a, Vec256 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 AndNot(Vec256 a, Vec256 mask) => new(Vector256.AndNot(a.V, mask.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec256 a) => ~Vector256.Equals(a.V, Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec256 a) => Vec128.MaxAcross(new Vec128(Vector128.MaxNative(a.V.GetLower(), a.V.GetUpper())));
}

public readonly struct Vec512 : IFloatVector<Vec512>
{
    public readonly Vector512<float> V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vec512(Vector512<float> v) => V = v;
    public static int Count => Vector512<float>.Count;
    public static Vec512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Load(ref float source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec512 value, ref float destination, nuint offset) => value.V.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Add(Vec512 a, Vec512 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Subtract(Vec512 a, Vec512 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Multiply(Vec512 a, Vec512 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Fma(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Abs(Vec512 a) => new(Vector512.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Max(Vec512 a, Vec512 b) => new(Vector512.MaxNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Min(Vec512 a, Vec512 b) => new(Vector512.MinNative(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 GreaterThan(Vec512 a, Vec512 b) => new(Vector512.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 LessThan(Vec512 a, Vec512 b) => new(Vector512.LessThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 And(Vec512 a, Vec512 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Or(Vec512 a, Vec512 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 AndNot(Vec512 a, Vec512 mask) => new(Vector512.AndNot(a.V, mask.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint NonZeroMask(Vec512 a) => (uint)(~Vector512.Equals(a.V, Vector512<float>.Zero).ExtractMostSignificantBits() & 0xFFFFul);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec512 a) => Vec256.MaxAcross(new Vec256(Vector256.MaxNative(a.V.GetLower(), a.V.GetUpper())));
}
