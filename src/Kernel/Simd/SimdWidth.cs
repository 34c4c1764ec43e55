using System.Runtime.Intrinsics;

namespace PdlfFast.Kernel.Simd;

/// <summary>Vector width a kernel runs with, in float lanes. <see cref="Auto"/> picks the widest one the CPU accelerates.</summary>
public enum SimdWidth
{
    Auto = 0,
    Scalar = 1,
    Vector128 = 4,
    Vector256 = 8,
    Vector512 = 16,
}

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
    public static SimdWidth Resolve(SimdWidth width)
    {
        if (width == SimdWidth.Auto) return Best;
        if (!IsAccelerated(width))
            throw new PlatformNotSupportedException($"{width} is not hardware-accelerated on this machine (best: {Best}).");
        return width;
    }
}
