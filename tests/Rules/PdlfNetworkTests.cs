using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tests.Support;
using static PdlfFast.Tests.Rules.RuleTestKit;

namespace PdlfFast.Tests.Rules;

public class PdlfNetworkTests
{

    // Tolerance 0: every kernel of the step is bit-identical to its twin (see the kernel tests), so whole episodes are.
    [Property(MaxTest = 40, EndSize = 300)]
    public void Vectorised_episode_is_bit_identical_to_scalar_twin(NonNegativeInt input, NonNegativeInt hidden, NonNegativeInt output, int seed)
    {
        var data = new Seeded(seed);
        var spec = new NetworkSpec(Seeded.Size(input.Get, 40), Seeded.Size(hidden.Get, 300), Seeded.Size(output.Get, 20));
        foreach (var terms in Enum.GetValues<PdlfTermSet>())
        {
            var rule = new PdlfCoefficients(spec, terms);
            rule.Load(RandomGenome(data, spec, terms, 0.5f));
            var observations = Enumerable.Range(0, 20).Select(_ => data.Uniform(spec.InputSize, -5f, 5f)).ToArray();
            var reference = new NetworkState(spec);
            var expected = new float[observations.Length][];
            for (int t = 0; t < observations.Length; t++)
                PdlfNetwork.StepScalar(reference, rule, observations[t], expected[t] = new float[spec.OutputSize]);
            foreach (var width in Seeded.VectorWidths)
            {
                var state = new NetworkState(spec);
                var action = new float[spec.OutputSize];
                for (int t = 0; t < observations.Length; t++)
                {
                    PdlfNetwork.Step(state, rule, observations[t], action, width);
                    Bits.Equal(expected[t], action, $"{terms} action at step {t} ({width}, {spec})");
                }
                Bits.Equal(reference.InputWeights, state.InputWeights, "layer-1 weights");
                Bits.Equal(reference.OutputWeights, state.OutputWeights, "layer-2 weights");
                Bits.Equal(reference.Trace, state.Trace, "hidden trace");
                Assert.Equal(reference.InputScale, state.InputScale);
                Assert.Equal(reference.OutputScale, state.OutputScale);
            }
        }
    }

