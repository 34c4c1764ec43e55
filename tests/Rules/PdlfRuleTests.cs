using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Layers;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tests.Support;
using static PdlfFast.Tests.Rules.RuleTestKit;

namespace PdlfFast.Tests.Rules;

public class PdlfRuleTests
{
    private static readonly PdlfTermSet[] AllTerms = [PdlfTermSet.Abcd, PdlfTermSet.Acd, PdlfTermSet.Bd];

    // Tolerance 0: the update is lane-wise (x broadcast per row, y and coefficients per column), with the same
    // fused multiply-adds in the vector body, the scalar tail and the scalar twin; max is exact in any order.
    [Property(MaxTest = 120, EndSize = 300)]
    public void Vectorised_update_is_bit_identical_to_scalar_twin(NonNegativeInt rows, NonNegativeInt columns, int seed, bool padded, bool bfloat16)
    {
        // bfloat16: the vector stages read packed pairs, the scalar twin the float arrays of the same rounded values.
        var data = new Seeded(seed);
        int r = Seeded.Size(rows.Get, 300), c = Seeded.Size(columns.Get, 300);
        var shape = padded ? LayerShape.Padded(r, c) : LayerShape.Dense(r, c);
        var coefficients = RandomCoefficients(data, shape, precision: bfloat16 ? CoefficientPrecision.BFloat16 : CoefficientPrecision.Single);
        var w0 = RandomStoredWeights(data, shape, 3f);
        var x = data.Uniform(r, -5f, 5f);
        var y = Post(data, shape, 1f);
        float scale = data.Uniform(0.2f, 2f);
        foreach (var terms in AllTerms)
        {
            var expected = (float[])w0.Clone();
            float expectedMax = ApplyScalar(terms, expected, coefficients, x, y, scale);
            foreach (var width in Seeded.VectorWidths)
            {
                var actual = (float[])w0.Clone();
                float max = Apply(terms, actual, coefficients, x, y, scale, width);
                Bits.Equal(expected, actual, $"{terms} weights ({width}, {shape})");
                Assert.Equal(expectedMax, max);
            }
        }
    }

    [Theory]
    [InlineData(128, 8)] // ant_dir's output layer: two rows per Vector512
    [InlineData(77, 6)]  // odd row count, padded to 8
    [InlineData(1, 8)]
    [InlineData(300, 1)] // a single output: vectorised down the column
    public void Short_rows_match_the_scalar_twin_bit_for_bit(int rows, int columns)
    {
        foreach (var precision in new[] { CoefficientPrecision.Single, CoefficientPrecision.BFloat16 })
        {
            var data = new Seeded(rows * 31 + columns);
            var shape = LayerShape.Padded(rows, columns);
            var coefficients = RandomCoefficients(data, shape, precision: precision);
            var w0 = RandomStoredWeights(data, shape, 2f);
            var x = data.Uniform(rows, -5f, 5f);
            var y = Post(data, shape, 1f);
            var expected = (float[])w0.Clone();
            float expectedMax = PdlfRule.ApplyScalar<AbcdTerms>(expected, coefficients, x, y, 0.8f);
            foreach (var width in Seeded.VectorWidths)
            {
                var actual = (float[])w0.Clone();
                Assert.Equal(expectedMax, PdlfRule.Apply<AbcdTerms>(actual, coefficients, x, y, 0.8f, width));
                Bits.Equal(expected, actual, $"{rows}x{columns} ({width}, {precision})");
            }
        }
    }

