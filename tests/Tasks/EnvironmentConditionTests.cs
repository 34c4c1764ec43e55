using FsCheck;
using FsCheck.Fluent;
using PdlfFast.Kernel.Random;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tasks.Runs;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Tasks;

/// <summary>Novel conditions: their text form, the model edits they make, and what those edits do to the physics.</summary>
public class EnvironmentConditionTests
{
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public void Every_condition_reads_back_from_its_text(byte kind, PositiveInt actuator, NormalFloat factor)
    {
        double scale = Math.Abs(factor.Get) + 1e-3;
        var condition = (kind % 4) switch
        {
            0 => EnvironmentCondition.None,
            1 => EnvironmentCondition.ActuatorOff(actuator.Get),
            2 => EnvironmentCondition.Friction(Math.Round(scale, 4)),
            _ => EnvironmentCondition.TorsoMass(Math.Round(scale, 4)),
        };
        Assert.Equal(condition, EnvironmentCondition.Parse(condition.ToString()));
    }

    [Theory]
    [InlineData("friction")]
    [InlineData("friction=0")]
    [InlineData("friction=-1")]
    [InlineData("friction=abc")]
    [InlineData("torso-mass=inf")]
    [InlineData("actuator-off=-1")]
    [InlineData("actuator-off=1.5")]
    [InlineData("gravity=2")]
    [InlineData("")]
    public void Malformed_conditions_are_refused_with_the_syntax(string text)
    {
        var error = Assert.Throws<FormatException>(() => EnvironmentCondition.Parse(text));
        Assert.Contains(text.Split('=')[0], error.Message);
    }

    [Fact]
    public void Each_condition_edits_only_what_it_names()
    {
        var task = LocomotionTasks.Find("ant_dir")!;
        using var intact = EnvironmentCondition.None.LoadModel(task);
        using var slippery = EnvironmentCondition.Friction(0.5).LoadModel(task);
        using var heavy = EnvironmentCondition.TorsoMass(1.5).LoadModel(task);
        using var broken = EnvironmentCondition.ActuatorOff(2).LoadModel(task);
        for (int g = 0; g < intact.GeomCount; g++)
        {
            Assert.Equal(intact.GeomFriction(g) * 0.5, slippery.GeomFriction(g));
            Assert.Equal(intact.GeomFriction(g), heavy.GeomFriction(g));
        }
        int torso = intact.RequireId(MuJoCoObject.Body, "torso");
        for (int b = 0; b < intact.BodyCount; b++)
        {
            Assert.Equal(intact.BodyMass(b) * (b == torso ? 1.5 : 1.0), heavy.BodyMass(b));
            Assert.Equal(intact.BodyMass(b), broken.BodyMass(b));
        }
        Assert.True(intact.BodyMass(torso) > 0);
        for (int a = 0; a < intact.ActuatorCount; a++)
        {
            Assert.True(intact.ActuatorGear(a) > 0);
            Assert.Equal(a == 2 ? 0 : intact.ActuatorGear(a), broken.ActuatorGear(a));
        }
    }

    [Fact]
    public void Conditions_that_do_not_fit_the_model_are_refused_by_name()
    {
        var arm = LocomotionTasks.Find("reach_arm")!;
        Assert.Contains("no body named 'torso'", Assert.Throws<ArgumentException>(() => EnvironmentCondition.TorsoMass(2).LoadModel(arm)).Message);
        Assert.Contains("actuators 0..2", Assert.Throws<ArgumentException>(() => EnvironmentCondition.ActuatorOff(3).LoadModel(arm)).Message);
        Assert.Throws<ArgumentException>(() => new EnvironmentCondition(ConditionKind.Friction, 0).LoadModel(arm));
    }

    /// <summary>Root x after <paramref name="steps"/> control steps of a fixed action pattern from the reset state.</summary>
    private static double[] Trajectory(LocomotionTask task, MuJoCoModel model, int steps, Func<int, int, float> action)
    {
        using var environment = new LocomotionEnvironment(task, model) { EpisodeSteps = steps };
        var noise = new RandomStream(3, new StreamId(0, 0, 0, 0));
        environment.Reset(task.TrainingTarget(4), ref noise);
        var a = new float[task.ActionSize];
        var path = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < a.Length; i++) a[i] = action(t, i);
            var result = environment.Step(a);
            path.AddRange(environment.Position.ToArray());
            if (result.Terminated) break;
        }
        return [.. path];
    }

    private static float Gait(int t, int i) => MathF.Sin(0.2f * t + i);

    [Fact]
    public void A_disabled_actuator_moves_the_body_exactly_as_a_zero_command_to_it_does()
    {
        var task = LocomotionTasks.Find("halfcheetah_vel")!;
        using var intact = MuJoCoModel.FromEmbedded(task.ModelName);
        using var broken = EnvironmentCondition.ActuatorOff(1).LoadModel(task);
        var withZeroCommand = Trajectory(task, intact, 150, (t, i) => i == 1 ? 0 : Gait(t, i));
        Bits.Equal(withZeroCommand, Trajectory(task, broken, 150, Gait), "qpos with actuator 1 off vs commanded 0");
        Assert.NotEqual(withZeroCommand, Trajectory(task, intact, 150, Gait));
    }

    [Theory]
    [InlineData("halfcheetah_vel")]
    [InlineData("ant_dir")]
    [InlineData("hopper_vel")] // frictionless before 0.9.1: its floor inherited condim 1
    public void Friction_and_torso_mass_change_the_motion_of_robots_on_the_ground(string name)
    {
        var task = LocomotionTasks.Find(name)!;
        using var intact = MuJoCoModel.FromEmbedded(task.ModelName);
        var reference = Trajectory(task, intact, 60, Gait);
        foreach (var condition in new[] { EnvironmentCondition.Friction(0.5), EnvironmentCondition.Friction(2), EnvironmentCondition.TorsoMass(1.5) })
        {
            using var changed = condition.LoadModel(task);
            var path = Trajectory(task, changed, 60, Gait);
            Assert.False(path.AsSpan().SequenceEqual(reference), $"{condition} left {name}'s motion unchanged");
        }
        using var again = EnvironmentCondition.None.LoadModel(task);
        Bits.Equal(reference, Trajectory(task, again, 60, Gait), "the intact model loaded through a condition");
    }

    [Fact]
    public void A_condition_result_is_the_mean_and_standard_error_of_the_per_episode_target_means()
    {
        // Targets x episodes: episode means 2 and 4 -> mean 3, sample sd sqrt(2), standard error 1.
        var result = ConditionResult.From(EnvironmentCondition.None, new double[,] { { 1, 3 }, { 3, 5 } });
        Assert.Equal((3.0, 2), (result.Mean, result.Episodes));
        Assert.Equal(1.0, result.StandardError, 12);
        var half = ConditionResult.From(EnvironmentCondition.Friction(2), new double[,] { { 1.5 }, { 1.5 } });
        Assert.Equal((0.5, 0.0), (half.FractionOf(result), half.StandardError));
        var negative = ConditionResult.From(EnvironmentCondition.None, new double[,] { { -1 } });
        Assert.Null(half.FractionOf(negative));
    }
}
