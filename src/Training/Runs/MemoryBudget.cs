namespace PdlfFast.Training.Runs;

/// <summary>
/// Refuses configurations that cannot fit in memory before anything is allocated, with the estimate in the message,
/// instead of an OutOfMemoryException deep inside a run.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Memory this process may use (the GC's view: physical memory or the container's limit).</summary>
    public static long Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Throws a <see cref="ConfigException"/> when <paramref name="bytes"/> exceed three quarters of
    /// <see cref="Available"/> (a quarter is left for the runtime, the OS and estimates that run short).
    /// </summary>
    /// <param name="bytes">The configuration's estimate.</param>
    /// <param name="what">What needs it, e.g. "population 65536 x 1,234,567 parameters".</param>
    public static void Ensure(double bytes, string what)
    {
        long available = Available;
        // Leave a quarter for the runtime, the OS and estimates that run short.
        if (!(bytes <= 0.75 * available))
            throw new ConfigException($"{what} needs about {Format(bytes)} of memory; this machine offers {Format(available)}: " +
                                      "reduce the population, the network or the threads");
    }

    /// <summary>
    /// The population matrix is one array: throws a <see cref="ConfigException"/> when population x dimension exceeds
    /// a .NET array's length limit.
    /// </summary>
    public static void EnsurePopulation(long population, long dimension)
    {
        if (population * dimension > Array.MaxLength)
            throw new ConfigException($"population {population} x {dimension:N0} parameters = {population * dimension:N0} values exceeds one array's limit of {Array.MaxLength:N0}: reduce the population or the network");
    }

    /// <summary>A byte count for messages: GiB or MiB with one decimal, else KiB.</summary>
    public static string Format(double bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (1L << 20):F1} MiB",
        _ => $"{bytes / 1024:F0} KiB",
    };
}
