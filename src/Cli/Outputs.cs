using PdlfFast.Training.Runs;

namespace PdlfFast.Cli;

/// <summary>Output directories named by options (--plots, --out of eval-like commands), checked with one-line errors.</summary>
public static class Outputs
{
    /// <summary>Creates <paramref name="path"/> if needed; a file there, an empty path or no permission is a clear error naming <paramref name="option"/>.</summary>
    public static string EnsureDirectory(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException($"{option} is an empty path");
        if (path.Contains('\0')) throw new ConfigException($"{option} contains a NUL character");
        if (File.Exists(path)) throw new ConfigException($"{option} names a file, not a directory", path);
        try
        {
            return Directory.CreateDirectory(path).FullName;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ConfigException($"{option} is not a usable path: {e.Message}", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot create the {option} directory: {e.Message}", path, inner: e);
        }
    }
}
