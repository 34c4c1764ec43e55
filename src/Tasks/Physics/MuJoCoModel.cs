using System.Reflection;

namespace PdlfFast.Tasks.Physics;

/// <summary>MuJoCo object types used for name lookups (<see cref="MuJoCoModel.IdOf"/>); the values are MuJoCo 2.2.2's mjtObj codes.</summary>
public enum MuJoCoObject
{
    /// <summary>A body (mjOBJ_BODY): index into the nbody x 3 positions of <see cref="MuJoCoData.ReadBodyPositions"/>.</summary>
    Body = 1,
    /// <summary>A joint (mjOBJ_JOINT).</summary>
    Joint = 3,
    /// <summary>A geom (mjOBJ_GEOM).</summary>
    Geom = 5,
    /// <summary>A site (mjOBJ_SITE): index into the nsite x 3 positions of <see cref="MuJoCoData.ReadSitePositions"/>.</summary>
    Site = 6,
    /// <summary>An actuator (mjOBJ_ACTUATOR): index into the control vector.</summary>
    Actuator = 19,
}

/// <summary>
/// A compiled, read-only MuJoCo model: shared by every worker, each of which makes its own <see cref="MuJoCoData"/>.
/// Loading goes through a process-wide lock (MuJoCo's parser keeps global state).
/// </summary>
/// <remarks>
/// Needs MuJoCo 2.2.2 and the shim: every loader calls <see cref="MuJoCoAvailability.Ensure"/> and throws
/// <see cref="PhysicsUnavailableException"/> without them. After loading, the model is immutable and every member may be
/// called from any thread (docs/design.md, "Tasks": one read-only model shared, each thread with its own data).
/// Dispose it only after every <see cref="MuJoCoData"/> made from it; a finalizer frees an undisposed model.
/// The built-in models (<see cref="FromEmbedded"/>) are ant, arm, halfcheetah, hopper and swimmer; each file in
/// <c>src/Tasks/Locomotion/Models</c> documents its joints, timestep and observation.
/// </remarks>
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

    /// <summary>The model's name in messages: the embedded model's name, the file name without extension, or the name given to <see cref="FromXml"/>.</summary>
    public string Name { get; }
    /// <summary>nq: length of the generalised position vector qpos (a free joint takes 7: position and quaternion).</summary>
    public int PositionSize { get; }
    /// <summary>nv: length of the generalised velocity vector qvel (a free joint takes 6).</summary>
    public int VelocitySize { get; }
    /// <summary>nu: number of actuators, i.e. the length of a control vector (a task's action size).</summary>
    public int ActuatorCount { get; }
    /// <summary>nbody: number of bodies, including the world body 0.</summary>
    public int BodyCount { get; }
    /// <summary>njnt: number of joints.</summary>
    public int JointCount { get; }
    /// <summary>nsite: number of sites (marked points such as a fingertip).</summary>
    public int SiteCount { get; }
    /// <summary>ngeom: number of collision and visual geoms.</summary>
    public int GeomCount { get; }
    /// <summary>Physics timestep in seconds (the MJCF's <c>option timestep</c>); a control step is a task's substeps times this.</summary>
    public double Timestep { get; }
    /// <summary>Control limits as (low, high) pairs per actuator, 2 x nu values; unlimited actuators get (-inf, inf).</summary>
    public ReadOnlySpan<double> ControlRange => _controlRange;

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(MuJoCoModel));

    /// <summary>Loads an MJCF document from a string; bad XML raises <see cref="MuJoCoException"/> with MuJoCo's text.</summary>
    /// <param name="xml">A complete MJCF document, compiled from memory as a one-file virtual file system: models that refer to other files (includes, meshes) belong in <see cref="FromFile"/>.</param>
    /// <param name="name">Name for <see cref="Name"/> and error messages.</param>
    /// <exception cref="PhysicsUnavailableException">MuJoCo or the shim is not installed.</exception>
    /// <exception cref="MuJoCoException">MuJoCo rejected the document.</exception>
    public static MuJoCoModel FromXml(string xml, string name = "model")
    {
        ArgumentNullException.ThrowIfNull(xml);
        return Load(name, error => MuJoCoNative.LoadString(xml, error, MuJoCoNative.MessageCapacity));
    }

    /// <summary>Loads an MJCF file.</summary>
    /// <param name="path">Path of the MJCF file; its file name without extension becomes <see cref="Name"/>.</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="PhysicsUnavailableException">MuJoCo or the shim is not installed.</exception>
    /// <exception cref="MuJoCoException">MuJoCo rejected the file.</exception>
    public static MuJoCoModel FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"MJCF model file not found: {path}", path);
        return Load(Path.GetFileNameWithoutExtension(path), error => MuJoCoNative.LoadPath(path, error, MuJoCoNative.MessageCapacity));
    }

    /// <summary>Loads one of the models shipped inside this assembly (Locomotion/Models/NAME.xml).</summary>
    /// <param name="name">ant, arm, halfcheetah, hopper or swimmer (a task's <see cref="PdlfFast.Tasks.Locomotion.LocomotionTask.ModelName"/>).</param>
    /// <exception cref="ArgumentException">No built-in model has that name.</exception>
    /// <exception cref="PhysicsUnavailableException">MuJoCo or the shim is not installed.</exception>
    public static MuJoCoModel FromEmbedded(string name) => FromXml(EmbeddedXml(name), name);

    /// <summary>The MJCF text of a built-in model (to inspect it or load a modified copy); needs no MuJoCo.</summary>
    /// <param name="name">ant, arm, halfcheetah, hopper or swimmer.</param>
    /// <exception cref="ArgumentException">No built-in model has that name.</exception>
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
    /// <param name="type">Kind of object; names are unique only within a kind.</param>
    /// <param name="name">The object's name attribute in the MJCF.</param>
    public int IdOf(MuJoCoObject type, string name) => MuJoCoNative.NameToId(Handle, (int)type, name);

    /// <summary>Index of a named object; throws naming the model when it has none of that name.</summary>
    /// <param name="type">Kind of object.</param>
    /// <param name="name">The object's name attribute in the MJCF.</param>
    /// <exception cref="MuJoCoException">The model has no object of that kind and name.</exception>
    public int RequireId(MuJoCoObject type, string name)
    {
        int id = IdOf(type, name);
        return id >= 0 ? id : throw new MuJoCoException($"Model '{Name}' has no {type.ToString().ToLowerInvariant()} named '{name}'.");
    }

    /// <summary>Mass of body <paramref name="body"/> in kg (after any <see cref="PdlfFast.Tasks.Locomotion.EnvironmentCondition"/>).</summary>
    /// <param name="body">0 .. <see cref="BodyCount"/> - 1 (0 is the world).</param>
    public double BodyMass(int body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(body);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(body, BodyCount);
        return MuJoCoNative.BodyMass(Handle, body);
    }

    /// <summary>First gear entry of actuator <paramref name="actuator"/> (0 when disabled by a condition).</summary>
    /// <param name="actuator">0 .. <see cref="ActuatorCount"/> - 1.</param>
    public double ActuatorGear(int actuator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actuator);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(actuator, ActuatorCount);
        return MuJoCoNative.ActuatorGear(Handle, actuator);
    }

    /// <summary>Sliding friction coefficient of geom <paramref name="geom"/>.</summary>
    /// <param name="geom">0 .. <see cref="GeomCount"/> - 1.</param>
    public double GeomFriction(int geom)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(geom);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(geom, GeomCount);
        return MuJoCoNative.GeomFriction(Handle, geom);
    }

    // Model edits for novel conditions: only on a freshly loaded model that no data has been made from yet
    // (EnvironmentCondition.LoadModel), so the shared model stays immutable once workers use it.
    internal void ScaleFriction(double factor) => MuJoCoNative.ScaleFriction(Handle, factor);

    internal void DisableActuator(int actuator)
    {
        if (MuJoCoNative.DisableActuator(Handle, actuator) != 0)
            throw new MuJoCoException($"Model '{Name}' could not disable actuator {actuator}.");
    }

    internal void ScaleBodyMass(int body, double factor)
    {
        if (MuJoCoNative.ScaleBodyMass(Handle, body, factor) != 0)
            throw new MuJoCoException($"Model '{Name}' could not scale the mass of body {body}: {MuJoCoNative.LastMessageText()}");
    }

    /// <summary>Frees the native model; dispose every <see cref="MuJoCoData"/> made from it first. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_handle != 0) MuJoCoNative.FreeModel(_handle);
        _handle = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native model of an instance that was never disposed.</summary>
    ~MuJoCoModel()
    {
        if (_handle != 0) MuJoCoNative.FreeModel(_handle);
    }
}
