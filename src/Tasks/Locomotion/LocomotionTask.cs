using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>
/// What one control step did, as a reward function sees it: state before and after (qpos), velocities after, the
/// control actually applied (clipped to the actuator range) and, when the task asks for them, contact forces.
/// </summary>
/// <remarks>A view over the environment's buffers, valid only during the reward call; allocation-free.</remarks>
public readonly ref struct StepView
{
    /// <summary>A view of one control step (made by <see cref="LocomotionEnvironment"/>; tests make their own to check rewards).</summary>
    /// <param name="previousPosition">qpos before the step (nq).</param>
    /// <param name="position">qpos after the step (nq).</param>
    /// <param name="velocity">qvel after the step (nv).</param>
    /// <param name="control">The clipped controls applied (nu).</param>
    /// <param name="contactForces">cfrc_ext after the step (nbody x 6), or empty when the task does not ask for it.</param>
    /// <param name="controlTimestep">Seconds the step lasted (substeps x timestep).</param>
    /// <param name="sites">Site positions after the step (nsite x 3), or empty.</param>
    /// <param name="goal">A reaching task's current goal (x, y), or empty.</param>
    public StepView(ReadOnlySpan<double> previousPosition, ReadOnlySpan<double> position, ReadOnlySpan<double> velocity,
        ReadOnlySpan<double> control, ReadOnlySpan<double> contactForces, double controlTimestep,
        ReadOnlySpan<double> sites = default, ReadOnlySpan<double> goal = default)
    {
        Sites = sites;
        Goal = goal;
        PreviousPosition = previousPosition;
        Position = position;
        Velocity = velocity;
        Control = control;
        ContactForces = contactForces;
        ControlTimestep = controlTimestep;
    }

    /// <summary>qpos before the step (nq values).</summary>
    public ReadOnlySpan<double> PreviousPosition { get; }
    /// <summary>qpos after the step (nq values).</summary>
    public ReadOnlySpan<double> Position { get; }
    /// <summary>qvel after the step (nv values).</summary>
    public ReadOnlySpan<double> Velocity { get; }
    /// <summary>The controls applied, after NaN replacement and clipping to the actuator ranges (nu values).</summary>
    public ReadOnlySpan<double> Control { get; }
    /// <summary>External contact forces per body, nbody x 6, when the task asks for <see cref="StepExtras.ContactForces"/>; empty otherwise.</summary>
    public ReadOnlySpan<double> ContactForces { get; }
    /// <summary>Seconds the control step lasted (substeps x model timestep).</summary>
    public double ControlTimestep { get; }
    /// <summary>Site positions (nsite x 3) after the step, when the task asks for <see cref="StepExtras.Positions"/>.</summary>
    public ReadOnlySpan<double> Sites { get; }
    /// <summary>The current goal of a reaching task (world x, y), empty otherwise.</summary>
    public ReadOnlySpan<double> Goal { get; }

    /// <summary>Velocity of qpos[index] over the control step, from the displacement (as Gym/Brax compute it).</summary>
    /// <param name="index">Index into qpos, e.g. 0 for the root's x.</param>
    /// <returns>(qpos[index] after - before) / <see cref="ControlTimestep"/>, in units per second.</returns>
    public double Displacement(int index) => (Position[index] - PreviousPosition[index]) / ControlTimestep;

    /// <summary>|a|^2: the sum of squared applied controls, the control cost's base.</summary>
    public double ControlSquaredNorm()
    {
        double sum = 0;
        foreach (var c in Control) sum += c * c;
        return sum;
    }
}

