using System.Runtime.InteropServices;

namespace PdlfFast.Tasks.Physics;

/// <summary>Thrown when the physics engine cannot be used on this machine; the message says what to install.</summary>
public sealed class PhysicsUnavailableException(string message) : PdlfFast.Training.Runs.RunException(message);

/// <summary>Thrown when MuJoCo rejects a model or fails inside a call; carries MuJoCo's own text.</summary>
public sealed class MuJoCoException(string message) : PdlfFast.Training.Runs.RunException(message);

/// <summary>
/// Checks, once per process, that the MuJoCo runtime and our shim can be loaded, so a missing package is reported by
/// name instead of as a bare DllNotFoundException from the first P/Invoke.
/// </summary>
public static class MuJoCoAvailability
{
    public const string RuntimeLibrary = "libmujoco.so.2.2.2";
    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Null when physics is usable, otherwise what is missing and how to install it.</summary>
    public static string? Diagnose() => Problem.Value;

    public static void Ensure()
    {
        if (Problem.Value is { } problem) throw new PhysicsUnavailableException(problem);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "MuJoCo physics is supported on Linux only (Debian/Ubuntu package libmujoco2.2.2).";
        if (!NativeLibrary.TryLoad(RuntimeLibrary, out _))
            return $"MuJoCo 2.2.2 runtime not found ({RuntimeLibrary}). Install it: apt-get install libmujoco2.2.2 " +
                   "(or libmujoco-dev, which is also needed to build the shim).";
        // Load the shim the way the P/Invokes will: next to the assemblies (a build or AOT publish) or from the
        // package's runtimes/linux-x64/native folder that the host's deps.json names (a NuGet reference).
        if (!NativeLibrary.TryLoad(MuJoCoNative.Shim, typeof(MuJoCoAvailability).Assembly, null, out _))
        {
            string local = Path.Combine(AppContext.BaseDirectory, MuJoCoNative.Shim + ".so");
            return File.Exists(local)
                ? $"The MuJoCo shim {local} exists but does not load; rebuild it (apt-get install libmujoco-dev)."
                : $"The MuJoCo shim ({MuJoCoNative.Shim}.so) is neither next to the assemblies nor in the package's " +
                  "runtimes/linux-x64/native folder: build from source with a C compiler and the MuJoCo headers " +
                  "(apt-get install gcc libmujoco-dev), or reference the PdlfFast.Tasks package on linux-x64.";
        }
        int version = MuJoCoNative.Version();
        return version == 222 ? null : $"Expected MuJoCo 2.2.2 (version 222), found version {version}.";
    }
}
