using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Layers;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Tasks;

/// <summary>Reward, health, targets and injury protocols on hand-set states: no physics needed.</summary>
public class LocomotionRewardTests
{
    private static StepView View(double[] before, double[] after, double[] control, double dt = 0.05, double[]? contact = null) =>
        new(before, after, new double[after.Length], control, contact ?? [], dt);

    [Fact]
    public void Halfcheetah_reward_is_minus_speed_error_minus_control_cost()
    {
        var task = new HalfCheetahVelocity();
        var before = new double[9];
        var after = new double[9];
        after[0] = 0.25; // 0.25 m in 0.05 s = 5 m/s
        Assert.Equal(0.0, task.Reward(View(before, after, new double[6]), 5f), 12);
        Assert.Equal(-2.0 - 0.01 * 2.0, task.Reward(View(before, after, [1, 1, 0, 0, 0, 0]), 7f), 12);
        Assert.True(task.IsHealthy(after, new double[9]), "the cheetah never terminates");
    }

    [Fact]
    public void Hopper_reward_adds_a_healthy_bonus_and_ends_when_it_falls()
    {
        var task = new HopperVelocity();
        double[] before = [0, 1.25, 0, 0, 0, 0], after = [0.1, 1.25, 0, 0, 0, 0]; // 0.1 m in 0.05 s = 2 m/s
        Assert.Equal(-0.5 + 1 - 1e-3 * 1, task.Reward(View(before, after, [1, 0, 0]), 1.5f), 12);
        Assert.True(task.IsHealthy(after, new double[6]));
        Assert.False(task.IsHealthy([0, 0.69, 0, 0, 0, 0], new double[6]), "torso below 0.7 m");
        Assert.False(task.IsHealthy([0, 1.2, 0.21, 0, 0, 0], new double[6]), "tilted beyond 0.2 rad");
        Assert.False(task.IsHealthy([0, 1.2, 0, 0, 0, 0], [0, 0, 0, 100, 0, 0]), "joint velocity beyond 100");
    }

    [Fact]
    public void Direction_rewards_project_the_velocity_on_the_target_direction()
    {
        var swimmer = new SwimmerDirection();
        double[] before = new double[5], after = [0.05, 0.0, 0, 0, 0]; // 1 m/s along +x
        Assert.Equal(1.0, swimmer.Reward(View(before, after, [0, 0]), 0f), 12);
        Assert.Equal(0.0, swimmer.Reward(View(before, after, [0, 0]), MathF.PI / 2), 6);
        Assert.Equal(-1.0 - 1e-4 * 8, swimmer.Reward(View(before, after, [2, 2]), -MathF.PI), 6);

        var ant = new AntDirection();
        double[] antBefore = new double[15], antAfter = new double[15];
        antAfter[1] = 0.1; // 2 m/s along +y
        antAfter[2] = 0.55;
        var contact = new double[12];
        contact[0] = 3; // clipped to 1
        contact[7] = -0.5;
        double expected = 2.0 - 0.5 * 1.0 + 1.0 - 5e-4 * (1 + 0.25);
        Assert.Equal(expected, ant.Reward(View(antBefore, antAfter, [1, 0, 0, 0, 0, 0, 0, 0], contact: contact), MathF.PI / 2), 6);
        Assert.True(ant.IsHealthy(antAfter, new double[14]));
        antAfter[2] = 0.15;
        Assert.False(ant.IsHealthy(antAfter, new double[14]), "torso below 0.2 m");
    }

    [Fact]
    public void Reaching_rewards_pay_for_closing_in_and_for_each_goal_reached()
    {
        var arm = new ArmReach();
        double[] q = new double[3];
        double[] tip = [0.3, 0.1, 0], goal = [0.3, 0.4];
        var far = new StepView(q, q, q, [1, 0, 0], [], 0.02, tip, goal);
        Assert.Equal(-0.3 - 0.01, arm.Reward(far, 0.3f), 12);
        Assert.False(arm.GoalReached(far));
        double[] near = [0.3, 0.11];
        var reached = new StepView(q, q, q, [0, 0, 0], [], 0.02, tip, near);
        Assert.True(arm.GoalReached(reached));
        Assert.Equal(-0.01 + 1, arm.Reward(reached, 0.3f), 9);

        var walker = new QuadrupedReach();
        double[] before = new double[15], after = new double[15];
        after[0] = 0.1; // 0.1 m towards a goal straight ahead in 0.05 s: 2 m/s approach
        double[] ahead = [5, 0];
        var step = new StepView(before, after, new double[14], new double[8], new double[60], 0.05, default, ahead);
        Assert.Equal(2.0 + 1.0, walker.Reward(step, 5f), 9);
        double[] close = [0.5, 0];
        var arriving = new StepView(before, after, new double[14], new double[8], new double[60], 0.05, default, close);
        Assert.True(walker.GoalReached(arriving));
        Assert.Equal(2.0 + 1.0 + 10.0, walker.Reward(arriving, 5f), 9);
    }

