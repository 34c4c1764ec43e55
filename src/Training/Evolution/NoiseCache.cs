namespace PdlfFast.Training.Evolution;

/// <summary>
/// Each pair's standard-normal noise for the current generation, drawn during ask and read back during tell, so a
/// generation draws every Gaussian once instead of twice. The noise is still a pure function of (seed, generation,
/// pair): tell regenerates it when ask did not run for this generation (e.g. a state restored mid-generation).
/// Ranges are disjoint across threads, so no locking is needed.
/// </summary>
internal sealed class NoiseCache(int pairs, int dimension)
{
    private readonly float[] _values = new float[pairs * dimension];
    private volatile int _generation = -1;

    /// <summary>Draws pair <paramref name="pair"/>'s noise for [start, end) into the cache and returns it.</summary>
    public ReadOnlySpan<float> Draw(ulong seed, int generation, int pair, int start, int end)
    {
        var slice = _values.AsSpan(pair * dimension + start, end - start);
        StrategyChecks.Noise(seed, generation, pair, slice, start);
        _generation = generation;
        return slice;
    }

    /// <summary>The noise that ask drew for this generation, or a fresh draw of the same values.</summary>
    public ReadOnlySpan<float> Recall(ulong seed, int generation, int pair, int start, int end) =>
        _generation == generation ? _values.AsSpan(pair * dimension + start, end - start) : Draw(seed, generation, pair, start, end);
}
