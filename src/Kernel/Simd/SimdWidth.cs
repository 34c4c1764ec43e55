using System.Runtime.Intrinsics;

namespace PdlfFast.Kernel.Simd;

/// <summary>
/// Vector width a kernel runs with; the value of each width is its float lanes. Every width gives the same bits, so the
/// choice only changes speed (docs/design.md, "Vector paths and determinism").
/// </summary>
public enum SimdWidth
{
    /// <summary><see cref="Vectorisation.Best"/>: the widest accelerated width, or scalar without hardware FMA.</summary>
    Auto = 0,
    /// <summary>The scalar path (one float at a time).</summary>
    Scalar = 1,
    /// <summary>Vector128 (SSE, AdvSimd): 4 lanes.</summary>
    Vector128 = 4,
    /// <summary>Vector256 (AVX2): 8 lanes.</summary>
    Vector256 = 8,
    /// <summary>Vector512 (AVX-512): 16 lanes.</summary>
    Vector512 = 16,
}

/// <summary>What this machine's vector hardware offers, and how a <see cref="SimdWidth"/> request maps onto it.</summary>
public static class Vectorisation
{
    /// <summary>
    /// Whether fused multiply-add is an instruction here. Every kernel rounds through FMA in all paths (that is what
    /// keeps the widths bit-identical); without hardware FMA (x86 before Haswell, or DOTNET_EnableAVX2=0) the vector
    /// FMA is emulated lane by lane and runs slower than the scalar twin.
    /// </summary>
    public static bool HardwareFusedMultiplyAdd { get; } =
        System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>
    /// The width <see cref="SimdWidth.Auto"/> runs: the widest accelerated one (respects DOTNET_EnableAVX512=0 and
    /// friends), or scalar when FMA would be emulated.
    /// </summary>
    public static SimdWidth Best { get; } =
        !HardwareFusedMultiplyAdd ? SimdWidth.Scalar
        : Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated ? SimdWidth.Vector256
        : Vector128.IsHardwareAccelerated ? SimdWidth.Vector128
        : SimdWidth.Scalar;

    /// <summary>
    /// Whether <paramref name="width"/> runs in hardware here (<see cref="SimdWidth.Auto"/> and
    /// <see cref="SimdWidth.Scalar"/> always do; undefined values do not). Ignores FMA: a width can be accelerated and
    /// still slower than scalar (see <see cref="HardwareFusedMultiplyAdd"/>).
    /// </summary>
    public static bool IsAccelerated(SimdWidth width) => width switch
    {
        SimdWidth.Auto or SimdWidth.Scalar => true,
        SimdWidth.Vector128 => Vector128.IsHardwareAccelerated,
        SimdWidth.Vector256 => Vector256.IsHardwareAccelerated,
        SimdWidth.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>
    /// Every width this machine can run, narrowest first (always includes <see cref="SimdWidth.Scalar"/>); all give the
    /// same bits, so tests compare each with the scalar twin even where <see cref="Best"/> would not choose it.
    /// </summary>
    public static IReadOnlyList<SimdWidth> Accelerated { get; } =
        new[] { SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512 }.Where(IsAccelerated).ToArray();

    /// <summary>Maps <see cref="SimdWidth.Auto"/> to <see cref="Best"/> and rejects widths the CPU cannot run fast.</summary>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not <see cref="IsAccelerated"/>.</exception>
    public static SimdWidth Resolve(SimdWidth width)
    {
        if (width == SimdWidth.Auto) return Best;
        if (!IsAccelerated(width))
            throw new PlatformNotSupportedException($"{width} is not hardware-accelerated on this machine (best: {Best}).");
        return width;
    }
}
