using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Random;

namespace PdlfFast.Tests.Kernel;

public class RandomStreamTests
{
    [Theory]
    // Random123's known-answer vectors for philox4x32-10: counter words, key words, expected output.
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox_matches_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal((e0, e1, e2, e3), Philox4x32.Block(c0, c1, c2, c3, k0, k1));
    }

    [Property(MaxTest = 100)]
    public void Same_seed_and_stream_reproduce(ulong seed, uint generation, uint member, uint episode)
    {
        var id = new StreamId(generation, member, episode);
        var a = new RandomStream(seed, id);
        var b = new RandomStream(seed, id);
        for (int i = 0; i < 9; i++) Assert.Equal(a.NextUInt32(), b.NextUInt32());
    }

    [Fact]
    public void Every_address_component_gives_a_different_stream()
    {
        var baseline = Draw(new RandomStream(1, new StreamId(2, 3, 4, 5)));
        foreach (var other in new[]
                 {
                     new RandomStream(2, new StreamId(2, 3, 4, 5)), new RandomStream(1, new StreamId(3, 3, 4, 5)),
                     new RandomStream(1, new StreamId(2, 4, 4, 5)), new RandomStream(1, new StreamId(2, 3, 5, 5)),
                     new RandomStream(1, new StreamId(2, 3, 4, 6)),
                 })
            Assert.NotEqual(baseline, Draw(other));
        static uint[] Draw(RandomStream s) => Enumerable.Range(0, 8).Select(_ => s.NextUInt32()).ToArray();
    }

    [Fact]
    public void Neighbouring_streams_are_uncorrelated()
    {
        const int n = 20000;
        var a = new RandomStream(7, new StreamId(0, 0, 0));
        var b = new RandomStream(7, new StreamId(0, 1, 0));
        double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double x = a.NextDouble(), y = b.NextDouble();
            sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
        }
        double r = (sab - sa * sb / n) / Math.Sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
        Assert.True(Math.Abs(r) < 5 / Math.Sqrt(n), $"Pearson r = {r:F4}");
    }

    [Fact]
    public void Uniform_floats_have_the_right_moments_and_fill_64_buckets_evenly()
    {
        const int n = 200_000, buckets = 64;
        var s = new RandomStream(11, new StreamId(1, 2, 3));
        var counts = new int[buckets];
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            float u = s.NextFloat();
            Assert.InRange(u, 0f, 0.99999994f);
            sum += u; sumSq += u * u;
            counts[(int)(u * buckets)]++;
        }
        double mean = sum / n, variance = sumSq / n - mean * mean;
        Assert.True(Math.Abs(mean - 0.5) < 5 * Math.Sqrt(1.0 / 12 / n), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1.0 / 12) < 5 * Math.Sqrt(1.0 / 180 / n), $"variance {variance}"); // Var(u^2) = 1/180 bounds it
        double expected = (double)n / buckets, chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // 63 degrees of freedom: P(chi2 > 112.3) = 1e-4.
        Assert.True(chi2 < 112.3, $"chi-square {chi2:F1}");
    }

    [Fact]
    public void Gaussians_have_unit_variance_and_the_normal_one_sigma_mass()
    {
        const int n = 200_000;
        var values = new float[n];
        new RandomStream(3, new StreamId(0, 0, 0, 9)).FillGaussian(values);
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => ((double)v - mean) * ((double)v - mean));
        double within = values.Count(v => Math.Abs(v) <= 1) / (double)n;
        Assert.True(Math.Abs(mean) < 5 / Math.Sqrt(n), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 5 * Math.Sqrt(2.0 / n), $"variance {variance}");
        Assert.True(Math.Abs(within - 0.682689) < 5 * Math.Sqrt(0.682689 * 0.317311 / n), $"P(|z| <= 1) = {within}");
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Integers_below_a_non_power_of_two_are_unbiased()
    {
        const int n = 120_000, range = 12;
        var s = new RandomStream(5, new StreamId(0, 0, 1));
        var counts = new int[range];
        for (int i = 0; i < n; i++) counts[s.NextInt(range)]++;
        double expected = (double)n / range, chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // 11 degrees of freedom: P(chi2 > 37.4) = 1e-4.
        Assert.True(chi2 < 37.4, $"chi-square {chi2:F1}");
    }

    [Property(MaxTest = 100)]
    public void A_stream_rebuilt_at_its_position_continues_identically(ulong seed, byte skip)
    {
        var id = new StreamId(4, 5, 6, 7);
        var original = new RandomStream(seed, id);
        for (int i = 0; i < skip; i++) original.NextUInt32();
        Assert.Equal((ulong)skip, original.Position);
        var rebuilt = RandomStream.At(seed, id, original.Position);
        for (int i = 0; i < 11; i++) Assert.Equal(original.NextUInt32(), rebuilt.NextUInt32());
    }

    [Fact]
    public void Filling_gaussians_allocates_nothing()
    {
        var values = new float[10_000];
        var s = new RandomStream(1, new StreamId(0, 0, 0));
        s.FillGaussian(values);
        long before = GC.GetAllocatedBytesForCurrentThread();
        s.FillGaussian(values);
        s.FillUniform(values, -1f, 1f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Exhausted_streams_refuse_to_wrap()
    {
        var s = RandomStream.At(1, new StreamId(0, 0, 0), (1UL << 34) - 1);
        s.NextUInt32();
        Assert.Throws<InvalidOperationException>(() => s.NextUInt32());
    }
}
