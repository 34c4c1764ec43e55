using System.Runtime.InteropServices;

namespace PdlfFast.Tasks.Physics;

/// <summary>
/// Thrown when the physics engine cannot be used on this machine (not Linux, Debian's <c>libmujoco2.2.2</c> missing,
/// or the shim <c>libpdlfmujoco.so</c> not built); the message names what to install. A
/// <see cref="PdlfFast.Training.Runs.RunException"/>, so the CLI reports it as a user error, not a crash.
/// </summary>
/// <param name="message">What is missing and the <c>apt-get install</c> line that provides it.</param>
public sealed class PhysicsUnavailableException(string message) : PdlfFast.Training.Runs.RunException(message);

/// <summary>
/// Thrown when MuJoCo rejects a model (bad MJCF, unknown object name) or fails inside a call; carries MuJoCo's own
/// text, which the shim captures instead of letting MuJoCo print it and exit (docs/design.md, "Tasks").
/// </summary>
/// <param name="message">What failed, with MuJoCo's error text.</param>
public sealed class MuJoCoException(string message) : PdlfFast.Training.Runs.RunException(message);

/// <summary>
/// Checks, once per process, that the MuJoCo runtime and our shim can be loaded, so a missing package is reported by
/// name instead of as a bare DllNotFoundException from the first P/Invoke.
/// </summary>
/// <remarks>
/// Physics needs Linux, Debian's MuJoCo 2.2.2 runtime (<c>apt-get install libmujoco2.2.2</c>) and the shim
/// <c>libpdlfmujoco.so</c> next to the assemblies, which the build compiles from <c>Native/mjshim.c</c> only when a C
/// compiler and <c>libmujoco-dev</c> are present. Without them everything in this assembly except locomotion still
/// works; every entry point that needs physics (<see cref="MuJoCoModel"/> loading, locomotion runs) calls
/// <see cref="Ensure"/> first and throws <see cref="PhysicsUnavailableException"/>. The probe runs once and its
/// result is cached for the life of the process; both members are thread-safe.
/// </remarks>
public static class MuJoCoAvailability
{
    /// <summary>
    /// File name of the MuJoCo runtime the shim is linked against (Debian package <c>libmujoco2.2.2</c>). The version is
    /// pinned: the shim and our MJCF models are written for 2.2.2, and another version is reported, not used.
    /// </summary>
    public const string RuntimeLibrary = "libmujoco.so.2.2.2";
    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Null when physics is usable, otherwise what is missing and how to install it (for status lines and skipped tests).</summary>
    public static string? Diagnose() => Problem.Value;

    /// <summary>Returns when physics is usable; otherwise throws <see cref="PhysicsUnavailableException"/> with <see cref="Diagnose"/>'s text.</summary>
    /// <exception cref="PhysicsUnavailableException">MuJoCo 2.2.2 or the shim cannot be loaded.</exception>
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
