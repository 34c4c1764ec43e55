using PdlfFast.Kernel.Random;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>
/// reach_arm: move the fingertip of a planar 3-link arm to goals that appear 0.02-0.52 m from where the fingertip is
/// (the target is that distance); a goal within 1.5 cm counts as reached and a new one appears. Reward
/// <c>-distance - 0.01 |a|^2 + 1 per goal reached</c>. Observation: cos and sin of the joints (6), joint velocities
/// (3), fingertip xy (2), goal minus fingertip (2).
/// </summary>
public sealed class ArmReach() : LocomotionTask("reach_arm", "arm", substeps: 2, 0.02f, 0.52f,
    "planar 3-link arm, goals 0.02-0.52 m from the fingertip, respawning when reached")
{
    /// <summary>Distance in metres from fingertip to goal under which the goal counts as reached (1.5 cm).</summary>
    public const double ReachedWithin = 0.015;
    private const double InnerWorkspace = 0.15, OuterWorkspace = 0.58;
    private const int Fingertip = 0;

    /// <summary>3: shoulder, elbow and wrist motors.</summary>
    public override int ActionSize => 3;
    /// <summary>13: cos and sin of the joints (6), joint velocities (3), fingertip xy (2), goal minus fingertip (2).</summary>
    public override int StateObservationSize => 13;
    /// <summary>2: the goal's world x and y.</summary>
    public override int GoalSize => 2;
    /// <summary>Positions, so the fingertip site is current after each step.</summary>
    public override StepExtras Extras => StepExtras.Positions;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        ReadOnlySpan<double> q = environment.Position, v = environment.Velocity, tip = environment.Sites, goal = environment.Goal;
        for (int i = 0; i < 3; i++)
        {
            state[2 * i] = (float)Math.Cos(q[i]);
            state[2 * i + 1] = (float)Math.Sin(q[i]);
            state[6 + i] = (float)v[i];
        }
        state[9] = (float)tip[3 * Fingertip];
        state[10] = (float)tip[3 * Fingertip + 1];
        state[11] = (float)(goal[0] - tip[3 * Fingertip]);
        state[12] = (float)(goal[1] - tip[3 * Fingertip + 1]);
    }

    /// <summary>A point <paramref name="target"/> from the fingertip, in a direction that keeps it inside the workspace.</summary>
    /// <remarks>Tries up to 65 random directions for a point 0.15-0.58 m from the base; failing that (rare, a long target from the workspace edge) pulls the last point into that ring along its ray.</remarks>
    /// <param name="environment">The environment, whose fingertip site is current.</param>
    /// <param name="target">Distance from the fingertip, m.</param>
    /// <param name="goal">Receives the goal's world x, y.</param>
    /// <param name="random">The episode's goal stream.</param>
    public override void PlaceGoal(LocomotionEnvironment environment, float target, Span<double> goal, ref RandomStream random)
    {
        double x = environment.Sites[3 * Fingertip], y = environment.Sites[3 * Fingertip + 1];
        for (int attempt = 0; ; attempt++)
        {
            double angle = 2 * Math.PI * random.NextDouble();
            goal[0] = x + target * Math.Cos(angle);
            goal[1] = y + target * Math.Sin(angle);
            double radius = Math.Sqrt(goal[0] * goal[0] + goal[1] * goal[1]);
            if (radius is >= InnerWorkspace and <= OuterWorkspace) return;
            if (attempt == 64)
            {
                // Rare (a long target from the workspace edge): pull the point into the workspace along its ray.
                double clamped = Math.Clamp(radius, InnerWorkspace, OuterWorkspace) / Math.Max(radius, 1e-9);
                goal[0] *= clamped;
                goal[1] *= clamped;
                return;
            }
        }
    }

    private static double Distance(in StepView step) =>
        Math.Sqrt(Square(step.Goal[0] - step.Sites[3 * Fingertip]) + Square(step.Goal[1] - step.Sites[3 * Fingertip + 1]));

    private static double Square(double x) => x * x;

    /// <summary><c>-distance - 0.01 |a|^2 + 1 when the goal is reached</c>, distance from fingertip to goal in m.</summary>
    /// <param name="step">What the step did (with site positions and the goal).</param>
    /// <param name="target">Not used: the target only sets how far goals appear.</param>
    public override double Reward(in StepView step, float target)
    {
        double distance = Distance(step);
        return -distance - 0.01 * step.ControlSquaredNorm() + (distance < ReachedWithin ? 1.0 : 0.0);
    }

    /// <summary>The fingertip is within <see cref="ReachedWithin"/> of the goal.</summary>
    /// <param name="step">The step just taken.</param>
    public override bool GoalReached(in StepView step) => Distance(step) < ReachedWithin;
}

