using System.Text.Json;

namespace PdlfFast.Training.Runs;

/// <summary>Compares a run's stored configuration with the one a resume asks for, key by key.</summary>
public static class ConfigDiff
{
    /// <summary>
    /// The keys of two flat JSON objects whose values differ (ignoring <paramref name="mayChange"/>), each as
    /// <c>--key: the run has X, requested Y</c>; empty when the configurations define the same run.
    /// </summary>
    public static IReadOnlyList<string> Differences(string storedJson, string requestedJson, IReadOnlyCollection<string> mayChange)
    {
        using var stored = JsonDocument.Parse(storedJson);
        using var requested = JsonDocument.Parse(requestedJson);
        var a = Flatten(stored.RootElement);
        var b = Flatten(requested.RootElement);
        var differences = new List<string>();
        foreach (var key in a.Keys.Union(b.Keys).Where(k => !mayChange.Contains(k)).Order(StringComparer.Ordinal))
        {
            string left = a.GetValueOrDefault(key, "(absent)"), right = b.GetValueOrDefault(key, "(absent)");
            if (left != right) differences.Add($"--{key}: the run has {left}, requested {right}");
        }
        return differences;
    }

    /// <summary>Throws a <see cref="ConfigException"/> naming every differing option, or returns quietly.</summary>
    public static void EnsureSame(string storedJson, string requestedJson, IReadOnlyCollection<string> mayChange, string path)
    {
        var differences = Differences(storedJson, requestedJson, mayChange);
        if (differences.Count > 0)
            throw new ConfigException($"the stored run was made with other options ({string.Join("; ", differences)}); pass the run's options " +
                                      $"(only {string.Join(", ", mayChange.Select(k => "--" + k))} may change)", path);
    }

    private static Dictionary<string, string> Flatten(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ConfigException($"a stored config is not a JSON object but {root.ValueKind}");
        return root.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
    }
}
