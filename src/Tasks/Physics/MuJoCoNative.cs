using System.Runtime.InteropServices;

namespace PdlfFast.Tasks.Physics;

/// <summary>P/Invoke surface of Native/mjshim.c. Pointers are opaque: the shim owns every MuJoCo struct access.</summary>
internal static unsafe partial class MuJoCoNative
{
    public const string Shim = "libpdlfmujoco";
    public const int MessageCapacity = 1024;

    [LibraryImport(Shim, EntryPoint = "mjs_version")]
    public static partial int Version();

    [LibraryImport(Shim, EntryPoint = "mjs_last_message")]
    public static partial void LastMessage(byte* buffer, int size);

    [LibraryImport(Shim, EntryPoint = "mjs_load_path", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint LoadPath(string path, byte* error, int errorSize);

    [LibraryImport(Shim, EntryPoint = "mjs_load_string", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint LoadString(string xml, byte* error, int errorSize);

    [LibraryImport(Shim, EntryPoint = "mjs_free_model")]
    public static partial void FreeModel(nint model);

    [LibraryImport(Shim, EntryPoint = "mjs_make_data")]
    public static partial nint MakeData(nint model);

    [LibraryImport(Shim, EntryPoint = "mjs_free_data")]
    public static partial void FreeData(nint data);

    [LibraryImport(Shim, EntryPoint = "mjs_sizes")]
    public static partial void Sizes(nint model, int* sizes);

    [LibraryImport(Shim, EntryPoint = "mjs_timestep")]
    public static partial double Timestep(nint model);

    [LibraryImport(Shim, EntryPoint = "mjs_ctrl_range")]
    public static partial void ControlRange(nint model, double* range);

    [LibraryImport(Shim, EntryPoint = "mjs_name_to_id", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int NameToId(nint model, int type, string name);

    [LibraryImport(Shim, EntryPoint = "mjs_reset")]
    public static partial int Reset(nint model, nint data, double* qposOffset, double* qvelOffset);

    [LibraryImport(Shim, EntryPoint = "mjs_set_state")]
    public static partial int SetState(nint model, nint data, double* qpos, double* qvel);

    [LibraryImport(Shim, EntryPoint = "mjs_step")]
    public static partial int Step(nint model, nint data, double* ctrl, int substeps, int extras);

    [LibraryImport(Shim, EntryPoint = "mjs_get_state")]
    public static partial void GetState(nint model, nint data, double* qpos, double* qvel);

    [LibraryImport(Shim, EntryPoint = "mjs_body_positions")]
    public static partial void BodyPositions(nint model, nint data, double* xpos);

    [LibraryImport(Shim, EntryPoint = "mjs_site_positions")]
    public static partial void SitePositions(nint model, nint data, double* xpos);

    [LibraryImport(Shim, EntryPoint = "mjs_contact_forces")]
    public static partial void ContactForces(nint model, nint data, double* cfrcExt);

    [LibraryImport(Shim, EntryPoint = "mjs_time")]
    public static partial double Time(nint data);

    [LibraryImport(Shim, EntryPoint = "mjs_scale_friction")]
    public static partial void ScaleFriction(nint model, double factor);

    [LibraryImport(Shim, EntryPoint = "mjs_scale_body_mass")]
    public static partial int ScaleBodyMass(nint model, int body, double factor);

    [LibraryImport(Shim, EntryPoint = "mjs_disable_actuator")]
    public static partial int DisableActuator(nint model, int actuator);

    [LibraryImport(Shim, EntryPoint = "mjs_body_mass")]
    public static partial double BodyMass(nint model, int body);

    [LibraryImport(Shim, EntryPoint = "mjs_actuator_gear")]
    public static partial double ActuatorGear(nint model, int actuator);

    [LibraryImport(Shim, EntryPoint = "mjs_geom_friction")]
    public static partial double GeomFriction(nint model, int geom);

    /// <summary>The calling thread's last MuJoCo error or warning text.</summary>
    public static string LastMessageText()
    {
        byte* buffer = stackalloc byte[MessageCapacity];
        LastMessage(buffer, MessageCapacity);
        return ReadMessage(new ReadOnlySpan<byte>(buffer, MessageCapacity));
    }

    public static string ReadMessage(ReadOnlySpan<byte> buffer)
    {
        int end = buffer.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? buffer : buffer[..end]).Trim();
    }
}