/// <summary>
/// A multi-task locomotion task (docs/design.md, "Tasks"): a built-in MJCF model, how many physics steps one control
/// step takes, the observation (state part, normalised by the policy; the target appended raw), reward, health,
/// and the target range whose 8 evenly spaced values are the training tasks.
/// </summary>
/// <remarks>
/// A task is an immutable description: every member depends only on its arguments (and the environment passed
/// in), so one instance serves all workers. Running a task needs MuJoCo (see
/// <see cref="MuJoCoAvailability"/>); describing it (sizes, targets, names) does not. The built-in tasks are in
/// <see cref="LocomotionTasks.All"/>; a host may derive its own, with its own MJCF model.
/// </remarks>
public abstract class LocomotionTask
{
    /// <summary>The reference's episode length in control steps (a run may choose fewer, <see cref="LocomotionSetup.EpisodeSteps"/>).</summary>
    public const int EpisodeSteps = 1000;
    /// <summary>Unseen targets of the generalisation test (docs/design.md, "Tasks").</summary>
    public const int GeneralisationTargetCount = 72;

    /// <summary>Describes a task; derived classes pass their constants.</summary>
    /// <param name="name">The task's name on the command line and in configs, e.g. "ant_dir".</param>
    /// <param name="modelName">Name of the embedded MJCF model (Locomotion/Models/NAME.xml).</param>
    /// <param name="substeps">Physics steps per control step.</param>
    /// <param name="targetMin">Low end of the target range (inclusive).</param>
    /// <param name="targetMax">High end of the target range (exclusive for training targets).</param>
    /// <param name="description">One line for listings.</param>
    protected LocomotionTask(string name, string modelName, int substeps, float targetMin, float targetMax, string description)
    {
        Name = name;
        ModelName = modelName;
        Substeps = substeps;
        TargetMin = targetMin;
        TargetMax = targetMax;
        Description = description;
    }

    /// <summary>The task's name on the command line, in configs and in run directories, e.g. "ant_dir".</summary>
    public string Name { get; }
    /// <summary>Name of the embedded model (Locomotion/Models/NAME.xml).</summary>
    public string ModelName { get; }
    /// <summary>Physics steps per control step (the policy acts once per control step).</summary>
    public int Substeps { get; }
    /// <summary>Low end of the target range: radians for directions, m/s for speeds, m for goal distances.</summary>
    public float TargetMin { get; }
    /// <summary>High end of the target range (not reached by the training targets).</summary>
    public float TargetMax { get; }
    /// <summary>One-line description for listings and help text.</summary>
    public string Description { get; }

    /// <summary>Size of the state part of the observation (normalised by the policy).</summary>
    public abstract int StateObservationSize { get; }
    /// <summary>Size of the target part, appended raw after the state part.</summary>
    public virtual int TargetObservationSize => 1;
    /// <summary>The policy's input size: state part plus target part (e.g. 27 + 1 = 28 for ant_dir).</summary>
    public int ObservationSize => StateObservationSize + TargetObservationSize;
    /// <summary>Actuators of the model (checked against it when an environment is made).</summary>
    public abstract int ActionSize { get; }
    /// <summary>Derived quantities the reward or observation reads, computed after every step (they cost engine time).</summary>
    public virtual StepExtras Extras => StepExtras.None;
    /// <summary>Half-width of the uniform noise added to qpos at reset (default 0.1).</summary>
    public virtual double ResetPositionNoise => 0.1;
    /// <summary>Standard deviation of the Gaussian noise added to qvel at reset (default 0.1).</summary>
    public virtual double ResetVelocityNoise => 0.1;

    /// <summary>
    /// Training targets of the task: <c>min + k (max - min) / n</c>, k = 0..n - 1; 8 for the multi-task
    /// problems, 1 for a single-task problem such as ant_forward (whose fitness is then one episode per member).
    /// </summary>
    public virtual int TrainingTargetCount => 8;

    /// <summary>Whether the task has a range of targets to generalise over (false for a single-target task).</summary>
    public bool HasTargetRange => TargetMax > TargetMin;

