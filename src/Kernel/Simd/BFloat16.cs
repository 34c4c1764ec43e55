namespace PdlfFast.Kernel.Simd;

/// <summary>
/// bfloat16 storage for kernel operands: the upper 16 bits of a float (sign, the full 8-bit exponent, 7 mantissa
/// bits), so a value widens back to float exactly by a 16-bit shift and keeps float's range; two of them share a
/// 32-bit word (<see cref="Pack"/>), which <see cref="IFloatVector{TSelf}.LoadBFloat16Pairs"/> splits into two float
/// vectors with one mask and one shift. Relative rounding error at most 2^-8.
/// </summary>
public static class BFloat16
{
    /// <summary>
    /// The bfloat16 nearest <paramref name="value"/>, ties to even (as hardware conversions round); infinities stay
    /// infinite, NaN stays NaN (quiet), and values beyond bfloat16's largest finite round to infinity.
    /// </summary>
    public static ushort Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040); // keep the sign, force a quiet-NaN payload bit
        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>The float that <paramref name="value"/> stands for (exact).</summary>
    public static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary><paramref name="value"/> rounded to the nearest bfloat16 and widened back to float.</summary>
    public static float RoundToFloat(float value) => Widen(Round(value));

    /// <summary>One word holding two bfloat16 values: <paramref name="high"/> in the upper half, <paramref name="low"/> in the lower.</summary>
    public static uint Pack(ushort high, ushort low) => ((uint)high << 16) | low;
}
