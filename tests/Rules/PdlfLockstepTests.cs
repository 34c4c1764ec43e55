using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tests.Support;
using static PdlfFast.Tests.Rules.RuleTestKit;

namespace PdlfFast.Tests.Rules;

/// <summary>K episodes stepped side by side (<see cref="PdlfNetwork.StepLockstep"/>) against K separate steps.</summary>
public class PdlfLockstepTests
{
    private static IEnumerable<SimdWidth> AllWidths => Seeded.VectorWidths.Append(SimdWidth.Scalar);

    // Tolerance 0: per synapse the lock-step pass does the single-episode pass's operations in the same order. Output
    // sizes 1 and 8 reach the one-column and (under AVX-512) row-pair paths; hidden sizes up to 300 give layer 1 blocks
    // of 3 rows and several blocks in layer 2; one episode restarts half-way, as an ended episode does in a rollout.
    [Property(MaxTest = 40, EndSize = 300)]
    public void Lockstep_episodes_are_bit_identical_to_separate_episodes(NonNegativeInt input, NonNegativeInt hidden,
        NonNegativeInt output, PositiveInt episodes, int seed, bool bfloat16)
    {
        var data = new Seeded(seed);
        int outputs = (output.Get % 3) switch { 0 => 1, 1 => 8, _ => Seeded.Size(output.Get, 20) };
        var spec = new NetworkSpec(Seeded.Size(input.Get, 40), Seeded.Size(hidden.Get, 300), outputs);
        int k = Seeded.Size(episodes.Get, 12), steps = 12, restarted = k / 2;
        foreach (var terms in Enum.GetValues<PdlfTermSet>())
        {
            var rule = new PdlfCoefficients(spec, terms, bfloat16 ? CoefficientPrecision.BFloat16 : CoefficientPrecision.Single);
            rule.Load(RandomGenome(data, spec, terms, 0.5f));
            var observations = Enumerable.Range(0, steps).Select(_ => data.Uniform(k * spec.InputSize, -5f, 5f)).ToArray();
            foreach (var width in AllWidths)
            {
                var separate = Enumerable.Range(0, k).Select(_ => new NetworkState(spec)).ToArray();
                var lockstep = Enumerable.Range(0, k).Select(_ => new NetworkState(spec)).ToArray();
                var expected = new float[k * spec.OutputSize];
                var actual = new float[k * spec.OutputSize];
                for (int t = 0; t < steps; t++)
                {
                    if (t == steps / 2)
                    {
                        separate[restarted].Reset();
                        lockstep[restarted].Reset();
                    }
                    for (int e = 0; e < k; e++)
                        PdlfNetwork.Step(separate[e], rule, observations[t].AsSpan(e * spec.InputSize, spec.InputSize),
                            expected.AsSpan(e * spec.OutputSize, spec.OutputSize), width);
                    PdlfNetwork.StepLockstep(lockstep, rule, observations[t], actual, width);
                    Bits.Equal(expected, actual, $"{terms} actions at step {t} ({width}, K = {k}, {spec})");
                }
                for (int e = 0; e < k; e++)
                {
                    Bits.Equal(separate[e].InputWeights, lockstep[e].InputWeights, $"episode {e} layer-1 weights ({width})");
                    Bits.Equal(separate[e].OutputWeights, lockstep[e].OutputWeights, $"episode {e} layer-2 weights ({width})");
                    Bits.Equal(separate[e].Membrane, lockstep[e].Membrane, $"episode {e} membranes ({width})");
                    Assert.Equal(separate[e].InputScale, lockstep[e].InputScale);
                    Assert.Equal(separate[e].OutputScale, lockstep[e].OutputScale);
                    Assert.Equal(separate[e].HiddenSpikeCount, lockstep[e].HiddenSpikeCount);
                }
            }
        }
    }

