using System.Runtime.Intrinsics.X86;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// Each pair's standard-normal noise for the current generation, drawn during ask and read back during tell, so a
/// generation draws every Gaussian once instead of twice. The noise is still a pure function of (seed, generation,
/// pair): tell uses the cache only if ask covered every parameter exactly once this generation, and otherwise
/// regenerates (e.g. a state restored mid-generation). Ranges are disjoint across threads, so no locking is needed.
/// <para>
/// Layout: block-major. The parameters are cut into blocks of <see cref="Block"/>, and a block holds every pair's noise
/// for it, pair after pair. Ask and tell visit one block for all pairs at a time, so each visit reads or writes one
/// contiguous 512 KB run instead of 128 runs of 4 KB spread over the 27 MB cache (the copy task's draw into the
/// strided layout took 7.7 ms against 5.2 ms, one thread). Every range passed in must lie within one block.
/// </para>
/// </summary>
internal sealed class NoiseCache(int pairs, int dimension, int stream)
{
    /// <summary>Parameters per block; even, so blocks start on Gaussian pairs, and the strategies' ask and tell chunk.</summary>
    public const int Block = 1024;

    /// <summary>Where the piece of [start, end) that begins at <paramref name="start"/> ends: the range's end or the block's.</summary>
    public static int PieceEnd(int start, int end) => Math.Min(end, (start / Block + 1) * Block);

    private readonly float[] _values = new float[pairs * dimension];
    private long _askedParameters;
    private bool _valid;

    /// <summary>The <see cref="EsNoise"/> stream drawn from; a restored state may switch it (between generations).</summary>
    public int Stream
    {
        get => stream;
        set
        {
            if (!EsNoise.IsKnown(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown noise stream.");
            stream = value;
            Clear();
        }
    }

    /// <summary>Pair <paramref name="pair"/>'s noise for [start, start + destination.Length), not cached.</summary>
    public void DrawUncached(ulong seed, int generation, int pair, Span<float> destination, int start) =>
        EsNoise.Draw(stream, seed, generation, pair, destination, start);

    /// <summary>Draws pair <paramref name="pair"/>'s noise for [start, end) (within one block) into the cache and returns it.</summary>
    public ReadOnlySpan<float> Draw(ulong seed, int generation, int pair, int start, int end)
    {
        var slice = Slice(pair, start, end);
        EsNoise.Draw(stream, seed, generation, pair, slice, start);
        return slice;
    }

    /// <summary>
    /// Draws pair <paramref name="pair"/>'s noise for [start, end) (within one block) into <paramref name="scratch"/>,
    /// where the caller uses it while it is in L1, and streams it into the cache past the CPU caches.
    /// </summary>
    public ReadOnlySpan<float> DrawStreaming(ulong seed, int generation, int pair, int start, int end, Span<float> scratch)
    {
        var values = scratch[..(end - start)];
        EsNoise.Draw(stream, seed, generation, pair, values, start);
        MirroredMember.CopyStreaming(values, Slice(pair, start, end));
        return values;
    }

    private Span<float> Slice(int pair, int start, int end)
    {
        int blockStart = start / Block * Block, blockLength = Math.Min(Block, dimension - blockStart);
        if (end > blockStart + blockLength) throw new ArgumentOutOfRangeException(nameof(end), end, $"[{start}, {end}) crosses a noise block boundary.");
        return _values.AsSpan(blockStart * pairs + pair * blockLength + (start - blockStart), end - start);
    }

    /// <summary>Ask finished a range for every pair.</summary>
    public void Asked(int start, int end) => Interlocked.Add(ref _askedParameters, end - start);

    /// <summary>Decides, once per tell, whether the cache holds this generation's noise.</summary>
    public void BeginTell() => _valid = Interlocked.Read(ref _askedParameters) == dimension;

    /// <summary>Forgets the generation (after tell, or when state is restored).</summary>
    public void Clear()
    {
        Interlocked.Exchange(ref _askedParameters, 0);
        _valid = false;
    }

    /// <summary>
    /// Asks the CPU to start loading pair <paramref name="pair"/>'s cached noise for [start, end) (within one block), if
    /// the cache is in use: tell calls it a pass ahead, since the cache comes back from memory (ask wrote it past the
    /// caches) and the pair sums alone do not keep enough reads in flight.
    /// </summary>
    public unsafe void Prefetch(int pair, int start, int end)
    {
        if (!_valid || !Sse.IsSupported || pair >= pairs) return;
        var slice = Slice(pair, start, end);
        fixed (float* first = slice)
        {
            for (int i = 0; i < slice.Length; i += 64 / sizeof(float)) Sse.Prefetch0(first + i);
        }
    }

    /// <summary>The noise that ask drew for this generation, or a fresh draw of the same values.</summary>
    public ReadOnlySpan<float> Recall(ulong seed, int generation, int pair, int start, int end) =>
        _valid ? Slice(pair, start, end) : Draw(seed, generation, pair, start, end);
}
