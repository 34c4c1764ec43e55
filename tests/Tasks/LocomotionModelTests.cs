using PdlfFast.Kernel.Observation;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tests.Tasks;

/// <summary>The built-in models with their tasks: sizes, stepping, reproducibility, injuries on real episodes.</summary>
public class LocomotionModelTests
{
    public static TheoryData<string> TaskNames => [.. LocomotionTasks.Names];

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Each_model_loads_with_the_documented_sizes_and_steps_without_blowing_up(string name)
    {
        var task = LocomotionTasks.Find(name)!;
        using var model = MuJoCoModel.FromEmbedded(task.ModelName);
        Assert.Equal(task.ActionSize, model.ActuatorCount);
        Assert.All(Enumerable.Range(0, model.ActuatorCount), i => Assert.Equal((-1.0, 1.0), (model.ControlRange[2 * i], model.ControlRange[2 * i + 1])));
        int documented = name switch { "ant_dir" or "ant_forward" => 28, "swimmer_dir" => 9, "halfcheetah_vel" => 18, "hopper_vel" => 12, "reach_arm" => 14, "reach_quadruped" => 30, _ => -1 };
        Assert.Equal(documented, task.ObservationSize);

        using var environment = new LocomotionEnvironment(task, model) { EpisodeSteps = 200 };
        var noise = new PdlfFast.Kernel.Random.RandomStream(5, new(0, 0, 0, 0));
        float target = task.TrainingTarget(Math.Min(3, task.TrainingTargetCount - 1));
        environment.Reset(target, ref noise);
        var observation = new float[task.ObservationSize];
        var action = new float[task.ActionSize];
        var random = new Seeded(9);
        int steps = 0;
        EnvironmentStep result;
        do
        {
            environment.Observe(observation);
            Assert.All(observation, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(target, observation[^1]);
            random.Uniform(action.Length, -1.5f, 1.5f).CopyTo(action, 0); // beyond the range: clipped
            result = environment.Step(action);
            Assert.True(double.IsFinite(result.Reward));
            steps++;
        } while (!result.Terminated);
        Assert.Equal(0, environment.Instabilities);
        if (name is "halfcheetah_vel" or "swimmer_dir") Assert.Equal(200, steps); // these never terminate early
        Assert.InRange(steps, 1, 200);
    }

    [Fact]
    public void A_physics_blow_up_ends_the_episode_with_the_penalty_and_is_counted()
    {
        var task = new SwimmerDirection();
        using var model = MuJoCoModel.FromEmbedded(task.ModelName);
        using var environment = new LocomotionEnvironment(task, model);
        var noise = new PdlfFast.Kernel.Random.RandomStream(1, new(0, 0, 0, 0));
        environment.Reset(0f, ref noise);
        environment.Data.SetState(new double[5], [0, 0, double.PositiveInfinity, 0, 0]);
        var result = environment.Step([0f, 0f]);
        Assert.True(result.Unstable && result.Terminated);
        Assert.Equal(LocomotionEnvironment.InstabilityPenalty, result.Reward);
        Assert.Equal(1, environment.Instabilities);
        environment.Reset(0f, ref noise);
        Assert.False(environment.Step([0.5f, -0.5f]).Unstable);
    }

    private static float[] RandomParameters(LocomotionSetup setup, int seed, float scale)
    {
        var parameters = new Seeded(seed).Uniform(setup.Dimension, -scale, scale);
        return parameters;
    }

    [Fact]
    public void Episodes_reproduce_from_their_seed_and_fitness_does_not_depend_on_the_thread_count()
    {
        var setup = new LocomotionSetup(new HalfCheetahVelocity(), LocomotionPolicyKind.Pdlf, PdlfTermSet.Abcd, Hidden: 16, EpisodeSteps: 40);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        (float[] Fitness, double[] Statistics) Run(int threads)
        {
            var statistics = new ObservationStatistics(setup.Task.StateObservationSize, 6, 8);
            var evaluator = new LocomotionEvaluator(setup, model, statistics);
            using var driver = new EvaluationDriver<LocomotionEvaluator, LocomotionWorker>(evaluator, 6, setup.Dimension,
                new EvaluationOptions(EpisodesPerMember: 8, Threads: threads, Seed: 3));
            for (int m = 0; m < 6; m++) RandomParameters(setup, m, 0.5f).CopyTo(driver.PopulationBuffer, m * setup.Dimension);
            driver.Evaluate(0, TestContext.Current.CancellationToken);
            statistics.EndGeneration();
            var state = new double[statistics.Current.StateLength];
            statistics.Current.ExportState(state);
            return (driver.Fitness.ToArray(), state);
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Fitness, two.Fitness);
        Assert.Equal(one.Statistics, two.Statistics);
        Assert.Equal(6 * 8 * 40, one.Statistics[0]);
        Assert.True(one.Fitness.Distinct().Count() > 1, "different parameters give different fitness");
    }

    [Fact]
    public void Temporary_injury_zeroes_the_plastic_weights_inside_the_window_only()
    {
        var setup = new LocomotionSetup(new SwimmerDirection(), LocomotionPolicyKind.Pdlf, Hidden: 16);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model) { Injury = Injury.Temporary };
        var parameters = RandomParameters(setup, 1, 0.3f);
        var state = worker.State!;
        new Seeded(2).Uniform(state.InputWeights.Length, -1, 1).CopyTo(state.InputWeights);
        new Seeded(3).Uniform(state.OutputWeights.Length, -1, 1).CopyTo(state.OutputWeights);
        var before = state.OutputWeights.ToArray();
        worker.InjureBeforeStep(500, parameters);
        Assert.Equal(before, state.OutputWeights.ToArray());
        worker.InjureBeforeStep(501, parameters);
        Assert.All(state.InputWeights.ToArray(), w => Assert.Equal(0f, w));
        Assert.All(state.OutputWeights.ToArray(), w => Assert.Equal(0f, w));

        var baseline = setup with { Policy = LocomotionPolicyKind.DirectWeight };
        using var direct = new LocomotionWorker(baseline, model) { Injury = Injury.Temporary };
        var genome = RandomParameters(baseline, 4, 1f);
        direct.Weights!.Load(genome);
        var evolved = direct.Weights.OutputWeights.ToArray();
        direct.InjureBeforeStep(549, genome);
        Assert.All(direct.Weights.OutputWeights.ToArray(), w => Assert.Equal(0f, w));
        direct.InjureBeforeStep(550, genome);
        Assert.Equal(evolved, direct.Weights.OutputWeights.ToArray());
    }

