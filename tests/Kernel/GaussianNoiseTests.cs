using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Tests.Kernel;

public class GaussianNoiseTests
{
    [Property(MaxTest = 200, EndSize = 5000)]
    public void Every_width_gives_the_scalar_reference_bits(ulong seed, uint generation, uint member, uint purpose, NonNegativeInt offset, NonNegativeInt length,
        bool atStreamEnd)
    {
        var id = new StreamId(generation, member, 0, purpose);
        // Up to 600 values (FsCheck sizes its integers; EndSize lets them get there): ranges that hold several of the
        // AVX-512 path's two-group passes and a partial group at either end; near the stream's end too, where block
        // counters use all 32 bits.
        int count = length.Get % 600 + 1;
        long first = atStreamEnd ? GaussianNoise.StreamLength - count - offset.Get % 5000 : offset.Get % 5000;
        var expected = new float[count];
        for (int i = 0; i < expected.Length; i++) expected[i] = GaussianNoise.Value(seed, id, first + i);
        foreach (var width in Vectorisation.Accelerated)
        {
            var actual = new float[expected.Length];
            GaussianNoise.Fill(seed, id, first, actual, width);
            AssertBits(expected, actual, width.ToString());
        }
    }

    [Property(MaxTest = 100, EndSize = 1000)]
    public void Any_split_of_a_range_gives_the_same_values(ulong seed, uint member, NonNegativeInt start, PositiveInt length, NonNegativeInt cut)
    {
        var id = new StreamId(3, member, 0, 9);
        int n = length.Get % 700 + 1, at = cut.Get % (n + 1);
        var whole = new float[n];
        GaussianNoise.Fill(seed, id, start.Get, whole);
        var parts = new float[n];
        GaussianNoise.Fill(seed, id, start.Get, parts.AsSpan(0, at));
        GaussianNoise.Fill(seed, id, start.Get + at, parts.AsSpan(at));
        AssertBits(whole, parts, $"cut at {at}");
    }

    [Fact]
    public void Hand_computed_cases()
    {
        // Radius word all ones: u = 1, ln u = 0, both values exactly 0 whatever the angle.
        Assert.Equal((0f, 0f), GaussianNoise.BoxMuller(0xFFFFFFFF, 0x12345678));
        // Radius word 0: u = 2^-24, r = sqrt(48 ln 2) = 5.7683; angle word 0: angle 0, so (r, 0).
        var (z0, z1) = GaussianNoise.BoxMuller(0, 0);
        Assert.Equal(Math.Sqrt(48 * Math.Log(2)), z0, 5e-6);
        Assert.Equal(0f, z1);
        // Angle of a quarter turn (2^22 of 2^24, i.e. word 2^30): (0, r); half a turn: (-r, 0); three quarters: (0, -r).
        float r = z0;
        Assert.Equal((0f, r), GaussianNoise.BoxMuller(0, 1u << 30));
        Assert.Equal((-r, -0f), GaussianNoise.BoxMuller(0, 2u << 30));
        Assert.Equal((0f, -r), GaussianNoise.BoxMuller(0, 3u << 30));
        // ln of powers of two is exact up to the split constant: ln 0.5 = -(0.693359375 - 2.12194440e-4).
        Assert.Equal(-(0.693359375f - 2.12194440e-4f), GaussianNoise.LogUnitInterval(0.5f));
        Assert.Equal(0f, GaussianNoise.LogUnitInterval(1f));
    }

