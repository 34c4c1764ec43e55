using PdlfFast.Kernel.Random;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>What one control step returned.</summary>
/// <param name="Reward">The task's reward for the step (<see cref="LocomotionEnvironment.InstabilityPenalty"/> on a blow-up).</param>
/// <param name="Terminated">The episode is over: the robot became unhealthy, the physics blew up, or the episode length was reached.</param>
/// <param name="Unstable">The physics blew up (NaN/Inf state or MuJoCo's bad-state warning) or MuJoCo failed; counted in <see cref="LocomotionEnvironment.Instabilities"/>.</param>
public readonly record struct EnvironmentStep(double Reward, bool Terminated, bool Unstable);

/// <summary>
/// One running episode of a <see cref="LocomotionTask"/> on a worker's own <see cref="MuJoCoData"/>. Actions are
/// clipped to the actuator ranges before they reach the engine; a physics blow-up ends the episode with
/// <see cref="InstabilityPenalty"/> and is counted. Allocation-free after construction.
/// </summary>
/// <remarks>
/// Needs MuJoCo (the model it runs on could not be loaded without it). Mutable and single-threaded: one per worker,
/// each with its own <see cref="MuJoCoData"/>, while the model is shared. An episode is deterministic given the reset
/// stream and the actions. Sizes are the task's: the observation is
/// <see cref="LocomotionTask.ObservationSize"/> floats, an action <see cref="LocomotionTask.ActionSize"/> floats.
/// </remarks>
public sealed class LocomotionEnvironment : IDisposable
{
    /// <summary>Added to the reward of the step on which the simulation became unstable.</summary>
    public const double InstabilityPenalty = -100;

    private readonly double[] _position, _previousPosition, _velocity, _control, _contactForces, _positionNoise, _velocityNoise, _sites, _goal;
    private RandomStream _goalRandom;
    private readonly double _controlTimestep;

    /// <summary>Makes an environment for <paramref name="task"/> on its own data of <paramref name="model"/>.</summary>
    /// <param name="task">The task: observation, reward, health, goals.</param>
    /// <param name="model">The task's model (normally <c>MuJoCoModel.FromEmbedded(task.ModelName)</c>), shared with other workers.</param>
    /// <exception cref="ArgumentException">The model's actuator count is not the task's action size.</exception>
    /// <exception cref="MuJoCoException">MuJoCo could not allocate the data.</exception>
    public LocomotionEnvironment(LocomotionTask task, MuJoCoModel model)
    {
        Task = task ?? throw new ArgumentNullException(nameof(task));
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (model.ActuatorCount != task.ActionSize)
            throw new ArgumentException($"Task {task.Name} expects {task.ActionSize} actuators; model '{model.Name}' has {model.ActuatorCount}.", nameof(model));
        Data = new MuJoCoData(model);
        _position = new double[model.PositionSize];
        _previousPosition = new double[model.PositionSize];
        _velocity = new double[model.VelocitySize];
        _positionNoise = new double[model.PositionSize];
        _velocityNoise = new double[model.VelocitySize];
        _control = new double[model.ActuatorCount];
        _contactForces = new double[(task.Extras & StepExtras.ContactForces) != 0 ? 6 * model.BodyCount : 0];
        _sites = new double[(task.Extras & StepExtras.Positions) != 0 ? 3 * model.SiteCount : 0];
        _goal = new double[task.GoalSize];
        _controlTimestep = model.Timestep * task.Substeps;
    }

    /// <summary>The task this environment runs.</summary>
    public LocomotionTask Task { get; }
    /// <summary>The shared model.</summary>
    public MuJoCoModel Model { get; }
    /// <summary>This environment's own simulation state (tests set hand-made states through it); disposed with the environment.</summary>
    public MuJoCoData Data { get; }
    /// <summary>Floats an action has: the model's actuator count.</summary>
    public int ActionSize => Model.ActuatorCount;
    /// <summary>
    /// The episode's target (direction in radians, speed in m/s or goal distance in m, per task), set by
    /// <see cref="Reset"/>. May be changed mid-episode (steering): rewards and observations use the new value from
    /// the next step on; a reaching task's current goal stays where it is.
    /// </summary>
    public float Target { get; set; }
    /// <summary>Control steps taken since the last <see cref="Reset"/>.</summary>
    public int Steps { get; private set; }
    /// <summary>Episode length in control steps (the reference's 1000 unless a reduced budget asks for fewer).</summary>
    public int EpisodeSteps { get; init; } = LocomotionTask.EpisodeSteps;
    /// <summary>Episodes ended by a physics blow-up since this environment was made.</summary>
    public long Instabilities { get; private set; }
    /// <summary>qpos after the last reset or step (nq values).</summary>
    public ReadOnlySpan<double> Position => _position;
    /// <summary>qvel after the last reset or step (nv values).</summary>
    public ReadOnlySpan<double> Velocity => _velocity;
    /// <summary>Site positions (nsite x 3), kept up to date for tasks that ask for <see cref="StepExtras.Positions"/>.</summary>
    public ReadOnlySpan<double> Sites => _sites;
    /// <summary>The current goal of a reaching task (world x, y).</summary>
    public ReadOnlySpan<double> Goal => _goal;
    /// <summary>Goals reached in this episode (reaching tasks).</summary>
    public int GoalsReached { get; private set; }
    /// <summary>Seconds per control step: the model's timestep times the task's substeps.</summary>
    public double ControlTimestep => _controlTimestep;

