namespace PdlfFast.Tasks.Physics;

/// <summary>Derived quantities a control step should leave up to date (they cost extra engine passes).</summary>
[Flags]
public enum StepExtras
{
    None = 0,
    /// <summary>External contact forces per body (cfrc_ext), needed by contact costs.</summary>
    ContactForces = 1,
    /// <summary>Body and site positions for the new state; otherwise they lag one substep behind qpos.</summary>
    Positions = 2,
}

/// <summary>What a control step did to the simulation.</summary>
public enum StepOutcome
{
    Ok = 0,
    /// <summary>NaN/Inf state or MuJoCo's bad qpos/qvel/qacc warning (MuJoCo has reset the state): end the episode.</summary>
    Unstable = 1,
    /// <summary>MuJoCo raised an error inside the step; the data was reset to the reference state.</summary>
    Error = -1,
}

/// <summary>
/// One simulation state (mjData) of a shared <see cref="MuJoCoModel"/>: owned by one worker at a time. All calls are
/// allocation-free; buffers are the caller's, in MuJoCo's double precision.
/// </summary>
public sealed unsafe class MuJoCoData : IDisposable
{
    private nint _handle;

    public MuJoCoData(MuJoCoModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _handle = MuJoCoNative.MakeData(model.Handle);
        if (_handle == 0) throw new MuJoCoException($"MuJoCo could not allocate data for model '{model.Name}': {LastMessage()}");
    }

    public MuJoCoModel Model { get; }
    public double Time => MuJoCoNative.Time(Handle);
    private nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(MuJoCoData));

    /// <summary>Resets to the model's reference pose plus optional offsets (nq and nv long), then runs forward kinematics.</summary>
    public void Reset(ReadOnlySpan<double> positionOffset = default, ReadOnlySpan<double> velocityOffset = default)
    {
        CheckLength(positionOffset, Model.PositionSize, nameof(positionOffset), allowEmpty: true);
        CheckLength(velocityOffset, Model.VelocitySize, nameof(velocityOffset), allowEmpty: true);
        fixed (double* q = positionOffset)
        fixed (double* v = velocityOffset)
        {
            if (MuJoCoNative.Reset(Model.Handle, Handle, positionOffset.IsEmpty ? null : q, velocityOffset.IsEmpty ? null : v) != 0)
                throw new MuJoCoException($"MuJoCo reset failed: {LastMessage()}");
        }
    }

    /// <summary>Sets qpos and qvel exactly (hand-set states in tests, replays).</summary>
    public void SetState(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity)
    {
        CheckLength(position, Model.PositionSize, nameof(position));
        CheckLength(velocity, Model.VelocitySize, nameof(velocity));
        fixed (double* q = position)
        fixed (double* v = velocity)
        {
            if (MuJoCoNative.SetState(Model.Handle, Handle, q, v) != 0)
                throw new MuJoCoException($"MuJoCo forward failed: {LastMessage()}");
        }
    }

    /// <summary>
    /// Applies <paramref name="control"/> (nu values) for <paramref name="substeps"/> physics steps. With
    /// <paramref name="contactForces"/> the external contact forces are computed after the last substep.
    /// On <see cref="StepOutcome.Error"/> the data is reset so the caller may go on with a new episode.
    /// </summary>
    public StepOutcome Step(ReadOnlySpan<double> control, int substeps, StepExtras extras = StepExtras.None)
    {
        CheckLength(control, Model.ActuatorCount, nameof(control));
        ArgumentOutOfRangeException.ThrowIfLessThan(substeps, 1);
        int result;
        fixed (double* c = control) result = MuJoCoNative.Step(Model.Handle, Handle, c, substeps, (int)extras);
        if (result < 0)
        {
            MuJoCoNative.Reset(Model.Handle, Handle, null, null);
            return StepOutcome.Error;
        }
        return result == 0 ? StepOutcome.Ok : StepOutcome.Unstable;
    }

    public void ReadState(Span<double> position, Span<double> velocity)
    {
        CheckLength(position, Model.PositionSize, nameof(position));
        CheckLength(velocity, Model.VelocitySize, nameof(velocity));
        fixed (double* q = position)
        fixed (double* v = velocity) MuJoCoNative.GetState(Model.Handle, Handle, q, v);
    }

    /// <summary>World positions of all bodies, nbody x 3.</summary>
    public void ReadBodyPositions(Span<double> positions)
    {
        CheckLength(positions, 3 * Model.BodyCount, nameof(positions));
        fixed (double* p = positions) MuJoCoNative.BodyPositions(Model.Handle, Handle, p);
    }

    /// <summary>World positions of all sites, nsite x 3.</summary>
    public void ReadSitePositions(Span<double> positions)
    {
        CheckLength(positions, 3 * Model.SiteCount, nameof(positions));
        fixed (double* p = positions) MuJoCoNative.SitePositions(Model.Handle, Handle, p);
    }

    /// <summary>External contact forces per body (cfrc_ext), nbody x 6; valid after a step with <see cref="StepExtras.ContactForces"/>.</summary>
    public void ReadContactForces(Span<double> forces)
    {
        CheckLength(forces, 6 * Model.BodyCount, nameof(forces));
        fixed (double* f = forces) MuJoCoNative.ContactForces(Model.Handle, Handle, f);
    }

    private static void CheckLength(ReadOnlySpan<double> span, int expected, string name, bool allowEmpty = false)
    {
        if (span.Length != expected && !(allowEmpty && span.IsEmpty))
            throw new ArgumentException($"Expected {expected} values, got {span.Length}.", name);
    }

    private static string LastMessage()
    {
        byte* buffer = stackalloc byte[MuJoCoNative.MessageCapacity];
        MuJoCoNative.LastMessage(buffer, MuJoCoNative.MessageCapacity);
        return MuJoCoNative.ReadMessage(new ReadOnlySpan<byte>(buffer, MuJoCoNative.MessageCapacity));
    }

    public void Dispose()
    {
        if (_handle != 0) MuJoCoNative.FreeData(_handle);
        _handle = 0;
        GC.SuppressFinalize(this);
    }

    ~MuJoCoData()
    {
        if (_handle != 0) MuJoCoNative.FreeData(_handle);
    }
}
