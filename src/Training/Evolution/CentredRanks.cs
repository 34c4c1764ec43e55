namespace PdlfFast.Training.Evolution;

/// <summary>
/// Centred-rank fitness shaping (Salimans et al. 2017; EvoJAX <c>rank / (n - 1) - 0.5</c>): the worst member gets
/// -0.5, the best +0.5, whatever the fitness scale, so one outlier cannot dominate an update. Non-finite fitness
/// (NaN, +-Inf from a diverged episode) ranks below every finite value; ties rank by member index, so the
/// result is a pure function of the fitness order (docs/design.md, "Evolution strategies").
/// </summary>
/// <remarks>Pure and thread-safe; works in caller-provided buffers and allocates nothing.</remarks>
public static class CentredRanks
{
    /// <summary>
    /// Writes the shaped fitness of every member into <paramref name="shaped"/>; <paramref name="keys"/> is scratch
    /// of the same length. Returns how many fitness values were not finite. Allocates nothing.
    /// </summary>
    /// <param name="fitness">One fitness per member, higher is better; any values, NaN and infinities included.</param>
    /// <param name="shaped">Receives <c>rank / (n - 1) - 0.5</c> per member (rank 0 = worst); 0 for a single member.</param>
    /// <param name="keys">Scratch, overwritten (sort keys: order-preserving fitness bits, then member index).</param>
    /// <exception cref="ArgumentException">The three spans differ in length.</exception>
    public static int Compute(ReadOnlySpan<float> fitness, Span<float> shaped, Span<ulong> keys)
    {
        int n = fitness.Length;
        if (shaped.Length != n || keys.Length != n)
            throw new ArgumentException($"Fitness, shaped and key spans must all have length {n} (got {shaped.Length} and {keys.Length}).");
        int nonFinite = 0;
        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(fitness[i])) nonFinite++;
            // Sorting (order-preserving fitness bits, member index) as one integer gives ties-by-index for free.
            keys[i] = ((ulong)OrderedBits(fitness[i]) << 32) | (uint)i;
        }
        keys.Sort();
        float denominator = n - 1;
        for (int r = 0; r < n; r++) shaped[(int)(uint)keys[r]] = n > 1 ? r / denominator - 0.5f : 0f;
        return nonFinite;
    }

    /// <summary>
    /// Maps finite floats to unsigned integers in the same order; non-finite values map to 0, below all. -0 and +0 map
    /// to the same value, so they tie (and then rank by member index).
    /// </summary>
    public static uint OrderedBits(float f)
    {
        if (!float.IsFinite(f)) return 0;
        if (f == 0f) f = 0f; // -0 ties with +0
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }
}
