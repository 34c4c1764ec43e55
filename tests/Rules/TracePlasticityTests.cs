using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Rules;

/// <summary>SpikePropamine trace kernels against their scalar twins, hand-computed cases and rule invariants.</summary>
public class TracePlasticityTests
{
    public static TheoryData<TraceRule, TraceModulation> RulesAndModulations =>
        new() { { TraceRule.Hebbian, TraceModulation.None }, { TraceRule.Hebbian, TraceModulation.Neuromodulated },
                { TraceRule.Oja, TraceModulation.None }, { TraceRule.Oja, TraceModulation.Neuromodulated },
                { TraceRule.Bcm, TraceModulation.None }, { TraceRule.Bcm, TraceModulation.Neuromodulated } };

    private static void Coefficients(TraceRule rule, ReadOnlySpan<float> y, ReadOnlySpan<float> theta, ReadOnlySpan<float> rate,
        TraceModulation modulation, Span<float> decay, Span<float> gain, SimdWidth? width)
    {
        switch (rule, width)
        {
            case (TraceRule.Hebbian, null): TracePlasticity.CoefficientsScalar<HebbianRule>(y, theta, rate, modulation, decay, gain); break;
            case (TraceRule.Oja, null): TracePlasticity.CoefficientsScalar<OjaRule>(y, theta, rate, modulation, decay, gain); break;
            case (TraceRule.Bcm, null): TracePlasticity.CoefficientsScalar<BcmRule>(y, theta, rate, modulation, decay, gain); break;
            case (TraceRule.Hebbian, { } w): TracePlasticity.Coefficients<HebbianRule>(y, theta, rate, modulation, decay, gain, w); break;
            case (TraceRule.Oja, { } w): TracePlasticity.Coefficients<OjaRule>(y, theta, rate, modulation, decay, gain, w); break;
            case (TraceRule.Bcm, { } w): TracePlasticity.Coefficients<BcmRule>(y, theta, rate, modulation, decay, gain, w); break;
        }
    }

    private static bool Clips(TraceRule rule, TraceModulation modulation)
    {
        var clips = new ClipsAction(modulation);
        return TraceRules.Dispatch<ClipsAction, bool>(rule, ref clips);
    }

    private readonly struct ClipsAction(TraceModulation modulation) : ITraceRuleAction<bool>
    {
        public bool Invoke<TRule>() where TRule : struct, ITraceRule => TRule.Clips(modulation);
    }

    /// <summary>One full trace step through the public kernels: coefficients, then the per-synapse pass.</summary>
    private static void Step(TraceRule rule, TraceModulation modulation, float[] trace, LayerShape shape, float[] pre, float[] post,
        float[] theta, float[] rate, SimdWidth? width)
    {
        var decay = new float[shape.Stride];
        var gain = new float[shape.Stride];
        Coefficients(rule, post, theta, rate, modulation, decay, gain, width);
        if (width is { } w) TracePlasticity.Apply(trace, shape, pre, decay, gain, Clips(rule, modulation), w);
        else TracePlasticity.ApplyScalar(trace, shape, pre, decay, gain, Clips(rule, modulation));
    }

    [Property(MaxTest = 120, EndSize = 300)]
    public void Every_rule_step_matches_its_scalar_twin_bit_for_bit(NonNegativeInt rowsRaw, NonNegativeInt columnsRaw, NonNegativeInt seed,
        NonNegativeInt which)
    {
        var (rule, modulation) = ((TraceRule, TraceModulation))RulesAndModulations.ElementAt(which.Get % 6).Data;
        int rows = Seeded.Size(rowsRaw.Get, 70), columns = Seeded.Size(columnsRaw.Get, 40);
        var shape = LayerShape.Padded(rows, columns);
        var data = new Seeded(seed.Get);
        var trace = data.Uniform(shape.StorageLength, -1.5f, 1.5f);
        var pre = data.Spikes(rows);
        var post = data.Uniform(shape.Stride, -1f, 1f);
        var theta = data.Uniform(shape.Stride, 0f, 1f);
        var rate = data.Uniform(shape.Stride, -0.5f, 1f);
        var expected = trace.ToArray();
        Step(rule, modulation, expected, shape, pre, post, theta, rate, null);
        foreach (var width in Seeded.VectorWidths)
        {
            var actual = trace.ToArray();
            Step(rule, modulation, actual, shape, pre, post, theta, rate, width);
            Bits.Equal(expected, actual, $"{rule}/{modulation} at {width}, {rows}x{columns}");
        }
    }

