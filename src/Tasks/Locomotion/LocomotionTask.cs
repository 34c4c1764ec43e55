using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>
/// What one control step did, as a reward function sees it: state before and after (qpos), velocities after, the
/// control actually applied (clipped to the actuator range) and, when the task asks for them, contact forces.
/// </summary>
public readonly ref struct StepView
{
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

    public ReadOnlySpan<double> PreviousPosition { get; }
    public ReadOnlySpan<double> Position { get; }
    public ReadOnlySpan<double> Velocity { get; }
    public ReadOnlySpan<double> Control { get; }
    public ReadOnlySpan<double> ContactForces { get; }
    public double ControlTimestep { get; }
    /// <summary>Site positions (nsite x 3) after the step, when the task asks for <see cref="StepExtras.Positions"/>.</summary>
    public ReadOnlySpan<double> Sites { get; }
    /// <summary>The current goal of a reaching task (world x, y), empty otherwise.</summary>
    public ReadOnlySpan<double> Goal { get; }

    /// <summary>Velocity of qpos[index] over the control step, from the displacement (as Gym/Brax compute it).</summary>
    public double Displacement(int index) => (Position[index] - PreviousPosition[index]) / ControlTimestep;

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
public abstract class LocomotionTask
{
    public const int EpisodeSteps = 1000;
    public const int TrainingTargetCount = 8;
    public const int GeneralisationTargetCount = 72;

    protected LocomotionTask(string name, string modelName, int substeps, float targetMin, float targetMax, string description)
    {
        Name = name;
        ModelName = modelName;
        Substeps = substeps;
        TargetMin = targetMin;
        TargetMax = targetMax;
        Description = description;
    }

    public string Name { get; }
    /// <summary>Name of the embedded model (Locomotion/Models/NAME.xml).</summary>
    public string ModelName { get; }
    public int Substeps { get; }
    public float TargetMin { get; }
    public float TargetMax { get; }
    public string Description { get; }

    /// <summary>Size of the state part of the observation (normalised by the policy).</summary>
    public abstract int StateObservationSize { get; }
    /// <summary>Size of the target part, appended raw after the state part.</summary>
    public virtual int TargetObservationSize => 1;
    public int ObservationSize => StateObservationSize + TargetObservationSize;
    /// <summary>Actuators of the model (checked against it when an environment is made).</summary>
    public abstract int ActionSize { get; }
    public virtual StepExtras Extras => StepExtras.None;
    /// <summary>Half-width of the uniform noise added to qpos at reset, and the scale of the Gaussian qvel noise.</summary>
    public virtual double ResetPositionNoise => 0.1;
    public virtual double ResetVelocityNoise => 0.1;

    /// <summary>Training target k of 8: <c>min + k (max - min) / 8</c>.</summary>
    public float TrainingTarget(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, TrainingTargetCount);
        return TargetMin + k * (TargetMax - TargetMin) / TrainingTargetCount;
    }

    /// <summary>Unseen target i of <paramref name="count"/>, evenly inside [min + D/8, max - D/8].</summary>
    public float GeneralisationTarget(int i, int count = GeneralisationTargetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, count);
        float span = TargetMax - TargetMin, low = TargetMin + span / 8, high = TargetMax - span / 8;
        return low + i * (high - low) / (count - 1);
    }

    /// <summary>Writes the state part of the observation from the environment's current state.</summary>
    public abstract void Observe(LocomotionEnvironment environment, Span<float> state);

    /// <summary>Values a reaching task keeps per episode for its goal (world x, y); 0 for the others.</summary>
    public virtual int GoalSize => 0;

    /// <summary>Places a new goal (at reset, and after the previous one was reached) for target <paramref name="target"/>.</summary>
    public virtual void PlaceGoal(LocomotionEnvironment environment, float target, Span<double> goal, ref Kernel.Random.RandomStream random) { }

    /// <summary>True when the step reached the goal: the environment then counts it and places a new one.</summary>
    public virtual bool GoalReached(in StepView step) => false;

    public virtual void WriteTarget(float target, Span<float> destination) => destination[0] = target;

    public abstract double Reward(in StepView step, float target);

    /// <summary>False ends the episode (a fallen robot).</summary>
    public virtual bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) => true;

    public override string ToString() => Name;
}