/// <summary>
/// reach_quadruped (fetch-like): the quadruped walks to goals 2-17 m away (the target is that distance); within
/// 0.5 m a goal counts as reached and a new one appears. Reward <c>approach speed - 0.5 |a|^2 + 1 - 5e-4 contact
/// cost + 10 per goal reached</c>; ends when the torso leaves [0.2, 1] m height. Observation: as ant_dir (27) plus
/// the goal relative to the torso (2).
/// </summary>
public sealed class QuadrupedReach() : LocomotionTask("reach_quadruped", "ant", substeps: 5, 2f, 17f,
    "quadruped walking to goals 2-17 m away, respawning when reached")
{
    /// <summary>Distance in metres from torso to goal (in the ground plane) under which the goal counts as reached.</summary>
    public const double ReachedWithin = 0.5;
    private static readonly AntDirection Body = new();

    /// <summary>8: hip and knee motors of the four legs (the ant model).</summary>
    public override int ActionSize => 8;
    /// <summary>29: ant_dir's 27 values plus the goal relative to the torso (x, y).</summary>
    public override int StateObservationSize => 29;
    /// <summary>2: the goal's world x and y.</summary>
    public override int GoalSize => 2;
    /// <summary>Contact forces, for the contact cost.</summary>
    public override StepExtras Extras => StepExtras.ContactForces;

    /// <inheritdoc/>
    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        Body.Observe(environment, state[..27]);
        state[27] = (float)(environment.Goal[0] - environment.Position[0]);
        state[28] = (float)(environment.Goal[1] - environment.Position[1]);
    }

    /// <summary>A point <paramref name="target"/> metres from the torso in a uniformly random direction.</summary>
    /// <param name="environment">The environment after the reset or step.</param>
    /// <param name="target">Distance from the torso, m.</param>
    /// <param name="goal">Receives the goal's world x, y.</param>
    /// <param name="random">The episode's goal stream.</param>
    public override void PlaceGoal(LocomotionEnvironment environment, float target, Span<double> goal, ref RandomStream random)
    {
        double angle = 2 * Math.PI * random.NextDouble();
        goal[0] = environment.Position[0] + target * Math.Cos(angle);
        goal[1] = environment.Position[1] + target * Math.Sin(angle);
    }

    private static double Distance(ReadOnlySpan<double> goal, ReadOnlySpan<double> position) =>
        Math.Sqrt((goal[0] - position[0]) * (goal[0] - position[0]) + (goal[1] - position[1]) * (goal[1] - position[1]));

    /// <summary>
    /// <c>approach speed - 0.5 |a|^2 + 1 - 5e-4 contact cost + 10 when the goal is reached</c>; the approach speed is
    /// the decrease of the torso-goal distance over the step, in m/s.
    /// </summary>
    /// <param name="step">What the step did (with contact forces and the goal).</param>
    /// <param name="target">Not used: the target only sets how far goals appear.</param>
    public override double Reward(in StepView step, float target)
    {
        double before = Distance(step.Goal, step.PreviousPosition), after = Distance(step.Goal, step.Position);
        double approach = (before - after) / step.ControlTimestep;
        return approach - 0.5 * step.ControlSquaredNorm() + 1.0 - 5e-4 * AntDirectionBase.ContactCost(step.ContactForces)
               + (after < ReachedWithin ? 10.0 : 0.0);
    }

    /// <summary>The torso is within <see cref="ReachedWithin"/> of the goal.</summary>
    /// <param name="step">The step just taken.</param>
    public override bool GoalReached(in StepView step) => Distance(step.Goal, step.Position) < ReachedWithin;

    /// <summary>As ant_dir: torso height within [0.2, 1] m.</summary>
    /// <param name="position">qpos.</param>
    /// <param name="velocity">qvel (not used).</param>
    public override bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) => Body.IsHealthy(position, velocity);
}
