using PdlfFast.Kernel.Simd;

namespace PdlfFast.Tests.Support;

/// <summary>Seeded test inputs: a property's counterexample is its (seed, sizes), so every failure reproduces.</summary>
public sealed class Seeded(int seed)
{
    private readonly Random _random = new(seed);

    public float Uniform(float min, float max) => min + (float)_random.NextDouble() * (max - min);

    public float[] Uniform(int n, float min, float max)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = Uniform(min, max);
        return values;
    }

    /// <summary>Ternary spikes with roughly the given fraction of silent neurons.</summary>
    public float[] Spikes(int n, double silentFraction = 0.6)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = _random.NextDouble();
            values[i] = u < silentFraction ? 0f : u < (1 + silentFraction) / 2 ? 1f : -1f;
        }
        return values;
    }

    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        _random.Shuffle(p);
        return p;
    }

    /// <summary>
    /// Widths to compare against the scalar twin: every one this machine runs, Scalar included (the kernel's own
    /// remainder code, not the twin), so the no-intrinsics test pass still compares something.
    /// </summary>
    public static IEnumerable<SimdWidth> VectorWidths => Vectorisation.Accelerated;

    /// <summary>Maps a generated non-negative int into 1..max (FsCheck grows ints with its size parameter).</summary>
    public static int Size(int raw, int max) => 1 + (int)((uint)raw % (uint)max);
}

public static class Bits
{
    /// <summary>Asserts two float sequences are bit-identical (reporting the first mismatch).</summary>
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: expected {expected[i]:R}, got {actual[i]:R}.");
        }
    }

    /// <summary>Asserts two double sequences are bit-identical (reporting the first mismatch).</summary>
    public static void Equal(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: expected {expected[i]:R}, got {actual[i]:R}.");
        }
    }
}