    [Property(MaxTest = 60, EndSize = 300)]
    public void Bfloat16_coefficients_move_an_update_no_further_than_their_rounding_allows(NonNegativeInt rows, NonNegativeInt columns, int seed)
    {
        // How far the opt-in moves results, per step: each coefficient is within 2^-8 (relative) of its float value,
        // so each term of dW = x (etaA y + negEtaAC) + (etaB y + etaD) is within 2^-8 of its magnitude, plus float
        // rounding of the sums. The bound below allows 2^-8 per term and 2^-20 of the terms' magnitudes for rounding;
        // and the rounding must actually change something.
        int r = Seeded.Size(rows.Get, 64), c = Seeded.Size(columns.Get, 64);
        var shape = LayerShape.Padded(r, c);
        var exact = RandomCoefficients(new Seeded(seed), shape);
        var rounded = RandomCoefficients(new Seeded(seed), shape, precision: CoefficientPrecision.BFloat16);
        var data = new Seeded(seed + 1);
        var x = data.Uniform(r, -2f, 2f);
        var y = Post(data, shape, 1f);
        float[] wExact = new float[shape.StorageLength], wRounded = new float[shape.StorageLength];
        PdlfRule.ApplyScalar<AbcdTerms>(wExact, exact, x, y, 1f);
        PdlfRule.Apply<AbcdTerms>(wRounded, rounded, x, y, 1f);
        int moved = 0;
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < c; j++)
            {
                int s = shape.Index(i, j);
                float terms = MathF.Abs(x[i]) * (MathF.Abs(exact.EtaA[s] * y[j]) + MathF.Abs(exact.NegEtaAC[s]))
                    + MathF.Abs(exact.EtaB[s] * y[j]) + MathF.Abs(exact.EtaD[s]);
                float difference = MathF.Abs(wRounded[s] - wExact[s]);
                Assert.True(difference <= terms * (MathF.Pow(2, -8) + MathF.Pow(2, -20)), $"synapse ({i}, {j}) moved {difference} for terms of {terms}");
                if (difference > 0) moved++;
            }
        }
        Assert.True(moved > 0 || r * c < 4, "bfloat16 rounding changed no weight");
    }

    [Theory]
    [InlineData(PdlfTermSet.Abcd, new[] { 1f, 0.0666667f, 0.4666667f, -0.6666667f }, 0.75f)]
    [InlineData(PdlfTermSet.Acd, new[] { 1f, 0.1f, 0.7f, 0f }, 0.5f)]
    [InlineData(PdlfTermSet.Bd, new[] { 0.7894737f, -1f, 0.3684211f, -0.5263158f }, 0.95f)]
    public void One_update_matches_hand_computed_weights(PdlfTermSet terms, float[] expectedNormalised, float expectedMax)
    {
        // W = [[0.5, -1], [0.25, 0]], x = [1, -2], y = [0.5, 1], eta = 0.5 everywhere,
        // A = [[1, 2], [0, 1]], B = [[1, 0], [0, -1]], C = [[0.5, 0], [0, 1]], D = [[0, 0.1], [0.2, 0]].
        // ABCD: dW = 0.5 * (A x (y - C) + B y + D) = [[0.25, 1.05], [0.1, -0.5]] -> W = [[0.75, 0.05], [0.35, -0.5]],
        // max 0.75. ACD drops B y: [[0, 1.05], [0.1, 0]] -> max 0.5. BD drops A: [[0.25, 0.05], [0.1, -0.5]] -> max 0.95.
        var shape = LayerShape.Dense(2, 2);
        var c = new PdlfLayerCoefficients(shape);
        var active = terms.Parameters().ToArray();
        float[] a = [1, 2, 0, 1], b = [1, 0, 0, -1], cc = [0.5f, 0, 0, 1], d = [0, 0.1f, 0.2f, 0];
        c.Fold([0.5f, 0.5f, 0.5f, 0.5f], active.Contains(PdlfParameter.A) ? a : [], active.Contains(PdlfParameter.B) ? b : [],
            active.Contains(PdlfParameter.C) ? cc : [], d);
        float[] w = [0.5f, -1f, 0.25f, 0f];
        float max = Apply(terms, w, c, [1f, -2f], [0.5f, 1f], 1f, PdlfFast.Kernel.Simd.SimdWidth.Auto);
        Assert.Equal(expectedMax, max, 1e-6f);
        float scale = PdlfRule.NormalisingScale(max);
        for (int i = 0; i < 4; i++) Assert.Equal(expectedNormalised[i], w[i] * scale, 1e-6f);
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Zero_eta_leaves_weights_unchanged_up_to_normalisation(NonNegativeInt rows, NonNegativeInt columns, int seed)
    {
        var data = new Seeded(seed);
        var shape = LayerShape.Padded(Seeded.Size(rows.Get, 100), Seeded.Size(columns.Get, 200));
        var coefficients = RandomCoefficients(data, shape, zeroEta: true);
        var stored = RandomStoredWeights(data, shape, 4f);
        float scale = PdlfRule.NormalisingScale(MaxAbs(stored));
        var w = (float[])stored.Clone();
        float newScale = PdlfRule.NormalisingScale(
            PdlfRule.Apply<AbcdTerms>(w, coefficients, data.Uniform(shape.Rows, -5f, 5f), Post(data, shape, 1f), scale));
        // Effective weights before and after differ only by the rounding of two normalisations (a few ulps of 1).
        for (int s = 0; s < w.Length; s++)
            Assert.Equal(stored[s] * scale, w[s] * newScale, 3e-7f);
    }

    [Property(MaxTest = 150, EndSize = 300)]
    public void Normalised_weights_have_unit_max_abs_or_are_all_zero_and_stay_finite(NonNegativeInt rows, NonNegativeInt columns, int seed, bool zeroRule)
    {
        var data = new Seeded(seed);
        var shape = LayerShape.Padded(Seeded.Size(rows.Get, 100), Seeded.Size(columns.Get, 200));
        // Parameters up to +-10, inputs as the network produces them (clipped observations, traces, outputs).
        var coefficients = zeroRule ? new PdlfLayerCoefficients(shape) : RandomCoefficients(data, shape, 10f);
        var w = new float[shape.StorageLength];
        float scale = 1f;
        foreach (var terms in AllTerms)
        {
            for (int step = 0; step < 5; step++)
            {
                float max = RuleTestKit.Apply(terms, w, coefficients, data.Uniform(shape.Rows, -5f, 5f), Post(data, shape, 1f), scale,
                    PdlfFast.Kernel.Simd.SimdWidth.Auto);
                scale = PdlfRule.NormalisingScale(max);
                Assert.True(float.IsFinite(max), $"max |W| = {max}");
                float effectiveMax = 0f;
                foreach (var v in w)
                {
                    Assert.True(float.IsFinite(v));
                    effectiveMax = MathF.Max(effectiveMax, MathF.Abs(v * scale));
                }
                // x * (1/x) is 1 within one rounding: [1 - 2^-24, 1 + 2^-23].
                if (max == 0f) Assert.True(w.All(v => v == 0f));
                else Assert.InRange(effectiveMax, 1f - 6e-8f, 1f + 1.2e-7f);
            }
        }
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Permuting_pre_and_postsynaptic_neurons_permutes_the_update(NonNegativeInt rows, NonNegativeInt columns, int seed)
    {
        var data = new Seeded(seed);
        int r = Seeded.Size(rows.Get, 60), c = Seeded.Size(columns.Get, 150);
        var shape = LayerShape.Dense(r, c);
        var parameters = Enumerable.Range(0, 5).Select(_ => data.Uniform(r * c, -2f, 2f)).ToArray();
        var w = data.Uniform(r * c, -1f, 1f);
        var x = data.Uniform(r, -5f, 5f);
        var y = data.Uniform(c, -1f, 1f);
        int[] pr = data.Permutation(r), pc = data.Permutation(c);
        float[] Permute(float[] m) => Enumerable.Range(0, r * c).Select(k => m[pr[k / c] * c + pc[k % c]]).ToArray();

        var original = new PdlfLayerCoefficients(shape);
        original.Fold(parameters[0], parameters[1], parameters[2], parameters[3], parameters[4]);
        var permuted = new PdlfLayerCoefficients(shape);
        permuted.Fold(Permute(parameters[0]), Permute(parameters[1]), Permute(parameters[2]), Permute(parameters[3]), Permute(parameters[4]));
        var pw = Permute(w);
        float max = PdlfRule.Apply<AbcdTerms>(w, original, x, y, 0.7f);
        float pmax = PdlfRule.Apply<AbcdTerms>(pw, permuted, pr.Select(i => x[i]).ToArray(), pc.Select(j => y[j]).ToArray(), 0.7f);
        Bits.Equal(Permute(w), pw, "permuted weights");
        Assert.Equal(max, pmax);
    }

    [Property(MaxTest = 60, EndSize = 300)]
    public void Ablations_equal_the_full_rule_with_their_terms_zeroed(NonNegativeInt rows, NonNegativeInt columns, int seed)
    {
        var data = new Seeded(seed);
        var shape = LayerShape.Padded(Seeded.Size(rows.Get, 50), Seeded.Size(columns.Get, 150));
        int n = shape.Synapses;
        float[] eta = data.Uniform(n, -1, 1), a = data.Uniform(n, -1, 1), b = data.Uniform(n, -1, 1), c = data.Uniform(n, -1, 1), d = data.Uniform(n, -1, 1);
        var x = data.Uniform(shape.Rows, -5f, 5f);
        var y = Post(data, shape, 1f);
        var w0 = RandomStoredWeights(data, shape);

        var acd = new PdlfLayerCoefficients(shape); acd.Fold(eta, a, [], c, d);
        var noB = new PdlfLayerCoefficients(shape); noB.Fold(eta, a, new float[n], c, d);
        var bd = new PdlfLayerCoefficients(shape); bd.Fold(eta, [], b, c, d);
        var noA = new PdlfLayerCoefficients(shape); noA.Fold(eta, new float[n], b, c, d);

        float[] w1 = (float[])w0.Clone(), w2 = (float[])w0.Clone(), w3 = (float[])w0.Clone(), w4 = (float[])w0.Clone();
        Assert.Equal(PdlfRule.Apply<AbcdTerms>(w1, noB, x, y, 1f), PdlfRule.Apply<AcdTerms>(w2, acd, x, y, 1f));
        Assert.Equal(PdlfRule.Apply<AbcdTerms>(w3, noA, x, y, 1f), PdlfRule.Apply<BdTerms>(w4, bd, x, y, 1f));
        for (int s = 0; s < w0.Length; s++)
        {
            Assert.True(w1[s] == w2[s], $"ACD synapse {s}: {w1[s]} vs {w2[s]}");
            Assert.True(w3[s] == w4[s], $"BD synapse {s}: {w3[s]} vs {w4[s]}");
        }
    }

    [Fact]
    public void Subnormal_or_zero_max_leaves_the_layer_unscaled()
    {
        Assert.Equal(1f, PdlfRule.NormalisingScale(0f));
        Assert.Equal(1f, PdlfRule.NormalisingScale(1e-40f));
        Assert.Equal(0.5f, PdlfRule.NormalisingScale(2f));
    }

    [Fact]
    public void Bad_spans_and_genomes_are_rejected_with_sizes_named()
    {
        var shape = LayerShape.Dense(3, 5);
        var c = new PdlfLayerCoefficients(shape);
        var ex = Assert.Throws<ArgumentException>(() => c.Fold(new float[14], [], [], [], []));
        Assert.Contains("15 synapses", ex.Message);
        Assert.Throws<ArgumentException>(() => PdlfRule.Apply<AbcdTerms>(new float[15], c, new float[2], new float[5], 1f));
        Assert.Throws<ArgumentException>(() => PdlfRule.Apply<AbcdTerms>(new float[15], c, new float[3], new float[4], 1f));
    }
}
