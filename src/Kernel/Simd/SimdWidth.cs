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
    /// <summary>The widest accelerated width on this machine (respects DOTNET_EnableAVX512=0 and friends).</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
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

    /// <summary>Every width this machine accelerates, narrowest first (always includes <see cref="SimdWidth.Scalar"/>).</summary>
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
