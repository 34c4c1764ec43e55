using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Tests.Kernel;

public class BFloat16Tests
{
    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(-2f, 0xC000)]
    [InlineData(0f, 0x0000)]
    [InlineData(-0f, 0x8000)]
    [InlineData(1.00390625f, 0x3F80)]       // 1 + 2^-8: a tie, to the even mantissa 0
    [InlineData(1.01171875f, 0x3F82)]       // 1 + 3 2^-8: a tie, up to the even mantissa 2
    [InlineData(1.0039064f, 0x3F81)]        // one float above that tie (0x3F808001): up
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.MaxValue, 0x7F80)]    // beyond bfloat16's largest finite value
    [InlineData(1e-40f, 0x0001)]            // subnormals keep their top bits
    public void Rounds_to_nearest_even_as_hardware_does(float value, int expected) =>
        Assert.Equal((ushort)expected, BFloat16.Round(value));

    [Fact]
    public void NaN_stays_NaN_and_pairs_pack_high_then_low()
    {
        Assert.True(float.IsNaN(BFloat16.Widen(BFloat16.Round(float.NaN))));
        Assert.True(float.IsNaN(BFloat16.Widen(BFloat16.Round(BitConverter.UInt32BitsToSingle(0x7F800001))))); // payload only in the low bits
        Assert.Equal(0x3F80C000u, BFloat16.Pack(BFloat16.Round(1f), BFloat16.Round(-2f)));
    }

    [Property(MaxTest = 500)]
    public void Rounding_error_is_at_most_half_a_unit_of_eight_significant_bits(float value)
    {
        if (!float.IsNormal(value) || MathF.Abs(value) > 3e38f) return;
        float rounded = BFloat16.RoundToFloat(value);
        Assert.True(MathF.Abs(rounded - value) <= MathF.Abs(value) * MathF.Pow(2, -8), $"{value:R} -> {rounded:R}");
        Assert.Equal(rounded, BFloat16.RoundToFloat(rounded)); // idempotent: widened values are exact
    }

    [Property(MaxTest = 200, EndSize = 300)]
    public void Vector_pair_loads_widen_exactly_on_every_width(int seed, PositiveInt length)
    {
        var random = new Random(seed);
        int n = length.Get % 100 + 16;
        var words = new uint[n];
        for (int i = 0; i < n; i++) words[i] = BFloat16.Pack(BFloat16.Round((float)(random.NextDouble() * 8 - 4)), BFloat16.Round((float)random.NextDouble()));
        Check<Vec128>(words);
        if (Vec256Available) Check<Vec256>(words);
        if (Vec512Available) Check<Vec512>(words);
    }

    private static bool Vec256Available => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated;
    private static bool Vec512Available => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;

    private static void Check<TVec>(uint[] words) where TVec : struct, IFloatVector<TVec>
    {
        var high = new float[TVec.Count];
        var low = new float[TVec.Count];
        for (int offset = 0; offset + TVec.Count <= words.Length; offset += 3)
        {
            TVec.LoadBFloat16Pairs(ref words[0], (nuint)offset, out var h, out var l);
            TVec.Store(h, ref high[0], 0);
            TVec.Store(l, ref low[0], 0);
            for (int i = 0; i < TVec.Count; i++)
            {
                Assert.Equal(BFloat16.Widen((ushort)(words[offset + i] >> 16)), high[i]);
                Assert.Equal(BFloat16.Widen((ushort)words[offset + i]), low[i]);
            }
        }
    }
}
