using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Recurrent;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tests.Support;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tests.Tasks;

public class CopyTaskTests
{
    [Fact]
    public void Timeline_inputs_and_targets_follow_the_task_definition()
    {
        // Len 3, Lat 2: steps 0-2 present, 3-4 delay, 5 cue, 6-8 recall.
        var task = new CopyTask(3, 2);
        float[] bits = [1f, -1f, -1f];
        Assert.Equal(9, task.Steps);
        Assert.Equal(6, task.FirstRecallStep);
        var input = new float[3];
        var expectedInputs = new[]
        {
            new[] { 1f, 1f, 0f }, [-1f, 1f, 0f], [-1f, 1f, 0f], [0f, 0f, 0f], [0f, 0f, 0f],
            [0f, 0f, 1f], [0f, 0f, 1f], [0f, 0f, 1f], [0f, 0f, 1f],
        };
        for (int t = 0; t < task.Steps; t++)
        {
            task.Input(bits, t, input);
            Assert.Equal(expectedInputs[t], input);
            Assert.Equal(t is 3 or 4, task.IsDelayStep(t));
        }
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 1f, -1f, -1f], Enumerable.Range(0, 9).Select(t => task.Target(bits, t)));
        Assert.Throws<ArgumentOutOfRangeException>(() => task.Input(bits, 9, input));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyTask(0, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyTask(8, -1));
    }

    [Fact]
    public void A_constant_output_scores_chance_and_a_perfect_one_scores_one()
    {
        var task = new CopyTask(8, 8);
        var bits = new float[8];
        var random = new RandomStream(1, new StreamId(0, 0, 0));
        CopyScore constant = new(), perfect = new(), silent = new();
        for (int s = 0; s < 4000; s++)
        {
            task.DrawSequence(ref random, bits);
            for (int t = task.FirstRecallStep; t < task.Steps; t++)
            {
                float target = task.Target(bits, t);
                constant.Add(0.7f, target);
                perfect.Add(3f * target, target);
                silent.Add(0f, target);
            }
        }
        // 32,000 fair bits: the standard error of the fraction is 0.0028.
        Assert.InRange(constant.Accuracy, 0.5 - 5 * 0.0028, 0.5 + 5 * 0.0028);
        Assert.Equal(1.0, perfect.Accuracy);
        Assert.Equal(0.0, silent.Accuracy); // no answer is no correct answer
        Assert.True(perfect.Fitness > constant.Fitness);
    }

    [Fact]
    public void The_squared_error_fitness_is_minus_the_mean_squared_error_of_tanh_output()
    {
        var score = new CopyScore();
        score.Add(0.5f, 1f);   // tanh 0.5 = 0.46212: error -0.53788
        score.Add(-2f, -1f);   // tanh -2 = -0.96403: error 0.03597
        score.Add(1f, -1f);    // tanh 1 = 0.76159: error 1.76159, a wrong sign
        double expected = -(0.53788 * 0.53788 + 0.03597 * 0.03597 + 1.76159 * 1.76159) / 3;
        Assert.Equal(expected, score.NegativeSquaredError, 4);
        Assert.Equal(score.NegativeSquaredError, score.FitnessBy(CopyFitness.SquaredError));
        Assert.Equal(score.Fitness, score.FitnessBy(CopyFitness.Accuracy));
        Assert.Equal(2.0 / 3 - 0.01 * -expected, score.Fitness, 4);

        // The evaluator hands the chosen fitness to evolution.
        var task = new CopyTask(4, 2);
        var byError = new CopyEvaluator(task, MemoryModel.Gru, 8, PdlfTermSet.Abcd, 5, fitness: CopyFitness.SquaredError);
        var byAccuracy = new CopyEvaluator(task, MemoryModel.Gru, 8, PdlfTermSet.Abcd, 5);
        var genome = new Seeded(3).Uniform(byError.Dimension, -0.5f, 0.5f);
        var episode = new EpisodeContext(0, 0, 0, 77);
        float error = byError.Evaluate(byError.CreateWorker(0), genome, episode);
        float accuracy = byAccuracy.Evaluate(byAccuracy.CreateWorker(0), genome, episode);
        Assert.InRange(error, -4f, 0f);
        Assert.NotEqual(error, accuracy);
    }

    [Fact]
    public void Gru_step_matches_a_hand_computed_cell()
    {
        // One input, one unit. Wx = [r 0.5, z -1, n 2], Wh = [r 1, z 0.5, n -1], b = [0, 0.25, 0.1], bhn = 0.2,
        // wout = 3, bout = -0.5; x = 1, h = 0:
        // r = s(0.5) = 0.622459, z = s(-1 + 0.25) = 0.320821, n = tanh(2 + 0.1 + r * 0.2) = tanh(2.224492) = 0.976889,
        // h' = (1 - z) n = 0.663482, out = 3 h' - 0.5 = 1.490447.
        var p = new GruParameters(1, 1);
        p.Load([0.5f, -1f, 2f, 1f, 0.5f, -1f, 0f, 0.25f, 0.1f, 0.2f, 3f, -0.5f]);
        foreach (bool scalar in new[] { false, true })
        {
            var state = new GruState(p);
            float output = scalar ? Gru.StepScalar(state, p, [1f]) : Gru.Step(state, p, [1f]);
            Assert.Equal(0.663482f, state.Hidden[0], 2e-6f);
            Assert.Equal(1.490447f, output, 5e-6f);
        }
    }

    // The gates run through StableMath, so every width gives the scalar twin's bits, over many steps of recurrence.
    [Property(MaxTest = 30, EndSize = 100)]
    public void Gru_step_on_every_width_equals_the_scalar_twin_bit_for_bit(NonNegativeInt hidden, int seed)
    {
        int h = Seeded.Size(hidden.Get, 100);
        var data = new Seeded(seed);
        var p = new GruParameters(3, h);
        p.Load(data.Uniform(GruParameters.GenomeLength(3, h), -0.5f, 0.5f));
        var twin = new GruState(p);
        var states = Vectorisation.Accelerated.Select(_ => new GruState(p)).ToArray();
        for (int t = 0; t < 20; t++)
        {
            var x = data.Uniform(3, -1f, 1f);
            float expected = Gru.StepScalar(twin, p, x);
            for (int w = 0; w < states.Length; w++)
            {
                var width = Vectorisation.Accelerated[w];
                float output = Gru.Step(states[w], p, x, width);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(output), $"{width} at step {t}: {output:R} vs {expected:R}");
                Bits.Equal(twin.Hidden, states[w].Hidden, $"{width} at step {t}");
            }
        }
    }

    [Fact]
    public void Batched_gru_steps_equal_single_steps_bit_for_bit()
    {
        var data = new Seeded(4);
        var p = new GruParameters(3, 37);
        p.Load(data.Uniform(p.GenomeLength(), -0.6f, 0.6f));
        const int batch = 5;
        var batched = new GruBatchState(p, batch);
        var singles = Enumerable.Range(0, batch).Select(_ => new GruState(p)).ToArray();
        var outputs = new float[batch];
        for (int t = 0; t < 12; t++)
        {
            var inputs = data.Uniform(batch * 3, -1f, 1f);
            Gru.StepBatch(batched, p, inputs, outputs);
            for (int b = 0; b < batch; b++)
            {
                float single = Gru.Step(singles[b], p, inputs.AsSpan(b * 3, 3));
                Assert.Equal(BitConverter.SingleToInt32Bits(single), BitConverter.SingleToInt32Bits(outputs[b]));
                Bits.Equal(singles[b].Hidden, batched.Hidden.Slice(b * p.Stride, p.Stride), $"sequence {b} at step {t}");
            }
        }
    }

    [Theory]
    [InlineData(MemoryModel.Pdlf, CopyProbe.None)]
    [InlineData(MemoryModel.Pdlf, CopyProbe.ResetMembranesAfterInput)]
    [InlineData(MemoryModel.Gru, CopyProbe.WipeDuringDelay)]
    [InlineData(MemoryModel.PlasticSnn, CopyProbe.WipeDuringDelay)]
    [InlineData(MemoryModel.PlasticSnn, CopyProbe.ResetMembranesAfterInput)]
    [InlineData(MemoryModel.DirectSnn, CopyProbe.None)]
    [InlineData(MemoryModel.DirectSnn, CopyProbe.WipeDuringDelay)]
    [InlineData(MemoryModel.DirectSnn, CopyProbe.ResetMembranesAfterInput)]
    public void Lock_step_batches_score_exactly_like_single_sequences(MemoryModel model, CopyProbe probe)
    {
        var evaluator = new CopyEvaluator(new CopyTask(5, 3), model, 24, PdlfTermSet.Abcd, sequencesPerEvaluation: 7);
        var worker = evaluator.CreateWorker(0);
        var genome = new Seeded(12).Uniform(evaluator.Dimension, -0.5f, 0.5f);
        var batched = evaluator.Test(worker, genome, 17, 99, probe); // 17 = two full batches of 7 and a partial one
        var single = new CopyScore();
        worker.Network.Load(genome);
        for (int s = 0; s < 17; s++)
        {
            var random = new RandomStream(99, new StreamId(0, 0, (uint)s, 0x434f5058));
            evaluator.RunSequence(worker, ref random, probe, ref single, recorder: null);
        }
        Assert.Equal(single.Recalled, batched.Recalled);
        Assert.Equal(single.Correct, batched.Correct);
        Assert.Equal(single.SquaredError, batched.SquaredError, 1e-9 * (1 + single.SquaredError));
    }

    [Fact]
    public void The_direct_weight_SNN_evolves_its_weights_and_has_no_plasticity()
    {
        var network = new WorkingMemoryNetwork(MemoryModel.DirectSnn, 16);
        Assert.Null(network.Rule);
        Assert.Null(network.Gru);
        Assert.NotNull(network.Direct);
        var spec = new NetworkSpec(CopyTask.Channels, 16, 1, NetworkVariant.DirectWeight);
        Assert.Equal(DirectWeightParameters.GenomeLength(spec), network.GenomeLength);
        Assert.Equal(network.GenomeLength, WorkingMemoryNetwork.GenomeLengthOf(MemoryModel.DirectSnn, 16, PdlfTermSet.Abcd));
        var genome = new Seeded(2).Uniform(network.GenomeLength, -1f, 1f);
        network.Load(genome);
        var state = new WorkingMemoryState(network);
        float[] input = [1f, 1f, 0f];
        float first = state.Step(input);
        var weightsBefore = network.Direct!.InputWeights.ToArray();
        for (int t = 0; t < 10; t++) state.Step(input);
        Bits.Equal(weightsBefore, network.Direct.InputWeights, "weights after steps"); // fixed: nothing plastic
        Assert.Equal(first, new WorkingMemoryState(network).StepScalar(input)); // the scalar path agrees
    }

    [Fact]
    public void The_papers_probe_resets_membranes_once_and_leaves_a_GRU_alone()
    {
        var task = new CopyTask(6, 4);
        var gru = new CopyEvaluator(task, MemoryModel.Gru, 16, PdlfTermSet.Abcd, sequencesPerEvaluation: 8);
        var gruWorker = gru.CreateWorker(0);
        var gruGenome = new Seeded(3).Uniform(gru.Dimension, -0.8f, 0.8f);
        var intact = gru.Test(gruWorker, gruGenome, 40, 5, CopyProbe.None);
        var probed = gru.Test(gruWorker, gruGenome, 40, 5, CopyProbe.ResetMembranesAfterInput);
        Assert.Equal(intact.Correct, probed.Correct);
        Assert.Equal(intact.SquaredError, probed.SquaredError); // a GRU has no membrane: bit for bit the same run

        // A plastic SNN: find a genome whose membranes still hold charge when the input ends (random genomes often
        // spike every neuron every step, and a hard reset leaves nothing), then check the probe zeroes exactly that.
        var snn = new CopyEvaluator(task, MemoryModel.PlasticSnn, 24, PdlfTermSet.Abcd, sequencesPerEvaluation: 8);
        var snnWorker = snn.CreateWorker(0);
        for (int seed = 1; seed <= 200; seed++)
        {
            snnWorker.Network.Load(new Seeded(seed).Uniform(snn.Dimension, -0.3f, 0.3f));
            var watch = new MembraneWatch(task.Length);
            var score = new CopyScore();
            var random = new RandomStream(7, new StreamId(0, 0, 0, 1));
            snn.RunSequence(snnWorker, ref random, CopyProbe.None, ref score, watch);
            if (!watch.Charged) continue;
            var afterProbe = new MembraneWatch(task.Length);
            var probedScore = new CopyScore();
            random = new RandomStream(7, new StreamId(0, 0, 0, 1));
            snn.RunSequence(snnWorker, ref random, CopyProbe.ResetMembranesAfterInput, ref probedScore, afterProbe);
            Assert.NotEqual(watch.MembraneAtReset, afterProbe.MembraneAtReset); // step Len started from zeroed membranes
            Assert.Equal(watch.OutputsBeforeReset, afterProbe.OutputsBeforeReset); // and nothing happened before it
            return;
        }
        Assert.Fail("no genome among 200 kept membrane charge past the input");
    }

    [Fact]
    public void Recall_counts_by_position_add_up_to_the_score_and_match_single_sequences()
    {
        var task = new CopyTask(6, 2);
        var evaluator = new CopyEvaluator(task, MemoryModel.Pdlf, 16, PdlfTermSet.Abcd, sequencesPerEvaluation: 4);
        var worker = evaluator.CreateWorker(0);
        var genome = new Seeded(5).Uniform(evaluator.Dimension, -0.5f, 0.5f);
        var byPosition = new int[task.Length];
        var score = evaluator.Test(worker, genome, 11, 123, CopyProbe.WipeDuringDelay, byPosition);
        Assert.Equal(score.Correct, byPosition.Sum());
        var expected = new int[task.Length];
        var single = new CopyScore();
        for (int s = 0; s < 11; s++)
        {
            var random = new RandomStream(123, new StreamId(0, 0, (uint)s, 0x434f5058));
            evaluator.RunSequence(worker, ref random, CopyProbe.WipeDuringDelay, ref single, new PositionCounter(task, worker, expected));
        }
        Assert.Equal(expected, byPosition);
        Assert.Throws<ArgumentException>(() => evaluator.Test(worker, genome, 11, 123, CopyProbe.None, new int[task.Length + 1]));
    }

    /// <summary>Whether any membrane holds charge after the last input step, the membranes after step Len, and the outputs before it.</summary>
    private sealed class MembraneWatch(int length) : ICopyRecorder
    {
        public bool Charged { get; private set; }
        public float[] MembraneAtReset { get; private set; } = [];
        public List<float> OutputsBeforeReset { get; } = [];

        public void Record(int step, ReadOnlySpan<float> input, float output, WorkingMemoryState state)
        {
            if (step < length) OutputsBeforeReset.Add(output);
            if (step == length - 1) Charged = state.Snn!.Membrane.ToArray().Any(v => v != 0f);
            if (step == length) MembraneAtReset = state.Snn!.Membrane.ToArray();
        }
    }

    private sealed class PositionCounter(CopyTask task, CopyWorker worker, int[] counts) : ICopyRecorder
    {
        public void Record(int step, ReadOnlySpan<float> input, float output, WorkingMemoryState state)
        {
            if (step < task.FirstRecallStep) return;
            if (output * worker.Bits[step - task.FirstRecallStep] > 0f) counts[step - task.FirstRecallStep]++;
        }
    }

    [Theory]
    [InlineData(0f, 0)]
    [InlineData(0.4f, 2)]
    [InlineData(0.5f, 3)] // 2.5 sequences round away from zero
    [InlineData(1f, 5)]
    public void Training_evaluations_wipe_activity_in_the_chosen_fraction_of_their_sequences(float fraction, int wiped)
    {
        var evaluator = new CopyEvaluator(new CopyTask(4, 3), MemoryModel.Pdlf, 16, PdlfTermSet.Abcd, sequencesPerEvaluation: 5,
            trainResetFraction: fraction);
        Assert.Equal(wiped, evaluator.TrainResetSequences);
        var worker = evaluator.CreateWorker(0);
        var genome = new Seeded(31).Uniform(evaluator.Dimension, -0.5f, 0.5f);
        float fitness = evaluator.Evaluate(worker, genome, new EpisodeContext(0, 0, 0, Seed: 77));
        var expected = new CopyScore();
        var unwiped = new CopyScore();
        for (int s = 0; s < 5; s++)
        {
            var random = new RandomStream(77, new StreamId(0, 0, (uint)s, 0x434f5054));
            evaluator.RunSequence(worker, ref random, s < wiped ? CopyProbe.WipeDuringDelay : CopyProbe.None, ref expected, recorder: null);
            random = new RandomStream(77, new StreamId(0, 0, (uint)s, 0x434f5054));
            evaluator.RunSequence(worker, ref random, CopyProbe.None, ref unwiped, recorder: null);
        }
        Assert.Equal(expected.Fitness, fitness, 1e-6f); // sums in another order: equal up to rounding
        if (wiped > 0) Assert.NotEqual(unwiped.SquaredError, expected.SquaredError); // the reset changes what the network outputs
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyEvaluator(new CopyTask(4, 3), MemoryModel.Pdlf, 16, PdlfTermSet.Abcd, 5, trainResetFraction: 1.5f));
    }

    [Theory]
    [InlineData(MemoryModel.Pdlf)]
    [InlineData(MemoryModel.Gru)]
    [InlineData(MemoryModel.PlasticSnn)]
    public void Working_memory_networks_match_their_scalar_twins_and_allocate_nothing(MemoryModel model)
    {
        var data = new Seeded(5);
        var network = new WorkingMemoryNetwork(model, 40);
        network.Load(data.Uniform(network.GenomeLength, -0.5f, 0.5f));
        var vector = new WorkingMemoryState(network);
        var scalar = new WorkingMemoryState(network);
        var inputs = Enumerable.Range(0, 30).Select(_ => data.Uniform(3, -1f, 1f)).ToArray();
        foreach (var x in inputs)
        {
            float a = vector.Step(x), b = scalar.StepScalar(x);
            Assert.True(MathF.Abs(a - b) <= 1e-4f * (1 + MathF.Abs(b)), $"{model}: {a} vs {b}");
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var x in inputs) vector.Step(x);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(model != MemoryModel.Gru, vector.Snn is not null);
        Assert.Equal(model != MemoryModel.PlasticSnn, vector.Gru is not null);
    }

    [Theory]
    [InlineData(MemoryModel.Pdlf)]
    [InlineData(MemoryModel.Gru)]
    public void An_evaluation_of_lock_step_sequences_allocates_nothing_after_warm_up(MemoryModel model)
    {
        var evaluator = new CopyEvaluator(new CopyTask(6, 4), model, 40, PdlfTermSet.Abcd, sequencesPerEvaluation: 9);
        var worker = evaluator.CreateWorker(0);
        var genome = new Seeded(3).Uniform(evaluator.Dimension, -0.3f, 0.3f);
        var context = new EpisodeContext(0, 0, 0, 17);
        float first = evaluator.Evaluate(worker, genome, context);
        long before = GC.GetAllocatedBytesForCurrentThread();
        float second = evaluator.Evaluate(worker, genome, context);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(first, second); // an evaluation depends only on the genome and its context
    }

    [Fact]
    public void The_activity_reset_probe_clears_activity_but_keeps_fast_weights()
    {
        var data = new Seeded(8);
        var network = new WorkingMemoryNetwork(MemoryModel.Pdlf, 32);
        network.Load(data.Uniform(network.GenomeLength, -0.5f, 0.5f));
        var state = new WorkingMemoryState(network);
        for (int t = 0; t < 5; t++) state.Step(data.Uniform(3, -1f, 1f));
        var weights = state.Snn!.InputWeights.ToArray();
        Assert.Contains(weights, w => w != 0f);
        state.ResetActivity();
        Assert.All(state.Snn.Membrane.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(state.Snn.Trace.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(state.Gru!.Hidden.ToArray(), v => Assert.Equal(0f, v));
        Bits.Equal(weights, state.Snn.InputWeights, "fast weights");
        state.Reset();
        Assert.All(state.Snn.InputWeights.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void A_short_training_run_improves_test_accuracy_over_the_initial_mean()
    {
        // Reduced budget (about a second): Len 4, Lat 2, PDLF + GRU(32), PGPE 64 x 40 generations, 16 sequences each.
        var evaluator = new CopyEvaluator(new CopyTask(4, 2), MemoryModel.Pdlf, 32, PdlfTermSet.Abcd, 16);
        var strategy = new Pgpe(evaluator.Dimension, new PgpeOptions(64, 0.05, InitialStdev: 0.1f, Seed: 3));
        using var run = new EvolutionRun<CopyEvaluator, CopyWorker>(strategy, evaluator, new EvaluationOptions(1, 2, true, 1));
        var worker = evaluator.CreateWorker(0);
        double initial = evaluator.Test(worker, strategy.Mean, 200, 7, CopyProbe.None).Accuracy;
        run.Run(40, cancellation: TestContext.Current.CancellationToken);
        double trained = evaluator.Test(worker, strategy.Mean, 200, 7, CopyProbe.None).Accuracy;
        Assert.True(trained > Math.Max(initial, 0.6), $"test accuracy {initial:F3} -> {trained:F3}");
    }
}
