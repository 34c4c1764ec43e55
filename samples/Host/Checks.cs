namespace PdlfHost;

/// <summary>Argument checks shared by the scenarios: a bad path is a usage error (exit 2), said in one line.</summary>
internal static class Checks
{
    public const int UsageError = 2;

    /// <summary>
    /// The checkpoint file <paramref name="path"/> names: the file itself, or checkpoint.ckpt inside a run directory
    /// (what <c>pdlf train --out DIR</c> writes). Null, with the error printed, when there is none.
    /// </summary>
    public static string? Checkpoint(string path)
    {
        if (File.Exists(path)) return path;
        string inside = Path.Combine(path, "checkpoint.ckpt");
        if (Directory.Exists(path) && File.Exists(inside)) return inside;
        Console.Error.WriteLine(Directory.Exists(path)
            ? $"error: no checkpoint.ckpt in this directory ({path})"
            : $"error: checkpoint not found ({path})");
        return null;
    }
}