    [Fact]
    public void Training_and_generalisation_targets_follow_the_reference_grid()
    {
        var cheetah = new HalfCheetahVelocity();
        Assert.Equal([1f, 2.125f, 3.25f, 4.375f, 5.5f, 6.625f, 7.75f, 8.875f], Enumerable.Range(0, 8).Select(cheetah.TrainingTarget));
        Assert.Equal(1 + 9 / 8f, cheetah.GeneralisationTarget(0), 5);
        Assert.Equal(10 - 9 / 8f, cheetah.GeneralisationTarget(71), 5);
        var ant = new AntDirection();
        Assert.Equal(-MathF.PI, ant.TrainingTarget(0));
        Assert.Equal(MathF.PI / 2, ant.TrainingTarget(6), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => ant.TrainingTarget(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => ant.GeneralisationTarget(72));
    }

    [Property(MaxTest = 60, EndSize = 300)]
    public void Permanent_injury_blocks_the_stated_fraction_of_real_synapses(NonNegativeInt rowsRaw, NonNegativeInt columnsRaw, NonNegativeInt percent)
    {
        int rows = Seeded.Size(rowsRaw.Get, 200), columns = Seeded.Size(columnsRaw.Get, 20);
        double fraction = percent.Get % 101 / 100.0;
        var shape = LayerShape.Padded(rows, columns);
        var injury = Injury.Permanent(fraction, seed: 3);
        var blocked = injury.BlockedSynapses(shape);
        Assert.Equal((int)Math.Round(fraction * (rows * columns)), blocked.Length);
        Assert.Equal(blocked.Length, blocked.Distinct().Count());
        Assert.All(blocked, i => Assert.True(i / shape.Stride < rows && i % shape.Stride < columns, $"index {i} is padding"));
        Assert.Equal(blocked, Injury.Permanent(fraction, seed: 3).BlockedSynapses(shape));
    }

    [Fact]
    public void Injury_windows_and_validation()
    {
        var temporary = Injury.Temporary;
        Assert.False(temporary.WipesAt(500));
        Assert.True(temporary.WipesAt(501));
        Assert.True(temporary.WipesAt(549));
        Assert.False(temporary.WipesAt(550));
        Assert.Empty(temporary.BlockedSynapses(LayerShape.Padded(128, 8)));
        Assert.Empty(Injury.None.BlockedSynapses(LayerShape.Padded(128, 8)));
        Assert.NotEqual(Injury.Permanent(0.5, 1).BlockedSynapses(LayerShape.Padded(16, 4)), Injury.Permanent(0.5, 2).BlockedSynapses(LayerShape.Padded(16, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Injury.Permanent(1.5).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Injury(InjuryKind.Temporary, FirstStep: 10, LastStep: 5).Validate());
    }

    [Fact]
    public void Observation_statistics_do_not_depend_on_the_order_episodes_ran_in()
    {
        const int size = 5, members = 6, episodes = 4;
        var random = new Seeded(11);
        var observations = new float[members * episodes][];
        for (int i = 0; i < observations.Length; i++) observations[i] = random.Uniform(size * 30, -3, 7);

        ObservationStatistics Fill(int[] order)
        {
            var statistics = new ObservationStatistics(size, members, episodes);
            foreach (int slot in order)
            {
                var target = statistics.Slot(slot / episodes, slot % episodes)!;
                for (int t = 0; t < 30; t++) target.Update(observations[slot].AsSpan(t * size, size));
            }
            statistics.EndGeneration();
            return statistics;
        }
        var inOrder = Fill(Enumerable.Range(0, members * episodes).ToArray());
        var shuffled = Fill(random.Permutation(members * episodes));
        var a = new double[inOrder.Current.StateLength];
        var b = new double[a.Length];
        inOrder.Current.ExportState(a);
        shuffled.Current.ExportState(b);
        Assert.Equal(a, b);
        Assert.Equal(members * episodes * 30, inOrder.Current.Count);
        // And the merged statistics are those of all observations together.
        var all = observations.SelectMany(o => o).ToArray();
        for (int i = 0; i < size; i++)
        {
            var column = Enumerable.Range(0, all.Length / size).Select(t => (double)all[t * size + i]).ToArray();
            Assert.Equal(column.Average(), inOrder.Current.Mean[i], 9);
            Assert.Equal(column.Select(v => (v - column.Average()) * (v - column.Average())).Average(), inOrder.Current.Variance(i), 8);
        }
        Assert.Null(inOrder.Slot(-1, 0));
        Assert.Null(inOrder.Slot(0, episodes));
    }
}
