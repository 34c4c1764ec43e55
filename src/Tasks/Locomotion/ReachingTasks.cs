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
    public const double ReachedWithin = 0.015;
    private const double InnerWorkspace = 0.15, OuterWorkspace = 0.58;
    private const int Fingertip = 0;

    public override int ActionSize => 3;
    public override int StateObservationSize => 13;
    public override int GoalSize => 2;
    public override StepExtras Extras => StepExtras.Positions;

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

    public override double Reward(in StepView step, float target)
    {
        double distance = Distance(step);
        return -distance - 0.01 * step.ControlSquaredNorm() + (distance < ReachedWithin ? 1.0 : 0.0);
    }

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
    public const double ReachedWithin = 0.5;
    private static readonly AntDirection Body = new();

    public override int ActionSize => 8;
    public override int StateObservationSize => 29;
    public override int GoalSize => 2;
    public override StepExtras Extras => StepExtras.ContactForces;

    public override void Observe(LocomotionEnvironment environment, Span<float> state)
    {
        Body.Observe(environment, state[..27]);
        state[27] = (float)(environment.Goal[0] - environment.Position[0]);
        state[28] = (float)(environment.Goal[1] - environment.Position[1]);
    }

    public override void PlaceGoal(LocomotionEnvironment environment, float target, Span<double> goal, ref RandomStream random)
    {
        double angle = 2 * Math.PI * random.NextDouble();
        goal[0] = environment.Position[0] + target * Math.Cos(angle);
        goal[1] = environment.Position[1] + target * Math.Sin(angle);
    }

    private static double Distance(ReadOnlySpan<double> goal, ReadOnlySpan<double> position) =>
        Math.Sqrt((goal[0] - position[0]) * (goal[0] - position[0]) + (goal[1] - position[1]) * (goal[1] - position[1]));

    public override double Reward(in StepView step, float target)
    {
        double before = Distance(step.Goal, step.PreviousPosition), after = Distance(step.Goal, step.Position);
        double approach = (before - after) / step.ControlTimestep;
        return approach - 0.5 * step.ControlSquaredNorm() + 1.0 - 5e-4 * AntDirection.ContactCost(step.ContactForces)
               + (after < ReachedWithin ? 10.0 : 0.0);
    }

    public override bool GoalReached(in StepView step) => Distance(step.Goal, step.Position) < ReachedWithin;

    public override bool IsHealthy(ReadOnlySpan<double> position, ReadOnlySpan<double> velocity) => Body.IsHealthy(position, velocity);
}