    [Theory]
    // Network 1-2-1, observation x = 2 both steps; layer 1 per hidden j: eta [1, 0.5], A [1, 1], B [0, 0],
    // C [-1, 0.5], D [0, 0.25]; layer 2 per hidden j: eta [1, 1], A [1, 1], B [0.5, 0.5], C [0, 0], D [0.5, -0.25].
    // ABCD by hand: step 1 from zero weights is silent (out 0); W1 += eta(-A C x + D) = [2, -0.375] -> [1, -0.1875];
    // W2 += eta D = [0.5, -0.25] -> [1, -0.5]. Step 2: I = [2, -0.375], v = I (1 - 1/e) = [1.264, -0.237]: both
    // fire, s = [1, -1], trace = [0.63212, -0.63212], out = 1 + 0.5 = 1.5. W1 += [3.26424, -1.00712] ->
    // [4.26424, -1.19462] -> [1, -0.28015]; W2 += [2.19818, -0.44818] -> [3.19818, -0.94818] -> [1, -0.29648].
    [InlineData(PdlfTermSet.Abcd, new[] { 0f, 1f, -0.1875f, 1f, -0.5f }, new[] { 1.5f, 1f, -0.2801485f, 1f, -0.2964751f }, new[] { 1f, -1f })]
    // ACD (no B y): W2 step 2 += [0.94818 + 0.5, -0.94818 - 0.25] -> [2.44818, -1.69818] -> [1, -0.69365].
    [InlineData(PdlfTermSet.Acd, new[] { 0f, 1f, -0.1875f, 1f, -0.5f }, new[] { 1.5f, 1f, -0.2801485f, 1f, -0.6936501f }, new[] { 1f, -1f })]
    // BD (no A, C): W1 = eta D = [0, 0.125] -> [0, 1]; step 2: only hidden 2 fires (+1), out = W2[1] = -0.5;
    // W2 += eta (B out + D) = [0.25, -0.5] -> [1.25, -1] -> [1, -0.8].
    [InlineData(PdlfTermSet.Bd, new[] { 0f, 0f, 1f, 1f, -0.5f }, new[] { -0.5f, 0f, 1f, 1f, -0.8f }, new[] { 0f, 1f })]
    public void Two_steps_match_hand_computed_values(PdlfTermSet terms, float[] afterStep1, float[] afterStep2, float[] spikesStep2)
    {
        // Each expectation: action, effective W1[0,0], W1[0,1], W2[0,0], W2[1,0].
        var spec = new NetworkSpec(1, 2, 1);
        var layer1 = new Dictionary<PdlfParameter, float[]>
        {
            [PdlfParameter.Eta] = [1f, 0.5f], [PdlfParameter.A] = [1f, 1f], [PdlfParameter.B] = [0f, 0f],
            [PdlfParameter.C] = [-1f, 0.5f], [PdlfParameter.D] = [0f, 0.25f],
        };
        var layer2 = new Dictionary<PdlfParameter, float[]>
        {
            [PdlfParameter.Eta] = [1f, 1f], [PdlfParameter.A] = [1f, 1f], [PdlfParameter.B] = [0.5f, 0.5f],
            [PdlfParameter.C] = [0f, 0f], [PdlfParameter.D] = [0.5f, -0.25f],
        };
        var genome = new List<float>();
        foreach (var layer in new[] { layer1, layer2 })
            foreach (var p in terms.Parameters()) genome.AddRange(layer[p]);
        var rule = new PdlfCoefficients(spec, terms);
        rule.Load(genome.ToArray());
        var state = new NetworkState(spec);
        var action = new float[1];
        var w1 = new float[2];
        var w2 = new float[2];
        foreach (var (expected, step) in new[] { (afterStep1, 1), (afterStep2, 2) })
        {
            PdlfNetwork.Step(state, rule, [2f], action);
            state.CopyEffectiveWeights(1, w1);
            state.CopyEffectiveWeights(2, w2);
            float[] actual = [action[0], w1[0], w1[1], w2[0], w2[1]];
            for (int k = 0; k < 5; k++) Assert.True(MathF.Abs(expected[k] - actual[k]) < 2e-6f, $"step {step}, value {k}: expected {expected[k]}, got {actual[k]}");
        }
        Assert.Equal(spikesStep2, state.Spikes[..2].ToArray());
    }