    [Property(MaxTest = 300)]
    public void Log_and_the_angle_are_accurate_to_a_few_ulps(uint radiusWord, uint angleWord)
    {
        float u = (int)((radiusWord >> 8) + 1) * (1f / (1 << 24));
        double log = Math.Log(u);
        Assert.True(Math.Abs(GaussianNoise.LogUnitInterval(u) - log) <= 3e-7 * Math.Max(1, Math.Abs(log)), $"ln {u}");
        var (z0, z1) = GaussianNoise.BoxMuller(radiusWord, angleWord);
        double radius = Math.Sqrt(-2 * log), angle = 2 * Math.PI * (angleWord >> 8) / (1 << 24);
        Assert.True(Math.Abs(z0 - radius * Math.Cos(angle)) <= 2e-6 * Math.Max(1, radius), $"cos: {z0} vs {radius * Math.Cos(angle)}");
        Assert.True(Math.Abs(z1 - radius * Math.Sin(angle)) <= 2e-6 * Math.Max(1, radius), $"sin: {z1} vs {radius * Math.Sin(angle)}");
    }

    [Fact]
    public void Values_are_standard_normal()
    {
        const int n = 1 << 20;
        var values = new float[n];
        GaussianNoise.Fill(11, new StreamId(0, 0, 0, 1), 0, values);
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / n;
        double kurtosis = values.Sum(v => Math.Pow(v - mean, 4)) / n / (variance * variance);
        Assert.InRange(mean, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(variance, 1 - 0.01, 1 + 0.01);
        Assert.InRange(kurtosis, 3 - 0.05, 3 + 0.05);
        // Each of the four outputs of a block, and each lane of a group, has the same distribution (no slot is biased).
        for (int slot = 0; slot < 4; slot++)
        {
            var slotValues = values.Where((_, i) => i % GaussianNoise.GroupValues / GaussianNoise.GroupBlocks == slot).Select(v => (double)v).ToArray();
            Assert.InRange(slotValues.Average(), -6 / Math.Sqrt(slotValues.Length), 6 / Math.Sqrt(slotValues.Length));
            Assert.InRange(slotValues.Select(v => v * v).Average(), 0.98, 1.02);
        }
        // Tail mass beyond 3 sigma: 0.27 % for a normal.
        double tail = values.Count(v => Math.Abs(v) > 3) / (double)n;
        Assert.InRange(tail, 0.0027 * 0.9, 0.0027 * 1.1);
    }

    [Fact]
    public void The_two_values_of_a_pair_and_neighbouring_members_are_uncorrelated()
    {
        const int n = 1 << 16;
        var a = new float[n];
        var b = new float[n];
        GaussianNoise.Fill(5, new StreamId(1, 0, 0, 2), 0, a);
        GaussianNoise.Fill(5, new StreamId(1, 1, 0, 2), 0, b);
        Assert.InRange(Correlation(a, b), -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        // Values 16 apart are outputs 0 and 1 of one block (one Box-Muller pair): independent for a normal pair.
        var first = a.Where((_, i) => i % 64 < 16).ToArray();
        var second = a.Where((_, i) => i % 64 is >= 16 and < 32).ToArray();
        Assert.InRange(Correlation(first, second), -5 / Math.Sqrt(first.Length), 5 / Math.Sqrt(first.Length));
    }

    [Fact]
    public void Filling_allocates_nothing()
    {
        var values = new float[1000];
        var widths = Vectorisation.Accelerated;
        for (int w = 0; w < widths.Count; w++) GaussianNoise.Fill(1, new StreamId(0, 0, 0), 3, values, widths[w]); // JIT warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int w = 0; w < widths.Count; w++) GaussianNoise.Fill(1, new StreamId(0, 0, 0), 3, values, widths[w]);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Ranges_outside_the_stream_are_refused()
    {
        var values = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianNoise.Fill(1, default, -1, values));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianNoise.Fill(1, default, GaussianNoise.StreamLength - 3, values));
        GaussianNoise.Fill(1, default, GaussianNoise.StreamLength - 4, values); // the stream's last four values exist
        Assert.Equal(GaussianNoise.Value(1, default, GaussianNoise.StreamLength - 1), values[3]);
    }

    private static double Correlation(float[] x, float[] y)
    {
        double mx = x.Average(v => (double)v), my = y.Average(v => (double)v), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: value {i} is {actual[i]:R}, the scalar reference {expected[i]:R}");
    }
}