    /// <summary>Training target k of n = <see cref="TrainingTargetCount"/>: <c>min + k (max - min) / n</c>.</summary>
    /// <param name="k">0..<see cref="TrainingTargetCount"/> - 1.</param>
    public float TrainingTarget(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, TrainingTargetCount);
        return TargetMin + k * (TargetMax - TargetMin) / TrainingTargetCount;
    }

    /// <summary>Unseen target i of <paramref name="count"/>, evenly inside [min + D/8, max - D/8].</summary>
    /// <param name="i">0..<paramref name="count"/> - 1.</param>
    /// <param name="count">Targets spread over the interval, at least 2 (default 72).</param>
    public float GeneralisationTarget(int i, int count = GeneralisationTargetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, count);
        float span = TargetMax - TargetMin, low = TargetMin + span / 8, high = TargetMax - span / 8;
        return low + i * (high - low) / (count - 1);
    }

    /// <summary>Writes the state part of the observation from the environment's current state.</summary>
    /// <param name="environment">The environment after a reset or step (position, velocity, sites, goal).</param>
    /// <param name="state">Receives <see cref="StateObservationSize"/> floats.</param>
    public abstract void Observe(LocomotionEnvironment environment, Span<float> state);

    /// <summary>Values a reaching task keeps per episode for its goal (world x, y); 0 for the others.</summary>
    public virtual int GoalSize => 0;

    /// <summary>Places a new goal (at reset, and after the previous one was reached) for target <paramref name="target"/>; does nothing for tasks without goals.</summary>
    /// <param name="environment">The environment, after the reset or step.</param>
    /// <param name="target">The episode's target (the goal distance for reaching tasks).</param>
    /// <param name="goal">Receives <see cref="GoalSize"/> values.</param>
    /// <param name="random">The episode's goal stream.</param>
    public virtual void PlaceGoal(LocomotionEnvironment environment, float target, Span<double> goal, ref Kernel.Random.RandomStream random) { }

    /// <summary>True when the step reached the goal: the environment then counts it and places a new one.</summary>
    /// <param name="step">The step just taken.</param>
    public virtual bool GoalReached(in StepView step) => false;

    /// <summary>Writes the target part of the observation, unnormalised (by default the target itself, one value).</summary>
    /// <param name="target">The episode's target.</param>
    /// <param name="destination">Receives <see cref="TargetObservationSize"/> floats.</param>
    public virtual void WriteTarget(float target, Span<float> destination) => destination[0] = target;

    /// <summary>The reward of one control step towards <paramref name="target"/> (each task's formula is in its summary).</summary>
    /// <param name="step">What the step did.</param>
    /// <param name="target">The episode's target.</param>
    public abstract double Reward(in StepView step, float target);

    /// <summary>False ends the episode (a fallen robot).</summary>
    /// <param name="position">qpos after the step.</param>
    /// <param name="velocity">qvel after the step.</param>
    public virtual bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) => true;

    /// <summary>The task's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}

/// <summary>The built-in tasks, by name (docs/design.md, "Tasks"; README lists their sizes).</summary>
public static class LocomotionTasks
{
    /// <summary>halfcheetah_vel, swimmer_dir, ant_dir, hopper_vel, reach_arm, reach_quadruped and ant_forward, in that order; shared immutable instances.</summary>
    public static IReadOnlyList<LocomotionTask> All { get; } =
    [
        new HalfCheetahVelocity(), new SwimmerDirection(), new AntDirection(), new HopperVelocity(), new ArmReach(), new QuadrupedReach(),
        new AntForward(),
    ];

    /// <summary>The built-in tasks' names, in <see cref="All"/>'s order.</summary>
    public static IEnumerable<string> Names => All.Select(t => t.Name);

