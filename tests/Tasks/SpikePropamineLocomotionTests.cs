using PdlfFast.Kernel.Observation;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tests.Tasks;

/// <summary>SpikePropamine's plastic SNN as a locomotion policy, on real swimmer episodes.</summary>
public class SpikePropamineLocomotionTests
{
    private static LocomotionSetup Setup(TraceRuleVariant rule, int steps = 60) =>
        new(new SwimmerDirection(), LocomotionPolicyKind.SpikePropamine, Hidden: 8, EpisodeSteps: steps, TraceRule: rule);

    /// <summary>The ES's starting mean moved by noise, so every part (alpha, eta, modulation) is in play.</summary>
    private static float[] Genome(LocomotionSetup setup, int seed) =>
        PlasticSnnCases.PerturbedParameters(new PlasticSnnLayout(setup.PlasticSpec), 4, new Seeded(seed), 0.3f);

    private static double Episode(LocomotionWorker worker, float[] genome, ulong seed = 11)
    {
        var recorder = new NoRecorder();
        return worker.RunEpisode(genome, 0.5f, seed, new ObservationNormaliser(worker.Setup.Task.StateObservationSize), null, ref recorder);
    }

    private struct ActionLog(List<float[]> actions) : ILocomotionRecorder
    {
        public readonly void BeforeStep(int step, LocomotionWorker worker) { }
        public readonly void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result) => actions.Add(worker.Action.ToArray());
    }

    private static List<float[]> Actions(LocomotionWorker worker, float[] genome)
    {
        var actions = new List<float[]>();
        var recorder = new ActionLog(actions);
        worker.RunEpisode(genome, 0.5f, 11, new ObservationNormaliser(worker.Setup.Task.StateObservationSize), null, ref recorder);
        return actions;
    }

    [Fact]
    public void With_alpha_zero_the_plastic_traces_leave_the_actions_of_the_non_plastic_network_unchanged()
    {
        var plastic = Setup(TraceRuleVariant.Hebbian);
        var fixedWeights = Setup(TraceRuleVariant.None);
        Assert.Equal(plastic.Dimension, fixedWeights.Dimension); // one genome layout: the comparison trains the same parameters
        using var model = MuJoCoModel.FromEmbedded(plastic.Task.ModelName);
        using var plasticWorker = new LocomotionWorker(plastic, model);
        using var fixedWorker = new LocomotionWorker(fixedWeights, model);
        var genome = Genome(plastic, 1);
        var layout = plasticWorker.Network!.Layout;
        var noAlpha = genome.ToArray();
        layout.Of(noAlpha.AsSpan(), PlasticSnnPart.InputAlpha).Clear();
        layout.Of(noAlpha.AsSpan(), PlasticSnnPart.RecurrentAlpha).Clear();

        var withoutPlasticity = Actions(fixedWorker, genome);
        Assert.Contains(withoutPlasticity, a => a.Any(v => v != 0f)); // the network does act
        // trace rule none ignores alpha; Hebbian with alpha = 0 builds its traces H but they weigh nothing.
        Assert.Equal(withoutPlasticity, Actions(fixedWorker, noAlpha));
        var alphaZero = Actions(plasticWorker, noAlpha);
        Assert.Contains(plasticWorker.Network.InputPlasticTrace.ToArray(), h => h != 0f);
        Assert.Equal(withoutPlasticity, alphaZero);
        // With alpha the traces do act: the equivalence above is not vacuous.
        Assert.NotEqual(withoutPlasticity, Actions(plasticWorker, genome));
    }

    [Theory]
    [InlineData("hebbian")]
    [InlineData("bcm-neuromod")]
    [InlineData("hebbian-retroactive")]
    public void Plastic_traces_are_cleared_at_every_episode_start_so_an_episode_repeats_exactly(string rule)
    {
        Assert.True(TraceRuleVariant.TryParse(rule, out var variant));
        var setup = Setup(variant);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model);
        var genome = Genome(setup, 2);
        double first = Episode(worker, genome);
        var learnt = worker.Network!.RecurrentPlasticTrace.ToArray();
        Assert.Contains(learnt, h => h != 0f);
        Episode(worker, Genome(setup, 3), seed: 12); // another member in between, as a worker runs them
        Assert.Equal(first, Episode(worker, genome));
        Assert.Equal(learnt, worker.Network.RecurrentPlasticTrace.ToArray());
        // The genome persists: the network runs exactly the parameters it was given.
        Assert.Equal(genome, worker.Network.Parameters.ToArray());
    }

    [Fact]
    public void Fitness_does_not_depend_on_the_thread_count()
    {
        var setup = Setup(TraceRuleVariant.Hebbian, steps: 40);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        float[] Run(int threads)
        {
            var statistics = new ObservationStatistics(setup.Task.StateObservationSize, 4, 8);
            var evaluator = new LocomotionEvaluator(setup, model, statistics);
            using var driver = new EvaluationDriver<LocomotionEvaluator, LocomotionWorker>(evaluator, 4, setup.Dimension,
                new EvaluationOptions(EpisodesPerMember: 8, Threads: threads, Seed: 3));
            for (int m = 0; m < 4; m++) Genome(setup, m).CopyTo(driver.PopulationBuffer, m * setup.Dimension);
            driver.Evaluate(0, TestContext.Current.CancellationToken);
            return driver.Fitness.ToArray();
        }
        var one = Run(1);
        Bits.Equal(one, Run(2), "fitness at 1 and 2 threads");
        Assert.True(one.Distinct().Count() > 1, "different genomes give different fitness");
    }

    [Fact]
    public void The_initial_mean_is_seeded_small_random_weights_with_small_alpha_and_eta()
    {
        var setup = Setup(TraceRuleVariant.Hebbian);
        var mean = setup.InitialParameters(5)!;
        Assert.Equal(mean, setup.InitialParameters(5));
        Assert.NotEqual(mean, setup.InitialParameters(6));
        var layout = new PlasticSnnLayout(setup.PlasticSpec);
        Assert.All(layout.Of(mean.AsSpan(), PlasticSnnPart.InputAlpha).ToArray(), a => Assert.Equal(0.1f, a));
        Assert.Equal(0.1f, layout.Of(mean.AsSpan(), PlasticSnnPart.InputEta)[0]);
        Assert.InRange(layout.Of(mean.AsSpan(), PlasticSnnPart.InputWeights).ToArray().Max(MathF.Abs), 0.01f, 3f);
        // Without plasticity alpha stays 0; the weights are the same draw, so the two runs start alike.
        var fixedMean = Setup(TraceRuleVariant.None).InitialParameters(5)!;
        Assert.All(layout.Of(fixedMean.AsSpan(), PlasticSnnPart.InputAlpha).ToArray(), a => Assert.Equal(0f, a));
        Assert.Equal(layout.Of(mean.AsSpan(), PlasticSnnPart.InputWeights).ToArray(), layout.Of(fixedMean.AsSpan(), PlasticSnnPart.InputWeights).ToArray());
        Assert.Null(new LocomotionSetup(new SwimmerDirection(), LocomotionPolicyKind.Pdlf).InitialParameters(5)); // PDLF starts from zeros
    }

    [Fact]
    public void Temporary_injury_wipes_the_plastic_traces_inside_the_window_and_permanent_injury_blocks_readout_weights()
    {
        var setup = Setup(TraceRuleVariant.Hebbian);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model) { Injury = Injury.Temporary };
        var genome = Genome(setup, 5);
        Episode(worker, genome);
        var network = worker.Network!;
        var learnt = network.InputPlasticTrace.ToArray();
        Assert.Contains(learnt, h => h != 0f);
        worker.InjureBeforeStep(500, genome);
        Assert.Equal(learnt, network.InputPlasticTrace.ToArray());
        worker.InjureBeforeStep(501, genome);
        Assert.All(network.InputPlasticTrace.ToArray(), h => Assert.Equal(0f, h));
        Assert.All(network.RecurrentPlasticTrace.ToArray(), h => Assert.Equal(0f, h));
        Assert.Equal(genome, network.Parameters.ToArray()); // W and alpha are the genome: untouched

        worker.Injury = Injury.Permanent(0.5);
        var blocked = worker.BlockedOutputSynapses.ToArray();
        Assert.Equal(8, blocked.Length); // half of the 8 x 2 readout synapses
        Episode(worker, genome);
        var readout = network.Layout.Of(network.Parameters, PlasticSnnPart.OutputWeights).ToArray();
        var expected = network.Layout.Of(genome.AsSpan(), PlasticSnnPart.OutputWeights).ToArray();
        for (int i = 0; i < readout.Length; i++) Assert.Equal(blocked.Contains(i) ? 0f : expected[i], readout[i]);

        using var fixedWorker = new LocomotionWorker(Setup(TraceRuleVariant.None), model);
        Assert.Throws<ArgumentException>(() => fixedWorker.Injury = Injury.Temporary); // nothing plastic to wipe
    }

    [Fact]
    public void A_warmed_up_episode_allocates_nothing()
    {
        var setup = Setup(new TraceRuleVariant(TraceRule.Hebbian, TraceModulation.Retroactive, true), steps: 200);
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model);
        var genome = Genome(setup, 6);
        var normaliser = new ObservationNormaliser(setup.Task.StateObservationSize);
        var recorder = new NoRecorder();
        // Warm up past tiered compilation's call-counting delay (as PlasticSnnTests does); a one-off tier-up in a
        // window is retried, a real per-step allocation shows in every window.
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 300) worker.RunEpisode(genome, 0.5f, 3, normaliser, null, ref recorder);
        long allocated = -1;
        for (int window = 0; window < 3 && allocated != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            worker.RunEpisode(genome, 0.5f, 3, normaliser, null, ref recorder);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }
}