    [Theory]
    [InlineData(LocomotionPolicyKind.Pdlf)]
    [InlineData(LocomotionPolicyKind.DirectWeight)]
    public void Permanent_injury_keeps_exactly_the_blocked_output_synapses_at_zero(LocomotionPolicyKind policy)
    {
        var setup = new LocomotionSetup(new SwimmerDirection(), policy, Hidden: 16, EpisodeSteps: 60);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model) { Injury = Injury.Permanent(0.4) };
        var blocked = worker.BlockedOutputSynapses.ToArray();
        Assert.Equal((int)Math.Round(0.4 * setup.Spec.Output.Synapses), blocked.Length);
        var normaliser = new ObservationNormaliser(setup.Task.StateObservationSize);
        var recorder = new OutputWeightCheck(blocked, policy);
        worker.RunEpisode(RandomParameters(setup, 5, 1f), 0.5f, 11, normaliser, null, ref recorder);
        Assert.Equal(60, recorder.Checked);
        Assert.True(recorder.SawLiveSynapse, "unblocked synapses carry weight");
    }

    private struct OutputWeightCheck(int[] blocked, LocomotionPolicyKind policy) : ILocomotionRecorder
    {
        public int Checked;
        public bool SawLiveSynapse;

        public readonly void BeforeStep(int step, LocomotionWorker worker) { }

        public void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result)
        {
            var weights = policy == LocomotionPolicyKind.Pdlf ? worker.State!.OutputWeights : worker.Weights!.OutputWeights;
            foreach (int i in blocked) Assert.Equal(0f, weights[i]);
            var shape = worker.Setup.Spec.Output;
            for (int r = 0; r < shape.Rows; r++)
                for (int c = 0; c < shape.Columns; c++)
                    if (Array.BinarySearch(blocked, shape.Index(r, c)) < 0 && weights[shape.Index(r, c)] != 0) SawLiveSynapse = true;
            Checked++;
        }
    }
}

public class ReachingGoalTests
{
    [Theory]
    [InlineData(0.02f)]
    [InlineData(0.3f)]
    [InlineData(0.52f)]
    public void Arm_goals_appear_at_the_target_distance_inside_the_workspace_and_respawn_when_reached(float target)
    {
        var task = new ArmReach();
        using var model = MuJoCoModel.FromEmbedded(task.ModelName);
        using var environment = new LocomotionEnvironment(task, model);
        for (uint episode = 0; episode < 20; episode++)
        {
            var noise = new PdlfFast.Kernel.Random.RandomStream(8, new(0, 0, episode, 0));
            environment.Reset(target, ref noise);
            double dx = environment.Goal[0] - environment.Sites[0], dy = environment.Goal[1] - environment.Sites[1];
            double radius = Math.Sqrt(environment.Goal[0] * environment.Goal[0] + environment.Goal[1] * environment.Goal[1]);
            Assert.InRange(radius, 0.15, 0.58);
            if (target < 0.5f) Assert.Equal(target, Math.Sqrt(dx * dx + dy * dy), 5);
        }
        // Put the fingertip on the goal (inverse kinematics with the wrist straight): the next step counts the goal
        // as reached and places a new one.
        var goal = environment.Goal.ToArray();
        double r = Math.Sqrt(goal[0] * goal[0] + goal[1] * goal[1]), upper = 0.24, fore = 0.22 + 0.14;
        double elbow = Math.Acos(Math.Clamp((r * r - upper * upper - fore * fore) / (2 * upper * fore), -1, 1));
        double shoulder = Math.Atan2(goal[1], goal[0]) - Math.Atan2(fore * Math.Sin(elbow), upper + fore * Math.Cos(elbow));
        environment.Data.SetState([shoulder, elbow, 0], new double[3]);
        environment.Step(new float[3]);
        Assert.Equal(1, environment.GoalsReached);
        Assert.NotEqual(goal, environment.Goal.ToArray());
    }
}
