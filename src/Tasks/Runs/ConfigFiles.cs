using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>Reading configuration files and documents with errors that say which file and what is wrong.</summary>
/// <remarks>Internal: hosts read configs through <see cref="CopyConfig.FromFile"/>, <see cref="LocomotionConfig.FromFile"/> and the like.</remarks>
internal static class ConfigFiles
{
    /// <summary>Config files are small; anything larger is not one (and is not read into memory).</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>Reads a whole config file as UTF-8, refusing directories and files over <see cref="MaxBytes"/>.</summary>
    /// <exception cref="ConfigException">Names the path and what is wrong.</exception>
    public static string ReadText(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException("the config path is empty");
        if (Directory.Exists(path)) throw new ConfigException("the config is a directory, not a JSON file", path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[MaxBytes + 1];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxBytes) throw new ConfigException($"the config is larger than {MaxBytes} bytes: not a config file", path);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (FileNotFoundException e)
        {
            throw new ConfigException("no such config file", path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ConfigException("no such config file", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read the config: {e.Message}", path, e);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"the config path is not usable: {e.Message}", path, e);
        }
    }

    /// <summary>Says which key is wrong and what it should hold, without .NET type names.</summary>
    private static string Humanise(JsonException e)
    {
        string key = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "";
        string message = e.Message;
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
        {
            string type = message["The JSON value could not be converted to ".Length..].TrimEnd('.');
            string expected = type switch
            {
                var t when t.Contains("UInt") => "a whole number >= 0",
                var t when t.Contains("Int") => "a whole number",
                var t when t.Contains("Double") || t.Contains("Single") => "a number",
                var t when t.Contains("Boolean") => "true or false",
                var t when t.Contains("String[]") => "a list of strings",
                var t when t.Contains("String") => "a string",
                _ => "another kind of value",
            };
            return $"'{key}' must be {expected}";
        }
        var isNull = System.Text.RegularExpressions.Regex.Match(message, "^The property or field '(?<key>.*)' on type .* doesn't allow setting null values");
        if (isNull.Success) return $"'{isNull.Groups["key"].Value}' must not be null";
        var unknown = System.Text.RegularExpressions.Regex.Match(message, "^The JSON property '(?<key>.*)' could not be mapped");
        if (unknown.Success) return $"unknown key '{unknown.Groups["key"].Value}' (keys are the options' names without the dashes, e.g. \"length\")";
        return key.Length > 0 ? $"{message.TrimEnd('.')} (at '{key}')" : message.TrimEnd('.');
    }

    /// <summary>Parses a config document; <paramref name="what"/> names its kind and <paramref name="source"/> where it came from.</summary>
    public static T Parse<T>(string json, JsonTypeInfo<T> type, string what, string source) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new ConfigException($"the {what} is empty (null)", source);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"not a valid {what}: {Humanise(e)}", source, e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or FormatException or OverflowException)
        {
            throw new ConfigException($"not a valid {what}: {e.Message}", source, e);
        }
    }
}

/// <summary>The PDLF term sets by name (<c>--rule</c>); an unknown name is an error, never a default.</summary>
/// <remarks>The names are the config files' vocabulary (docs/design.md, "Network and neuron model": ABCD, the ACD ablation with B = 0, the BD ablation with A = 0).</remarks>
public static class TermSets
{
    /// <summary>The names <c>--rule</c> accepts (<see cref="PdlfTermSets.Names"/>).</summary>
    public static IReadOnlyList<string> Names => PdlfTermSets.Names;

    /// <summary>The term set named by <c>--rule</c> (exact, lower case).</summary>
    /// <param name="name">abcd, acd or bd.</param>
    /// <exception cref="ConfigException">Any other name; the message lists the valid ones.</exception>
    public static PdlfTermSet Parse(string name) => PdlfTermSets.TryParse(name, out var terms)
        ? terms
        : throw new ConfigException($"--rule must be one of {string.Join(", ", Names)} (got '{name}')");
}
