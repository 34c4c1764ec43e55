using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Neurons;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

public class LifTests
{
    // Tolerance 0: the LIF step is lane-wise and uses fused multiply-add in every path, so each lane rounds
    // exactly as the scalar twin does.
    [Property(MaxTest = 200, EndSize = 300)]
    public void Vectorised_step_is_bit_identical_to_scalar_twin(NonNegativeInt size, int seed, bool pdlf)
    {
        int n = Seeded.Size(size.Get, 300);
        var data = new Seeded(seed);
        var p = pdlf ? LifParameters.Pdlf : LifParameters.DirectWeight;
        var membrane = data.Uniform(n, -1.5f, 1.5f);
        var current = data.Uniform(n, -3f, 3f);
        var trace = data.Uniform(n, -1f, 1f);
        var expected = (v: (float[])membrane.Clone(), s: new float[n], tr: (float[])trace.Clone());
        int expectedCount = Lif.StepScalar(expected.v, current, expected.s, expected.tr, p);
        foreach (var width in Seeded.VectorWidths)
        {
            var v = (float[])membrane.Clone(); var s = new float[n]; var tr = (float[])trace.Clone();
            int count = Lif.Step(v, current, s, tr, p, width);
            Bits.Equal(expected.v, v, $"membrane ({width}, n={n})");
            Bits.Equal(expected.s, s, $"spikes ({width}, n={n})");
            Bits.Equal(expected.tr, tr, $"trace ({width}, n={n})");
            Assert.Equal(expectedCount, count);
        }
    }

    [Fact]
    public void Pdlf_step_matches_hand_computed_values()
    {
        // v <- v/e + I(1 - 1/e); threshold 0.1; trace tr <- tr/e + s(1 - 1/e).
        float[] membrane = [0f, 0f, 0.2f, 0.05f, 0f];
        float[] current = [1f, -1f, 0f, 0.1f, 0.1f];
        float[] trace = [0f, 0.5f, 1f, 0f, -1f];
        var spikes = new float[5];
        int fired = Lif.Step(membrane, current, spikes, trace, LifParameters.Pdlf);
        // 0.632 > 0.1 fires; -0.632 fires negative; 0.2/e = 0.0736 silent; 0.05/e + 0.0632 = 0.0816 silent;
        // 0.0632 silent.
        Assert.Equal([1f, -1f, 0f, 0f, 0f], spikes);
        Assert.Equal(2, fired);
        Assert.Equal(0f, membrane[0]);
        Assert.Equal(0f, membrane[1]);
        Assert.Equal(0.0735759f, membrane[2], 1e-6f);
        Assert.Equal(0.0816060f, membrane[3], 1e-6f);
        Assert.Equal(0.0632121f, membrane[4], 1e-6f);
        Assert.Equal(0.6321206f, trace[0], 1e-6f);
        Assert.Equal(0.5 / Math.E - (1 - 1 / Math.E), trace[1], 1e-6);
        Assert.Equal(1 / Math.E, trace[2], 1e-6);
        Assert.Equal(-1 / Math.E, trace[4], 1e-6);
    }

    [Fact]
    public void Direct_weight_step_matches_hand_computed_values()
    {
        // v <- 0.5 v + 0.5 I, threshold 1.
        float[] membrane = [0f, 1f, 0f, -1.5f];
        float[] current = [2f, 1.5f, 2.2f, -0.6f];
        var spikes = new float[4];
        var trace = new float[4];
        Lif.Step(membrane, current, spikes, trace, LifParameters.DirectWeight);
        // 1.0 is not above 1; 1.25 fires; 1.1 fires; -1.05 fires negative.
        Assert.Equal([0f, 1f, 1f, -1f], spikes);
        Assert.Equal([1f, 0f, 0f, 0f], membrane);
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Spikes_are_ternary_spiking_membranes_are_zero_and_traces_stay_in_unit_range(NonNegativeInt size, int seed)
    {
        int n = Seeded.Size(size.Get, 300);
        var data = new Seeded(seed);
        var v = new float[n]; var s = new float[n]; var tr = new float[n];
        for (int step = 0; step < 50; step++)
        {
            Lif.Step(v, data.Uniform(n, -5f, 5f), s, tr, LifParameters.Pdlf);
            for (int i = 0; i < n; i++)
            {
                Assert.Contains(s[i], new[] { -1f, 0f, 1f });
                if (s[i] != 0f) Assert.Equal(0f, v[i]);
                else Assert.InRange(v[i], -LifParameters.Pdlf.Threshold, LifParameters.Pdlf.Threshold);
                Assert.InRange(tr[i], -1f, 1f);
            }
        }
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Permuting_neurons_permutes_results(NonNegativeInt size, int seed)
    {
        int n = Seeded.Size(size.Get, 300);
        var data = new Seeded(seed);
        var perm = data.Permutation(n);
        var v = data.Uniform(n, -1f, 1f); var current = data.Uniform(n, -2f, 2f); var tr = data.Uniform(n, -1f, 1f);
        var pv = perm.Select(k => v[k]).ToArray(); var pc = perm.Select(k => current[k]).ToArray(); var ptr = perm.Select(k => tr[k]).ToArray();
        var s = new float[n]; var ps = new float[n];
        Lif.Step(v, current, s, tr, LifParameters.Pdlf);
        Lif.Step(pv, pc, ps, ptr, LifParameters.Pdlf);
        Bits.Equal(perm.Select(k => v[k]).ToArray(), pv, "membrane");
        Bits.Equal(perm.Select(k => s[k]).ToArray(), ps, "spikes");
        Bits.Equal(perm.Select(k => tr[k]).ToArray(), ptr, "trace");
    }

    [Fact]
    public void Decaying_membranes_and_traces_flush_to_zero_instead_of_going_subnormal()
    {
        float[] v = [0.09f, -0.05f, 0.001f], tr = [1f, -1f, 0.5f], s = new float[3], zero = new float[3];
        foreach (var width in Vectorisation.Accelerated)
        {
            float[] vw = (float[])v.Clone(), tw = (float[])tr.Clone();
            for (int step = 0; step < 120; step++)
            {
                Lif.Step(vw, zero, s, tw, LifParameters.Pdlf, width);
                foreach (var x in vw.Concat(tw)) Assert.False(float.IsSubnormal(x), $"{width}: subnormal {x} at step {step}");
            }
            // (1/e)^120 = 7.7e-53 is far below float's normal range: everything has been flushed.
            Assert.Equal(new float[3], vw);
            Assert.Equal(new float[3], tw);
        }
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_with_the_lengths_named()
    {
        var ex = Assert.Throws<ArgumentException>(() => Lif.Step(new float[4], new float[3], new float[4], new float[4], LifParameters.Pdlf));
        Assert.Contains("current 3", ex.Message);
    }
}