    /// <summary>The built-in task called <paramref name="name"/> (exact, case-sensitive), or null.</summary>
    /// <param name="name">A task name such as "ant_dir".</param>
    public static LocomotionTask? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

/// <summary>
/// halfcheetah_vel: run at the target speed. Reward <c>-|v - v*| - 0.01 |a|^2</c>; never terminates.
/// Observation: qpos without root x (8), qvel (9).
/// </summary>
public sealed class HalfCheetahVelocity() : LocomotionTask("halfcheetah_vel", "halfcheetah", substeps: 5, 1f, 10f,
    "planar runner, target forward speed in [1, 10) m/s")
{
    /// <summary>6: thigh, shin and foot motors of the back and front legs.</summary>
    public override int ActionSize => 6;
    /// <summary>17: qpos without root x (8) and qvel (9).</summary>
    public override int StateObservationSize => 17;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 1; i < 9; i++) state[i - 1] = (float)position[i];
        for (int i = 0; i < 9; i++) state[8 + i] = (float)velocity[i];
    }

    /// <summary><c>-|v - v*| - 0.01 |a|^2</c>, v the root's forward velocity over the step and v* the target speed.</summary>
    /// <param name="step">What the step did.</param>
    /// <param name="target">Target speed, m/s.</param>
    public override double Reward(in StepView step, float target) =>
        -Math.Abs(step.Displacement(0) - target) - 0.01 * step.ControlSquaredNorm();
}

/// <summary>
/// hopper_vel: hop forward at the target speed. Reward <c>-|v - v*| + 1 - 1e-3 |a|^2</c>; ends when the hopper falls
/// (torso below 0.7 m or tilted more than 0.2 rad, or any joint state beyond 100). Observation: qpos without
/// root x (5), qvel clipped to +-10 (6).
/// </summary>
public sealed class HopperVelocity() : LocomotionTask("hopper_vel", "hopper", substeps: 4, 0f, 2.1f,
    "planar one-legged hopper, target forward speed in [0, 2.1) m/s")
{
    /// <summary>3: thigh, leg and foot motors.</summary>
    public override int ActionSize => 3;
    /// <summary>11: qpos without root x (5) and qvel clipped to +-10 (6).</summary>
    public override int StateObservationSize => 11;
    /// <summary>0.005, Gym's reset noise scale for the hopper (instead of the default 0.1).</summary>
    public override double ResetPositionNoise => 0.005;
    /// <summary>0.005, as <see cref="ResetPositionNoise"/>.</summary>
    public override double ResetVelocityNoise => 0.005;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 1; i < 6; i++) state[i - 1] = (float)position[i];
        for (int i = 0; i < 6; i++) state[5 + i] = (float)Math.Clamp(velocity[i], -10, 10);
    }

    /// <summary><c>-|v - v*| + 1 - 1e-3 |a|^2</c>: the 1 is the alive bonus.</summary>
    /// <param name="step">What the step did.</param>
    /// <param name="target">Target speed, m/s.</param>
    public override double Reward(in StepView step, float target) =>
        -Math.Abs(step.Displacement(0) - target) + 1.0 - 1e-3 * step.ControlSquaredNorm();

    /// <summary>Torso height above 0.7 m, tilt below 0.2 rad, and every joint position (from qpos[2]) and velocity below 100 in magnitude.</summary>
    /// <param name="position">qpos.</param>
    /// <param name="velocity">qvel.</param>
    public override bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity)
    {
        for (int i = 2; i < position.Length; i++) if (Math.Abs(position[i]) >= 100) return false;
        foreach (var v in velocity) if (Math.Abs(v) >= 100) return false;
        return position[1] > 0.7 && Math.Abs(position[2]) < 0.2;
    }
}

/// <summary>
/// swimmer_dir: swim in the target direction (radians). Reward <c>v . (cos t, sin t) - 1e-4 |a|^2</c>, v the
/// planar velocity of the head; never terminates. Observation: heading and joint angles (3), qvel (5).
/// </summary>
public sealed class SwimmerDirection() : LocomotionTask("swimmer_dir", "swimmer", substeps: 4, -MathF.PI, MathF.PI,
    "3-link swimmer in viscous fluid, target direction in [-pi, pi)")
{
    /// <summary>2: the two body-joint motors.</summary>
    public override int ActionSize => 2;
    /// <summary>8: heading and the two joint angles (3), qvel (5).</summary>
    public override int StateObservationSize => 8;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 2; i < 5; i++) state[i - 2] = (float)position[i];
        for (int i = 0; i < 5; i++) state[3 + i] = (float)velocity[i];
    }

    /// <summary><c>v . (cos t, sin t) - 1e-4 |a|^2</c>: planar velocity along the target direction t.</summary>
    /// <param name="step">What the step did.</param>
    /// <param name="target">Target direction, radians.</param>
    public override double Reward(in StepView step, float target) =>
        step.Displacement(0) * Math.Cos(target) + step.Displacement(1) * Math.Sin(target) - 1e-4 * step.ControlSquaredNorm();
}