    [Fact]
    public void Two_lockstep_episodes_match_hand_computed_values()
    {
        // The 1-2-1 ABCD network of PdlfNetworkTests' hand-computed case. Episode 0 sees x = 2 (values from there).
        // Episode 1 sees x = 0, so only the D terms act and nothing fires: W1 += eta D = [0, 0.125] -> [0, 1] after
        // each step; W2 += eta D = [0.5, -0.25] -> [1, -0.5], then [1.5, -0.75] -> [1, -0.5]; the action stays 0.
        var spec = new NetworkSpec(1, 2, 1);
        float[] layer1 = [1f, 0.5f, 1f, 1f, 0f, 0f, -1f, 0.5f, 0f, 0.25f]; // eta, A, B, C, D per hidden neuron
        float[] layer2 = [1f, 1f, 1f, 1f, 0.5f, 0.5f, 0f, 0f, 0.5f, -0.25f];
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        rule.Load([.. layer1, .. layer2]);
        NetworkState[] states = [new(spec), new(spec)];
        var actions = new float[2];
        var w1 = new float[2];
        var w2 = new float[2];
        float[][][] expected =
        [
            [[0f, 1f, -0.1875f, 1f, -0.5f], [0f, 0f, 1f, 1f, -0.5f]],
            [[1.5f, 1f, -0.2801485f, 1f, -0.2964751f], [0f, 0f, 1f, 1f, -0.5f]],
        ];
        for (int step = 0; step < 2; step++)
        {
            PdlfNetwork.StepLockstep(states, rule, [2f, 0f], actions);
            for (int e = 0; e < 2; e++)
            {
                states[e].CopyEffectiveWeights(1, w1);
                states[e].CopyEffectiveWeights(2, w2);
                float[] actual = [actions[e], w1[0], w1[1], w2[0], w2[1]];
                for (int v = 0; v < 5; v++)
                    Assert.True(MathF.Abs(expected[step][e][v] - actual[v]) < 2e-6f,
                        $"step {step + 1}, episode {e}, value {v}: expected {expected[step][e][v]}, got {actual[v]}");
            }
        }
        Assert.Equal([1f, -1f], states[0].Spikes[..2].ToArray());
        Assert.Equal([0f, 0f], states[1].Spikes[..2].ToArray());
    }

    [Fact]
    public void Warmed_up_lockstep_episode_allocates_nothing()
    {
        var data = new Seeded(11);
        var spec = new NetworkSpec(28, 128, 8);
        const int k = 8;
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        rule.Load(RandomGenome(data, spec, PdlfTermSet.Abcd, 0.1f));
        var states = Enumerable.Range(0, k).Select(_ => new NetworkState(spec)).ToArray();
        var observations = Enumerable.Range(0, 16).Select(_ => data.Uniform(k * 28, -5f, 5f)).ToArray();
        var actions = new float[k * 8];
        void Episode()
        {
            foreach (var state in states) state.Reset();
            for (int t = 0; t < 500; t++) PdlfNetwork.StepLockstep(states, rule, observations[t & 15], actions);
        }
        Assert.Equal(0, Allocations.OfWarmedUp(Episode));
        Assert.All(states, s => Assert.True(s.InputScale > 0f && s.InputScale < 1f));
    }

    [Fact]
    public void Bad_lockstep_calls_are_rejected_with_the_reason()
    {
        var spec = new NetworkSpec(3, 8, 2);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        var a = new NetworkState(spec);
        var b = new NetworkState(spec);
        Assert.Contains("1 to 256", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep([], rule, [], new float[2])).Message);
        var many = Enumerable.Range(0, PdlfNetwork.MaxLockstepEpisodes + 1).Select(_ => a).ToArray();
        Assert.Contains("got 257", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep(many, rule, new float[3 * 257], new float[2 * 257])).Message);
        Assert.Contains("same object", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep([a, b, a], rule, new float[9], new float[6])).Message);
        Assert.Contains("episode state 1 is", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep([a, new NetworkState(new NetworkSpec(3, 9, 2))], rule, new float[6], new float[4])).Message);
        Assert.Contains("need 6", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep([a, b], rule, new float[5], new float[4])).Message);
        Assert.Contains("need 4", Assert.Throws<ArgumentException>(() =>
            PdlfNetwork.StepLockstep([a, b], rule, new float[6], new float[3])).Message);
    }
}