    [Property(MaxTest = 80, EndSize = 300)]
    public void Retroactive_and_propagation_kernels_match_their_scalar_twins(NonNegativeInt rowsRaw, NonNegativeInt columnsRaw, NonNegativeInt seed)
    {
        int rows = Seeded.Size(rowsRaw.Get, 70), columns = Seeded.Size(columnsRaw.Get, 40);
        var shape = LayerShape.Padded(rows, columns);
        var data = new Seeded(seed.Get);
        var trace = data.Uniform(shape.StorageLength, -1f, 1f);
        var eligibility = data.Uniform(shape.StorageLength, -1f, 1f);
        var pre = data.Uniform(rows, -1f, 1f);
        pre[0] = 0f; // a silent row is skipped by propagation
        var modulation = data.Uniform(shape.Stride, -1f, 1f);
        var decay = data.Uniform(shape.Stride, 0f, 1f);
        var gain = data.Uniform(shape.Stride, -1f, 1f);
        var weights = data.Uniform(shape.StorageLength, -1f, 1f);
        var alpha = data.Uniform(shape.StorageLength, -1f, 1f);
        var (h, e) = (trace.ToArray(), eligibility.ToArray());
        TracePlasticity.ApplyRetroactiveScalar(h, e, shape, pre, modulation, decay, gain);
        var output = new float[shape.Stride];
        TracePlasticity.PropagateScalar(pre, weights, alpha, trace, shape, output);
        foreach (var width in Seeded.VectorWidths)
        {
            var (h2, e2) = (trace.ToArray(), eligibility.ToArray());
            TracePlasticity.ApplyRetroactive(h2, e2, shape, pre, modulation, decay, gain, width);
            Bits.Equal(h, h2, $"retroactive H at {width}");
            Bits.Equal(e, e2, $"retroactive E at {width}");
            var output2 = new float[shape.Stride];
            TracePlasticity.Propagate(pre, weights, alpha, trace, shape, output2, width);
            Bits.Equal(output, output2, $"propagation at {width}");
        }
    }

    private static float OneSynapse(TraceRule rule, TraceModulation modulation, float h, float x, float y, float theta, float rate)
    {
        var trace = new[] { h };
        Step(rule, modulation, trace, LayerShape.Dense(1, 1), [x], [y], [theta], [rate], null);
        return trace[0];
    }

    [Fact]
    public void Hand_computed_updates()
    {
        // Hebbian: (1 - 0.5) 0.4 + 0.5 * 1 * 0.6 = 0.5; neuromodulated M = 0.5: clip(0.9 + 0.5 * 1 * 1) = 1.
        Assert.Equal(0.5f, OneSynapse(TraceRule.Hebbian, TraceModulation.None, 0.4f, 1f, 0.6f, 0f, 0.5f), 6);
        Assert.Equal(1f, OneSynapse(TraceRule.Hebbian, TraceModulation.Neuromodulated, 0.9f, 1f, 1f, 0f, 0.5f));
        Assert.Equal(-1f, OneSynapse(TraceRule.Hebbian, TraceModulation.Neuromodulated, -0.9f, 1f, -1f, 0f, 0.5f));
        // Oja: 0.5 + 0.1 * 2 * (1 - 2 * 0.5) = 0.5 (at equilibrium); 0.2 + 0.1 * 1 * (1 - 1 * 0.2) = 0.28.
        Assert.Equal(0.5f, OneSynapse(TraceRule.Oja, TraceModulation.None, 0.5f, 1f, 2f, 0f, 0.1f), 6);
        Assert.Equal(0.28f, OneSynapse(TraceRule.Oja, TraceModulation.None, 0.2f, 1f, 1f, 0f, 0.1f), 6);
        // BCM: 0.3 + 0.1 * 2 * 1 * (1 - 0.5) = 0.4; below the threshold it depresses: 0.3 + 0.1 * 2 * 0.25 * (0.25 - 0.5) = 0.2875.
        Assert.Equal(0.4f, OneSynapse(TraceRule.Bcm, TraceModulation.None, 0.3f, 2f, 1f, 0.5f, 0.1f), 6);
        Assert.Equal(0.2875f, OneSynapse(TraceRule.Bcm, TraceModulation.None, 0.3f, 2f, 0.25f, 0.5f, 0.1f), 6);

        // Retroactive: H uses the old E: 0.2 + 0.4 * 0.5 = 0.4; then E = 0.9 * 0.5 + 0.1 * 1 * 1 = 0.55.
        float[] h = [0.2f], e = [0.5f];
        TracePlasticity.ApplyRetroactiveScalar(h, e, LayerShape.Dense(1, 1), [1f], [0.4f], [0.9f], [0.1f]);
        Assert.Equal(0.4f, h[0], 6);
        Assert.Equal(0.55f, e[0], 6);

        // Propagation: x = (1, -1), W = [[1, 2], [3, 4]], alpha = 0.5, H = [[1, 0], [0, -2]] -> (1.5 - 3, 2 - 3) = (-1.5, -1).
        var output = new float[2];
        TracePlasticity.PropagateScalar([1f, -1f], [1, 2, 3, 4], [0.5f, 0.5f, 0.5f, 0.5f], [1, 0, 0, -2], LayerShape.Dense(2, 2), output);
        Assert.Equal([-1.5f, -1f], output);

        // BCM threshold: theta + 0.5 (y^2 - theta) = 0.2 + 0.5 (0.64 - 0.2) = 0.42.
        float[] theta = [0.2f];
        TracePlasticity.UpdateThreshold(theta, [0.8f], 0.5f);
        Assert.Equal(0.42f, theta[0], 6);
    }

