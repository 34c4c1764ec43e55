using PdlfFast.Kernel.Random;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// The evolution strategies' noise streams. Pair k's noise in generation g is a pure function of (seed, g, k) in every
/// stream, so any thread or machine can redraw it; the streams differ in how, and so in their numbers. A strategy's
/// state records its stream, and a restored run continues on the stream it started with.
/// </summary>
/// <remarks>
/// Counter-based (Philox4x32-10 addressed by seed, generation, pair and <see cref="RandomPurposes.EvolutionNoise"/>):
/// a value depends only on its address, never on which thread drew what before, hence the same bits on any thread
/// count and split of the parameters. Stream 2 gives the same bits at every vector width (docs/design.md,
/// "Evolution strategies" and "Vector paths and determinism"). Pure and thread-safe.
/// </remarks>
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

    /// <summary>Whether this build can draw from <paramref name="stream"/>.</summary>
    public static bool IsKnown(int stream) => stream is Stream1 or Stream2;

    /// <summary>
    /// Pair <paramref name="pair"/>'s standard-normal noise for parameters [start, start + length) of generation
    /// <paramref name="generation"/>: the same values whatever range the rest of the vector was drawn in.
    /// Allocates nothing.
    /// </summary>
    /// <param name="stream">The noise stream (<see cref="Stream1"/> or <see cref="Stream2"/>).</param>
    /// <param name="seed">The strategy's seed (<see cref="PgpeOptions.Seed"/>, <see cref="OpenAiEsOptions.Seed"/>).</param>
    /// <param name="generation">The generation being asked or told.</param>
    /// <param name="pair">The mirrored pair: members 2 pair and 2 pair + 1 share this noise with opposite signs.</param>
    /// <param name="destination">Receives one value per parameter; its length is the range's length.</param>
    /// <param name="start">
    /// First parameter of the range; even (<see cref="IEvolutionStrategy.RangeAlignment"/>), or the values would not be
    /// those a whole-vector draw gives these parameters.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stream"/> is not known to this build.</exception>
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