/// <summary>The built-in tasks, by name.</summary>
public static class LocomotionTasks
{
    public static IReadOnlyList<LocomotionTask> All { get; } =
    [
        new HalfCheetahVelocity(), new SwimmerDirection(), new AntDirection(), new HopperVelocity(), new ArmReach(), new QuadrupedReach(),
    ];

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static LocomotionTask? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

/// <summary>
/// halfcheetah_vel: run at the target speed. Reward <c>-|v - v*| - 0.01 |a|^2</c>; never terminates.
/// Observation: qpos without root x (8), qvel (9).
/// </summary>
public sealed class HalfCheetahVelocity() : LocomotionTask("halfcheetah_vel", "halfcheetah", substeps: 5, 1f, 10f,
    "planar runner, target forward speed in [1, 10) m/s")
{
    public override int ActionSize => 6;
    public override int StateObservationSize => 17;

    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 1; i < 9; i++) state[i - 1] = (float)position[i];
        for (int i = 0; i < 9; i++) state[8 + i] = (float)velocity[i];
    }

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
    public override int ActionSize => 3;
    public override int StateObservationSize => 11;
    public override double ResetPositionNoise => 0.005;
    public override double ResetVelocityNoise => 0.005;

    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 1; i < 6; i++) state[i - 1] = (float)position[i];
        for (int i = 0; i < 6; i++) state[5 + i] = (float)Math.Clamp(velocity[i], -10, 10);
    }

    public override double Reward(in StepView step, float target) =>
        -Math.Abs(step.Displacement(0) - target) + 1.0 - 1e-3 * step.ControlSquaredNorm();

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
    public override int ActionSize => 2;
    public override int StateObservationSize => 8;

    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 2; i < 5; i++) state[i - 2] = (float)position[i];
        for (int i = 0; i < 5; i++) state[3 + i] = (float)velocity[i];
    }

    public override double Reward(in StepView step, float target) =>
        step.Displacement(0) * Math.Cos(target) + step.Displacement(1) * Math.Sin(target) - 1e-4 * step.ControlSquaredNorm();
}

/// <summary>
/// ant_dir: walk in the target direction (radians). Reward <c>v . (cos t, sin t) - 0.5 |a|^2 + 1 - 5e-4 sum
/// clip(cfrc_ext, -1, 1)^2</c>; ends when the torso leaves [0.2, 1] m height. Observation: qpos without root x, y
/// (13: height, orientation quaternion, 8 joints), qvel (14).
/// </summary>
public sealed class AntDirection() : LocomotionTask("ant_dir", "ant", substeps: 5, -MathF.PI, MathF.PI,
    "quadruped, target walking direction in [-pi, pi)")
{
    public override int ActionSize => 8;
    public override int StateObservationSize => 27;
    public override StepExtras Extras => StepExtras.ContactForces;

    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> position = environment.Position, velocity = environment.Velocity;
        for (int i = 2; i < 15; i++) state[i - 2] = (float)position[i];
        for (int i = 0; i < 14; i++) state[13 + i] = (float)velocity[i];
    }

    public override double Reward(in StepView step, float target)
    {
        double forward = step.Displacement(0) * Math.Cos(target) + step.Displacement(1) * Math.Sin(target);
        return forward - 0.5 * step.ControlSquaredNorm() + 1.0 - 5e-4 * ContactCost(step.ContactForces);
    }

    /// <summary>Sum of squared external contact forces, each clipped to [-1, 1].</summary>
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

    public override bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) =>
        position[2] is >= 0.2 and <= 1.0;
}
