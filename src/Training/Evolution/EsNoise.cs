using PdlfFast.Kernel.Random;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// The evolution strategies' noise streams. Pair k's noise in generation g is a pure function of (seed, g, k) in every
/// stream, so any thread or machine can redraw it; the streams differ in how, and so in their numbers. A strategy's
/// state records its stream, and a restored run continues on the stream it started with.
/// </summary>
public static class EsNoise
{
    /// <summary>
    /// Stream 1 (PdlfFast 0.1): <see cref="RandomStream.FillGaussian"/>, one Philox block per pair of values and Box-Muller
    /// in double precision, scalar.
    /// </summary>
    public const int Stream1 = 1;
    /// <summary>Stream 2: <see cref="GaussianNoise"/>, vectorised, single precision, four values per Philox block.</summary>
    public const int Stream2 = 2;
    /// <summary>The stream new strategies draw from.</summary>
    public const int Current = Stream2;

    public static bool IsKnown(int stream) => stream is Stream1 or Stream2;

    /// <summary>Pair <paramref name="pair"/>'s standard-normal noise for parameters [start, start + length).</summary>
    public static void Draw(int stream, ulong seed, int generation, int pair, Span<float> destination, int start)
    {
        var id = new StreamId((uint)generation, (uint)pair, 0, RandomPurposes.EvolutionNoise);
        switch (stream)
        {
            case Stream2:
                GaussianNoise.Fill(seed, id, start, destination);
                break;
            case Stream1:
                // Each Gaussian pair consumes one Philox block (4 uint32), so parameter 2j starts at stream position 4j.
                RandomStream.At(seed, id, 2UL * (ulong)start).FillGaussian(destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(stream), stream, $"Unknown noise stream; this build knows {Stream1}..{Current}.");
        }
    }
}
