namespace PdlfFast.Training.Evolution;

/// <summary>
/// Each pair's standard-normal noise for the current generation, drawn during ask and read back during tell, so a
/// generation draws every Gaussian once instead of twice. The noise is still a pure function of (seed, generation,
/// pair): tell uses the cache only if ask covered every parameter exactly once this generation, and otherwise
/// regenerates (e.g. a state restored mid-generation). Ranges are disjoint across threads, so no locking is needed.
/// </summary>
internal sealed class NoiseCache(int pairs, int dimension, int stream)
{
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

    /// <summary>Draws pair <paramref name="pair"/>'s noise for [start, end) into the cache and returns it.</summary>
    public ReadOnlySpan<float> Draw(ulong seed, int generation, int pair, int start, int end)
    {
        var slice = _values.AsSpan(pair * dimension + start, end - start);
        EsNoise.Draw(stream, seed, generation, pair, slice, start);
        return slice;
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

    /// <summary>The noise that ask drew for this generation, or a fresh draw of the same values.</summary>
    public ReadOnlySpan<float> Recall(ulong seed, int generation, int pair, int start, int end) =>
        _valid ? _values.AsSpan(pair * dimension + start, end - start) : Draw(seed, generation, pair, start, end);
}