    /// <summary>
    /// Starts an episode towards <paramref name="target"/>: the model's reference pose with qpos + U(-a, a) and
    /// qvel + b N(0, 1) noise drawn from <paramref name="noise"/> (a, b from the task).
    /// </summary>
    /// <param name="target">The episode's target, normally one of the task's training or generalisation targets.</param>
    /// <param name="noise">Reset noise; a reaching task's goals are drawn from a copy of it as it stands after the reset noise.</param>
    /// <exception cref="MuJoCoException">MuJoCo failed to reset.</exception>
    public void Reset(float target, ref RandomStream noise)
    {
        Target = target;
        Steps = 0;
        double a = Task.ResetPositionNoise, b = Task.ResetVelocityNoise;
        for (int i = 0; i < _positionNoise.Length; i++) _positionNoise[i] = a * (2 * noise.NextDouble() - 1);
        for (int i = 0; i < _velocityNoise.Length; i++) _velocityNoise[i] = b * noise.NextGaussian();
        Data.Reset(_positionNoise, _velocityNoise);
        Data.ReadState(_position, _velocity);
        if (_sites.Length > 0) Data.ReadSitePositions(_sites);
        GoalsReached = 0;
        _goalRandom = noise;
        Task.PlaceGoal(this, target, _goal, ref _goalRandom);
    }

    /// <summary>Writes the observation: the task's state part, then the target (raw).</summary>
    /// <param name="observation"><see cref="LocomotionTask.ObservationSize"/> floats: state part (unnormalised here; the policy normalises it), then target part.</param>
    public void Observe(Span<float> observation)
    {
        int state = Task.StateObservationSize;
        Task.Observe(this, observation[..state]);
        Task.WriteTarget(Target, observation[state..]);
    }

    /// <summary>
    /// Applies <paramref name="action"/> for one control step (the task's substeps of physics): NaN actions become 0,
    /// all are clipped to the actuator ranges; then the reward, goal and health are evaluated. Once a step reports
    /// <see cref="EnvironmentStep.Terminated"/>, call <see cref="Reset"/> before stepping again.
    /// </summary>
    /// <param name="action"><see cref="ActionSize"/> values.</param>
    /// <returns>The step's reward and whether the episode ended.</returns>
    /// <exception cref="ArgumentException">The action has the wrong length.</exception>
    public EnvironmentStep Step(ReadOnlySpan<float> action)
    {
        if (action.Length != _control.Length)
            throw new ArgumentException($"{Task.Name} takes {_control.Length} actions, got {action.Length}.", nameof(action));
        var range = Model.ControlRange;
        for (int i = 0; i < _control.Length; i++)
        {
            // NaN actions become 0: a diverging policy must not poison the engine state.
            double c = float.IsNaN(action[i]) ? 0 : action[i];
            _control[i] = Math.Clamp(c, range[2 * i], range[2 * i + 1]);
        }
        _position.CopyTo(_previousPosition, 0);
        var outcome = Data.Step(_control, Task.Substeps, Task.Extras);
        Steps++;
        if (outcome != StepOutcome.Ok)
        {
            Instabilities++;
            Data.ReadState(_position, _velocity);
            return new EnvironmentStep(InstabilityPenalty, Terminated: true, Unstable: true);
        }
        Data.ReadState(_position, _velocity);
        if (_contactForces.Length > 0) Data.ReadContactForces(_contactForces);
        if (_sites.Length > 0) Data.ReadSitePositions(_sites);
        var view = new StepView(_previousPosition, _position, _velocity, _control, _contactForces, _controlTimestep, _sites, _goal);
        double reward = Task.Reward(view, Target);
        if (Task.GoalReached(view))
        {
            GoalsReached++;
            Task.PlaceGoal(this, Target, _goal, ref _goalRandom);
        }
        bool terminated = !Task.IsHealthy(_position, _velocity) || Steps >= EpisodeSteps;
        return new EnvironmentStep(reward, terminated, Unstable: false);
    }

    /// <summary>Frees this environment's simulation data (not the shared model).</summary>
    public void Dispose() => Data.Dispose();
}