/// <summary>
/// ant_forward: the quadruped of <see cref="AntDirection"/> walking along +x, one task instead of eight (SpikePropamine's
/// locomotion setting, and an eighth of ant_dir's cost per generation). Same observation (the constant target 0
/// appended), reward with direction 0, and health.
/// </summary>
public sealed class AntForward() : AntDirectionBase("ant_forward", 0f, 0f, "quadruped, walk forward (+x), a single task")
{
    /// <summary>1: the single direction 0 (+x).</summary>
    public override int TrainingTargetCount => 1;
}

/// <summary>
/// ant_dir: walk in the target direction (radians). Reward <c>v . (cos t, sin t) - 0.5 |a|^2 + 1 - 5e-4 sum
/// clip(cfrc_ext, -1, 1)^2</c>; ends when the torso leaves [0.2, 1] m height. Observation: qpos without root x, y
/// (13: height, orientation quaternion, 8 joints), qvel (14).
/// </summary>
public sealed class AntDirection() : AntDirectionBase("ant_dir", -MathF.PI, MathF.PI, "quadruped, target walking direction in [-pi, pi)");

/// <summary>The quadruped walking in a direction: what ant_dir and ant_forward share (model, observation, reward, health).</summary>
/// <param name="name">The task's name.</param>
/// <param name="targetMin">Low end of the direction range, radians.</param>
/// <param name="targetMax">High end of the direction range, radians.</param>
/// <param name="description">One line for listings.</param>
public abstract class AntDirectionBase(string name, float targetMin, float targetMax, string description)
    : LocomotionTask(name, "ant", substeps: 5, targetMin, targetMax, description)
{
    /// <summary>8: hip and knee motors of the four legs.</summary>
    public override int ActionSize => 8;
    /// <summary>27: qpos without root x, y (13) and qvel (14).</summary>
    public override int StateObservationSize => 27;
    /// <summary>Contact forces, for the contact cost.</summary>
    public override StepExtras Extras => StepExtras.ContactForces;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 2; i < 15; i++) state[i - 2] = (float)position[i];
        for (int i = 0; i < 14; i++) state[13 + i] = (float)velocity[i];
    }

    /// <summary><c>v . (cos t, sin t) - 0.5 |a|^2 + 1 - 5e-4 contact cost</c>, the 1 being the alive bonus.</summary>
    /// <param name="step">What the step did (with contact forces).</param>
    /// <param name="target">Target direction, radians.</param>
    public override double Reward(in StepView step, float target)
    {
        double forward = step.Displacement(0) * Math.Cos(target) + step.Displacement(1) * Math.Sin(target);
        return forward - 0.5 * step.ControlSquaredNorm() + 1.0 - 5e-4 * ContactCost(step.ContactForces);
    }

    /// <summary>Sum of squared external contact forces, each clipped to [-1, 1].</summary>
    /// <param name="contactForces">cfrc_ext, nbody x 6.</param>
    public static double ContactCost(ReadOnlySpan<double> contactForces)
    {
        double contact = 0;
        foreach (var f in contactForces)
        {
            double c = Math.Clamp(f, -1, 1);
            contact += c * c;
        }
        return contact;
    }

    /// <summary>Torso height (qpos[2]) within [0.2, 1] m.</summary>
    /// <param name="position">qpos.</param>
    /// <param name="velocity">qvel (not used).</param>
    public override bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) =>
        position[2] is >= 0.2 and <= 1.0;
}
