using System.Reflection;

namespace PdlfFast.Tasks.Physics;

/// <summary>MuJoCo object types used for name lookups (mjtObj values).</summary>
public enum MuJoCoObject
{
    Body = 1,
    Joint = 3,
    Geom = 5,
    Site = 6,
    Actuator = 19,
}

/// <summary>
/// A compiled, read-only MuJoCo model: shared by every worker, each of which makes its own <see cref="MuJoCoData"/>.
/// Loading goes through a process-wide lock (MuJoCo's parser keeps global state).
/// </summary>
public sealed unsafe class MuJoCoModel : IDisposable
{
    private static readonly Lock LoadLock = new();
    private readonly double[] _controlRange;
    private nint _handle;

    private MuJoCoModel(nint handle, string name)
    {
        _handle = handle;
        Name = name;
        int* sizes = stackalloc int[7];
        MuJoCoNative.Sizes(handle, sizes);
        PositionSize = sizes[0];
        VelocitySize = sizes[1];
        ActuatorCount = sizes[2];
        BodyCount = sizes[3];
        JointCount = sizes[4];
        SiteCount = sizes[5];
        GeomCount = sizes[6];
        Timestep = MuJoCoNative.Timestep(handle);
        _controlRange = new double[2 * ActuatorCount];
        fixed (double* range = _controlRange) MuJoCoNative.ControlRange(handle, range);
    }

    public string Name { get; }
    /// <summary>nq, nv, nu, nbody, njnt, nsite, ngeom.</summary>
    public int PositionSize { get; }
    public int VelocitySize { get; }
    public int ActuatorCount { get; }
    public int BodyCount { get; }
    public int JointCount { get; }
    public int SiteCount { get; }
    public int GeomCount { get; }
    public double Timestep { get; }
    /// <summary>Control limits as (low, high) pairs per actuator.</summary>
    public ReadOnlySpan<double> ControlRange => _controlRange;

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(MuJoCoModel));

    /// <summary>Loads an MJCF document from a string; bad XML raises <see cref="MuJoCoException"/> with MuJoCo's text.</summary>
    public static MuJoCoModel FromXml(string xml, string name = "model")
    {
        ArgumentNullException.ThrowIfNull(xml);
        return Load(name, error => MuJoCoNative.LoadString(xml, error, MuJoCoNative.MessageCapacity));
    }

    public static MuJoCoModel FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"MJCF model file not found: {path}", path);
        return Load(Path.GetFileNameWithoutExtension(path), error => MuJoCoNative.LoadPath(path, error, MuJoCoNative.MessageCapacity));
    }

    /// <summary>Loads one of the models shipped inside this assembly (Locomotion/Models/NAME.xml).</summary>
    public static MuJoCoModel FromEmbedded(string name) => FromXml(EmbeddedXml(name), name);

    public static string EmbeddedXml(string name)
    {
        using var stream = typeof(MuJoCoModel).Assembly.GetManifestResourceStream($"PdlfFast.Models.{name}.xml")
            ?? throw new ArgumentException($"No built-in model named '{name}'.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private delegate nint Loader(byte* error);

    private static MuJoCoModel Load(string name, Loader loader)
    {
        MuJoCoAvailability.Ensure();
        byte* error = stackalloc byte[MuJoCoNative.MessageCapacity];
        error[0] = 0;
        nint handle;
        lock (LoadLock) handle = loader(error);
        if (handle == 0)
        {
            string text = MuJoCoNative.ReadMessage(new ReadOnlySpan<byte>(error, MuJoCoNative.MessageCapacity));
            throw new MuJoCoException($"MuJoCo could not load model '{name}': {(text.Length > 0 ? text : "unknown error")}");
        }
        return new MuJoCoModel(handle, name);
    }

    /// <summary>Index of a named object, or -1.</summary>
    public int IdOf(MuJoCoObject type, string name) => MuJoCoNative.NameToId(Handle, (int)type, name);

    /// <summary>Index of a named object; throws naming the model when it has none of that name.</summary>
    public int RequireId(MuJoCoObject type, string name)
    {
        int id = IdOf(type, name);
        return id >= 0 ? id : throw new MuJoCoException($"Model '{Name}' has no {type.ToString().ToLowerInvariant()} named '{name}'.");
    }

    public void Dispose()
    {
        if (_handle != 0) MuJoCoNative.FreeModel(_handle);
        _handle = 0;
        GC.SuppressFinalize(this);
    }

    ~MuJoCoModel()
    {
        if (_handle != 0) MuJoCoNative.FreeModel(_handle);
    }
}