    [Property(MaxTest = 60, EndSize = 300)]
    public void Hebbian_traces_stay_within_plus_minus_one(NonNegativeInt seed, bool neuromodulated)
    {
        var data = new Seeded(seed.Get);
        var shape = LayerShape.Padded(7, 11);
        var trace = new float[shape.StorageLength];
        var modulation = neuromodulated ? TraceModulation.Neuromodulated : TraceModulation.None;
        for (int t = 0; t < 60; t++)
        {
            var rate = neuromodulated ? data.Uniform(shape.Stride, -3f, 3f) : Enumerable.Repeat(data.Uniform(0f, 1f), shape.Stride).ToArray();
            Step(TraceRule.Hebbian, modulation, trace, shape, data.Uniform(7, -2f, 2f), data.Uniform(shape.Stride, -2f, 2f),
                new float[shape.Stride], rate, SimdWidth.Auto);
            Assert.All(trace, h => Assert.InRange(h, -1f, 1f));
        }
    }

    [Property(MaxTest = 40, EndSize = 300)]
    public void A_zero_modulatory_signal_leaves_every_trace_unchanged(NonNegativeInt seed, NonNegativeInt which)
    {
        var rule = (TraceRule)(which.Get % 3);
        var data = new Seeded(seed.Get);
        var shape = LayerShape.Padded(9, 5);
        var trace = data.Uniform(shape.StorageLength, -1f, 1f);
        var before = trace.ToArray();
        Step(rule, TraceModulation.Neuromodulated, trace, shape, data.Uniform(9, -2f, 2f), data.Uniform(shape.Stride, -2f, 2f),
            data.Uniform(shape.Stride, 0f, 1f), new float[shape.Stride], SimdWidth.Auto);
        Bits.Equal(before, trace, $"{rule} with M = 0");
    }

    [Fact]
    public void Oja_drives_a_linear_neurons_weight_vector_to_unit_length()
    {
        // y = H . x on inputs with one dominant direction: Oja's rule converges to the unit principal eigenvector.
        var data = new Seeded(4);
        const int inputs = 6;
        var shape = LayerShape.Dense(inputs, 1);
        var trace = data.Uniform(inputs, -0.1f, 0.1f);
        var x = new float[inputs];
        for (int t = 0; t < 6000; t++)
        {
            float s = data.Uniform(-1f, 1f);
            for (int i = 0; i < inputs; i++) x[i] = s * (i + 1) / inputs + data.Uniform(-0.05f, 0.05f);
            float y = 0;
            for (int i = 0; i < inputs; i++) y += trace[i] * x[i];
            Step(TraceRule.Oja, TraceModulation.None, trace, shape, x, [y], [0f], [0.05f], SimdWidth.Auto);
        }
        double norm = Math.Sqrt(trace.Sum(h => (double)h * h));
        Assert.InRange(norm, 0.95, 1.05);
        // Aligned with the dominant direction (1..6)/6, up to sign.
        double dot = Enumerable.Range(0, inputs).Sum(i => trace[i] * (i + 1.0)) / Math.Sqrt(Enumerable.Range(1, inputs).Sum(i => (double)i * i));
        Assert.InRange(Math.Abs(dot), 0.97, 1.0);
    }

    [Fact]
    public void The_BCM_threshold_tracks_the_mean_of_y_squared()
    {
        float[] theta = [0f];
        for (int t = 0; t < 400; t++) TracePlasticity.UpdateThreshold(theta, [t % 2 == 0 ? 1f : 0.5f], 0.02f);
        Assert.InRange(theta[0], 0.58, 0.67); // mean of 1 and 0.25 is 0.625
        Assert.Throws<ArgumentOutOfRangeException>(() => TracePlasticity.UpdateThreshold(theta, [1f], 1.5f));
    }

    [Fact]
    public void The_kernels_allocate_nothing()
    {
        var shape = LayerShape.Padded(32, 8);
        var trace = new float[shape.StorageLength];
        var eligibility = new float[shape.StorageLength];
        var pre = new float[32];
        var post = new float[shape.Stride];
        var decay = new float[shape.Stride];
        var gain = new float[shape.Stride];
        var output = new float[shape.Stride];
        void Once()
        {
            TracePlasticity.Coefficients<OjaRule>(post, post, post, TraceModulation.None, decay, gain);
            TracePlasticity.Apply(trace, shape, pre, decay, gain, clip: false);
            TracePlasticity.ApplyRetroactive(trace, eligibility, shape, pre, post, decay, gain);
            TracePlasticity.Propagate(pre, trace, trace, trace, shape, output);
        }
        Once();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Once();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
