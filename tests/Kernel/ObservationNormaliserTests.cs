using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Observation;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

public class ObservationNormaliserTests
{
    private static float[][] Observations(Seeded data, int count, int size) =>
        Enumerable.Range(0, count).Select(_ => data.Uniform(size, -20f, 30f)).ToArray();

    [Property(MaxTest = 50)]
    public void Running_moments_match_a_two_pass_computation(NonNegativeInt size, int seed)
    {
        int d = Seeded.Size(size.Get, 40);
        var data = new Seeded(seed);
        var observations = Observations(data, 57, d);
        var normaliser = new ObservationNormaliser(d);
        foreach (var o in observations) normaliser.Update(o);
        for (int i = 0; i < d; i++)
        {
            double mean = observations.Average(o => (double)o[i]);
            double variance = observations.Average(o => (o[i] - mean) * (o[i] - mean));
            Assert.Equal(mean, normaliser.Mean[i], 1e-9 * (1 + Math.Abs(mean)));
            Assert.Equal(variance, normaliser.Variance(i), 1e-9 * (1 + variance));
        }
    }

    [Property(MaxTest = 50)]
    public void Merging_halves_equals_feeding_everything(NonNegativeInt size, int seed)
    {
        int d = Seeded.Size(size.Get, 30);
        var observations = Observations(new Seeded(seed), 40, d);
        var all = new ObservationNormaliser(d);
        var left = new ObservationNormaliser(d);
        var right = new ObservationNormaliser(d);
        for (int k = 0; k < observations.Length; k++)
        {
            all.Update(observations[k]);
            (k < 13 ? left : right).Update(observations[k]);
        }
        left.Merge(right);
        Assert.Equal(all.Count, left.Count);
        for (int i = 0; i < d; i++)
        {
            Assert.Equal(all.Mean[i], left.Mean[i], 1e-9 * (1 + Math.Abs(all.Mean[i])));
            Assert.Equal(all.Variance(i), left.Variance(i), 1e-9 * (1 + all.Variance(i)));
        }
    }

    // Tolerance 0: one fused multiply-add and a clamp per element in every path.
    [Property(MaxTest = 100, EndSize = 300)]
    public void Vectorised_normalisation_is_bit_identical_to_scalar_twin(NonNegativeInt size, int seed)
    {
        int d = Seeded.Size(size.Get, 300);
        var data = new Seeded(seed);
        var normaliser = new ObservationNormaliser(d);
        foreach (var o in Observations(data, 5, d)) normaliser.Update(o);
        var x = data.Uniform(d, -100f, 100f);
        if (d > 2)
        {
            x[0] = float.NaN; // a diverged simulation's observation must come out the same on every path
            x[d / 2] = float.PositiveInfinity;
        }
        var expected = new float[d];
        normaliser.NormaliseScalar(x, expected);
        foreach (var width in Seeded.VectorWidths)
        {
            var actual = new float[d];
            normaliser.Normalise(x, actual, width);
            Bits.Equal(expected, actual, $"normalised ({width}, d={d})");
        }
    }

    [Fact]
    public void Normalises_standardises_and_clips_at_five()
    {
        var n = new ObservationNormaliser(2);
        n.Update([0f, 10f]);
        n.Update([2f, 10f]);
        var y = new float[2];
        n.Normalise([3f, 10f], y);         // mean 1, variance 1: (3 - 1) / 1 = 2; constant dimension: 0
        Assert.Equal(2f, y[0], 1e-5f);
        Assert.Equal(0f, y[1]);
        n.Normalise([100f, -1000f], y);
        Assert.Equal([5f, -5f], y);
    }

    [Fact]
    public void Frozen_normalisers_ignore_updates_and_state_round_trips()
    {
        var n = new ObservationNormaliser(3);
        n.Update([1f, 2f, 3f]);
        n.Update([3f, 2f, 1f]);
        n.Frozen = true;
        n.Update([100f, 100f, 100f]);
        Assert.Equal(2, n.Count);
        var state = new double[n.StateLength];
        n.ExportState(state);
        var copy = new ObservationNormaliser(3);
        copy.ImportState(state);
        float[] a = new float[3], b = new float[3];
        n.Normalise([2f, 5f, -1f], a);
        copy.Normalise([2f, 5f, -1f], b);
        Bits.Equal(a, b, "restored normalisation");
    }

    [Fact]
    public void Normalising_allocates_nothing_and_bad_sizes_are_named()
    {
        var n = new ObservationNormaliser(28);
        var x = new float[28];
        var y = new float[28];
        n.Update(x);
        n.Normalise(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            n.Update(x);
            n.Normalise(x, y);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var ex = Assert.Throws<ArgumentException>(() => n.Update(new float[27]));
        Assert.Contains("length 27; expected 28", ex.Message);
    }
}
