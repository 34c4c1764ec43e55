using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace PdlfFast.Cli;

/// <summary>A run's JSONL log: one record per generation or step, appended as the run goes.</summary>
public static class JsonLines
{
    public static IReadOnlyList<T> Read<T>(string path, JsonTypeInfo<T> type) =>
        File.Exists(path) ? File.ReadLines(path).Select(l => JsonSerializer.Deserialize(l, type)!).ToArray() : [];

    /// <summary>
    /// Keeps the records before <paramref name="generations"/> (those a checkpoint covers; a crash may have logged a
    /// few more) and returns the elapsed seconds of the last one kept.
    /// </summary>
    public static double Truncate<T>(string path, int generations, JsonTypeInfo<T> type, Func<T, int> generation, Func<T, double> elapsed)
    {
        if (!File.Exists(path)) return 0;
        var kept = new List<string>();
        double seconds = 0;
        foreach (var line in File.ReadLines(path))
        {
            var entry = JsonSerializer.Deserialize(line, type);
            if (entry is null || generation(entry) >= generations) break;
            kept.Add(line);
            seconds = elapsed(entry);
        }
        File.WriteAllLines(path, kept);
        return seconds;
    }
}