    [Property(MaxTest = 30, EndSize = 200)]
    public void Permuting_hidden_neurons_permutes_the_hidden_layer_and_keeps_the_actions(NonNegativeInt hidden, int seed)
    {
        var data = new Seeded(seed);
        var spec = new NetworkSpec(5, Seeded.Size(hidden.Get, 200), 3);
        var genome = RandomGenome(data, spec, PdlfTermSet.Abcd, 0.5f);
        var perm = data.Permutation(spec.HiddenSize);
        // Permute hidden indices: layer-1 columns and layer-2 rows of every parameter matrix.
        var permuted = new float[genome.Length];
        int h = spec.HiddenSize, inSize = spec.InputSize, outSize = spec.OutputSize, offset = 0;
        for (int p = 0; p < 5; p++, offset += inSize * h)
            for (int i = 0; i < inSize; i++)
                for (int j = 0; j < h; j++) permuted[offset + i * h + j] = genome[offset + i * h + perm[j]];
        for (int p = 0; p < 5; p++, offset += h * outSize)
            for (int j = 0; j < h; j++)
                for (int k = 0; k < outSize; k++) permuted[offset + j * outSize + k] = genome[offset + perm[j] * outSize + k];

        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd); rule.Load(genome);
        var permutedRule = new PdlfCoefficients(spec, PdlfTermSet.Abcd); permutedRule.Load(permuted);
        var a = new NetworkState(spec);
        var b = new NetworkState(spec);
        float[] actionA = new float[outSize], actionB = new float[outSize];
        for (int t = 0; t < 30; t++)
        {
            var x = data.Uniform(inSize, -5f, 5f);
            PdlfNetwork.Step(a, rule, x, actionA);
            PdlfNetwork.Step(b, permutedRule, x, actionB);
            // The hidden layer sums the same input rows in the same order: exactly permuted.
            Bits.Equal(perm.Select(j => a.Trace[j]).ToArray(), b.Trace[..h], $"trace at step {t}");
            Bits.Equal(perm.Select(j => a.Membrane[j]).ToArray(), b.Membrane[..h], $"membrane at step {t}");
            // The output sums hidden rows in permuted order, so it differs by float rounding only.
            for (int k = 0; k < outSize; k++)
                Assert.True(MathF.Abs(actionA[k] - actionB[k]) <= 1e-4f * (1f + MathF.Abs(actionA[k])), $"action {k} at step {t}: {actionA[k]} vs {actionB[k]}");
        }
    }

    [Fact]
    public void Warmed_up_episode_of_1000_steps_allocates_nothing()
    {
        var data = new Seeded(7);
        var spec = new NetworkSpec(28, 128, 8);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        rule.Load(RandomGenome(data, spec, PdlfTermSet.Abcd, 0.1f));
        var state = new NetworkState(spec);
        var observations = Enumerable.Range(0, 16).Select(_ => data.Uniform(28, -5f, 5f)).ToArray();
        var action = new float[8];
        void Episode()
        {
            state.Reset();
            for (int t = 0; t < 1000; t++) PdlfNetwork.Step(state, rule, observations[t & 15], action);
        }
        Assert.Equal(0, Allocations.OfWarmedUp(Episode));
        Assert.True(state.InputScale > 0f && float.IsFinite(action[0]));
    }

    [Fact]
    public void Warmed_up_episode_with_bfloat16_coefficients_allocates_nothing()
    {
        var data = new Seeded(8);
        var spec = new NetworkSpec(28, 128, 8);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd, CoefficientPrecision.BFloat16);
        rule.Load(RandomGenome(data, spec, PdlfTermSet.Abcd, 0.1f));
        var state = new NetworkState(spec);
        var observations = Enumerable.Range(0, 16).Select(_ => data.Uniform(28, -5f, 5f)).ToArray();
        var action = new float[8];
        void Episode()
        {
            state.Reset();
            for (int t = 0; t < 1000; t++) PdlfNetwork.Step(state, rule, observations[t & 15], action);
        }
        Assert.Equal(0, Allocations.OfWarmedUp(Episode));
        Assert.True(float.IsFinite(action[0]));
    }

    [Fact]
    public void An_undefined_coefficient_precision_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PdlfCoefficients(new NetworkSpec(3, 8, 2), PdlfTermSet.Abcd, (CoefficientPrecision)7));

    [Fact]
    public void Reset_returns_the_state_to_a_fresh_episode()
    {
        var data = new Seeded(3);
        var spec = new NetworkSpec(4, 20, 2);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        rule.Load(RandomGenome(data, spec, PdlfTermSet.Abcd));
        var state = new NetworkState(spec);
        var fresh = new NetworkState(spec);
        var action = new float[2];
        for (int t = 0; t < 10; t++) PdlfNetwork.Step(state, rule, data.Uniform(4, -3f, 3f), action);
        Assert.Contains(state.InputWeights.ToArray(), v => v != 0f);
        state.Reset();
        foreach (var (a, b, name) in new[] { (state.InputWeights.ToArray(), fresh.InputWeights.ToArray(), "W1"),
                     (state.OutputWeights.ToArray(), fresh.OutputWeights.ToArray(), "W2"), (state.Membrane.ToArray(), fresh.Membrane.ToArray(), "v"),
                     (state.Trace.ToArray(), fresh.Trace.ToArray(), "trace") })
            Bits.Equal(b, a, name);
        Assert.Equal(1f, state.InputScale);
    }

    [Fact]
    public void Mismatched_genome_observation_and_rule_are_rejected()
    {
        var spec = new NetworkSpec(3, 8, 2);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Acd);
        var ex = Assert.Throws<ArgumentException>(() => rule.Load(new float[5]));
        Assert.Contains($"needs {4 * (3 * 8 + 8 * 2)}", ex.Message);
        var state = new NetworkState(spec);
        Assert.Throws<ArgumentException>(() => PdlfNetwork.Step(state, rule, new float[4], new float[2]));
        var other = new PdlfCoefficients(new NetworkSpec(3, 9, 2), PdlfTermSet.Acd);
        Assert.Throws<ArgumentException>(() => PdlfNetwork.Step(state, other, new float[3], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkSpec(0, 8, 2));
    }
}
