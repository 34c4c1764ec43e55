namespace PdlfFast.Tasks.Physics;

/// <summary>
/// Derived quantities a control step should leave up to date. They cost extra engine passes, so a task asks only for
/// what its reward or observation reads (<see cref="PdlfFast.Tasks.Locomotion.LocomotionTask.Extras"/>).
/// </summary>
[Flags]
public enum StepExtras
{
    /// <summary>Nothing beyond qpos and qvel (the cheapest step).</summary>
    None = 0,
    /// <summary>External contact forces per body (cfrc_ext), needed by contact costs; MuJoCo leaves them zero otherwise.</summary>
    ContactForces = 1,
    /// <summary>Body and site positions for the new state; otherwise they lag one substep behind qpos (reaching tasks need them current).</summary>
    Positions = 2,
}

/// <summary>What a control step did to the simulation (the shim's return code).</summary>
public enum StepOutcome
{
    /// <summary>All substeps ran and the state is finite.</summary>
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
/// <remarks>
/// Not thread-safe: one thread at a time may use an instance (each worker makes its own; the model may be shared).
/// Stepping is deterministic: the same model, state and controls give the same bits. Needs MuJoCo
/// (see <see cref="MuJoCoAvailability"/>); the model it is made from has already checked that. Spans passed in must
/// have exactly the sizes named on each method (nq, nv, nu, ... of <see cref="Model"/>) or an
/// <see cref="ArgumentException"/> is thrown. Dispose frees the native data; a finalizer frees it if Dispose is not
/// called, and any use after Dispose throws <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed unsafe class MuJoCoData : IDisposable
{
    private nint _handle;

    /// <summary>Allocates simulation data for <paramref name="model"/>, in MuJoCo's default state (call <see cref="Reset"/> before stepping).</summary>
    /// <param name="model">The compiled model; it must outlive this data.</param>
    /// <exception cref="MuJoCoException">MuJoCo could not allocate the data (its message is included).</exception>
    public MuJoCoData(MuJoCoModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _handle = MuJoCoNative.MakeData(model.Handle);
        if (_handle == 0) throw new MuJoCoException($"MuJoCo could not allocate data for model '{model.Name}': {LastMessage()}");
    }

    /// <summary>The model this data simulates; it gives the sizes every buffer must have.</summary>
    public MuJoCoModel Model { get; }
    /// <summary>Simulated time in seconds since the last reset (substeps x <see cref="MuJoCoModel.Timestep"/>).</summary>
    public double Time => MuJoCoNative.Time(Handle);
    private nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(MuJoCoData));

    /// <summary>Resets to the model's reference pose plus optional offsets (nq and nv long), then runs forward kinematics.</summary>
    /// <param name="positionOffset">Added to the reference qpos: empty or nq values.</param>
    /// <param name="velocityOffset">Added to the (zero) reference qvel: empty or nv values.</param>
    /// <exception cref="MuJoCoException">MuJoCo raised an error while resetting.</exception>
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

    /// <summary>Sets qpos and qvel exactly (hand-set states in tests, replays), then recomputes derived quantities.</summary>
    /// <param name="position">qpos: nq values.</param>
    /// <param name="velocity">qvel: nv values.</param>
    /// <exception cref="MuJoCoException">MuJoCo raised an error in the forward pass.</exception>
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
    /// <paramref name="extras"/> the external contact forces and/or positions are computed after the last substep.
    /// On <see cref="StepOutcome.Error"/> the data is reset so the caller may go on with a new episode.
    /// </summary>
    /// <param name="control">Actuator controls (ctrl), nu values, passed to the engine as given (<see cref="PdlfFast.Tasks.Locomotion.LocomotionEnvironment"/> clips them to <see cref="MuJoCoModel.ControlRange"/> and replaces NaN first).</param>
    /// <param name="substeps">Physics steps of <see cref="MuJoCoModel.Timestep"/> each; at least 1.</param>
    /// <param name="extras">Derived quantities to bring up to date after the last substep.</param>
    /// <returns>Whether the step succeeded, blew up (<see cref="StepOutcome.Unstable"/>: end the episode) or failed.</returns>
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

    /// <summary>Copies the current qpos (nq values) and qvel (nv values).</summary>
    /// <param name="position">Receives qpos: nq values.</param>
    /// <param name="velocity">Receives qvel: nv values.</param>
    public void ReadState(Span<double> position, Span<double> velocity)
    {
        CheckLength(position, Model.PositionSize, nameof(position));
        CheckLength(velocity, Model.VelocitySize, nameof(velocity));
        fixed (double* q = position)
        fixed (double* v = velocity) MuJoCoNative.GetState(Model.Handle, Handle, q, v);
    }

    /// <summary>World positions of all bodies, nbody x 3 (x, y, z per body, body 0 is the world), as of the last position update.</summary>
    /// <param name="positions">Receives 3 x <see cref="MuJoCoModel.BodyCount"/> values.</param>
    public void ReadBodyPositions(Span<double> positions)
    {
        CheckLength(positions, 3 * Model.BodyCount, nameof(positions));
        fixed (double* p = positions) MuJoCoNative.BodyPositions(Model.Handle, Handle, p);
    }

    /// <summary>World positions of all sites, nsite x 3; current after a step with <see cref="StepExtras.Positions"/>, otherwise one substep old.</summary>
    /// <param name="positions">Receives 3 x <see cref="MuJoCoModel.SiteCount"/> values.</param>
    public void ReadSitePositions(Span<double> positions)
    {
        CheckLength(positions, 3 * Model.SiteCount, nameof(positions));
        fixed (double* p = positions) MuJoCoNative.SitePositions(Model.Handle, Handle, p);
    }

    /// <summary>External contact forces per body (cfrc_ext), nbody x 6; valid after a step with <see cref="StepExtras.ContactForces"/>.</summary>
    /// <param name="forces">Receives 6 x <see cref="MuJoCoModel.BodyCount"/> values (torque then force, MuJoCo's order).</param>
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

    private static string LastMessage() => MuJoCoNative.LastMessageText();

    /// <summary>Frees the native data; later calls throw <see cref="ObjectDisposedException"/>. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_handle != 0) MuJoCoNative.FreeData(_handle);
        _handle = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native data of an instance that was never disposed.</summary>
    ~MuJoCoData()
    {
        if (_handle != 0) MuJoCoNative.FreeData(_handle);
    }
}
