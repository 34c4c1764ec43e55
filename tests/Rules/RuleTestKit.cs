using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Network;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Rules;

/// <summary>Random rule coefficients, layers and genomes for the PDLF tests.</summary>
internal static class RuleTestKit
{
    public static PdlfLayerCoefficients RandomCoefficients(Seeded data, LayerShape shape, float range = 2f, bool zeroEta = false,
        CoefficientPrecision precision = CoefficientPrecision.Single)
    {
        int n = shape.Synapses;
        var c = new PdlfLayerCoefficients(shape, precision);
        c.Fold(zeroEta ? new float[n] : data.Uniform(n, -range, range), data.Uniform(n, -range, range),
            data.Uniform(n, -range, range), data.Uniform(n, -range, range), data.Uniform(n, -range, range));
        return c;
    }

    public static float[] RandomStoredWeights(Seeded data, LayerShape shape, float range = 1f)
    {
        var w = new float[shape.StorageLength];
        for (int i = 0; i < shape.Rows; i++)
            for (int j = 0; j < shape.Columns; j++)
                w[shape.Index(i, j)] = data.Uniform(-range, range);
        return w;
    }

    /// <summary>A postsynaptic vector covering the stride, zero in the padding as the network keeps it.</summary>
    public static float[] Post(Seeded data, LayerShape shape, float range)
    {
        var y = new float[shape.Stride];
        data.Uniform(shape.Columns, -range, range).CopyTo(y, 0);
        return y;
    }

    public static float MaxAbs(ReadOnlySpan<float> values)
    {
        float m = 0f;
        foreach (var v in values) m = MathF.Max(m, MathF.Abs(v));
        return m;
    }

    public static float[] RandomGenome(Seeded data, NetworkSpec spec, PdlfTermSet terms, float range = 1f) =>
        data.Uniform(PdlfCoefficients.GenomeLength(spec, terms), -range, range);

    public static float Apply(PdlfTermSet terms, Span<float> w, PdlfLayerCoefficients c, float[] x, float[] y, float scale,
        PdlfFast.Kernel.Simd.SimdWidth width)
    {
        var apply = new ApplyAction(w, c, x, y, scale, width);
        return PdlfTermSets.Dispatch<ApplyAction, float>(terms, ref apply);
    }

    /// <summary>The rule kernel's scalar twin for a term set given as a value.</summary>
    public static float ApplyScalar(PdlfTermSet terms, Span<float> w, PdlfLayerCoefficients c, float[] x, float[] y, float scale)
    {
        var apply = new ApplyAction(w, c, x, y, scale, null);
        return PdlfTermSets.Dispatch<ApplyAction, float>(terms, ref apply);
    }

    /// <summary>Null width: the scalar twin.</summary>
    private readonly ref struct ApplyAction(Span<float> w, PdlfLayerCoefficients c, float[] x, float[] y, float scale,
        PdlfFast.Kernel.Simd.SimdWidth? width) : IPdlfTermsAction<float>
    {
        private readonly Span<float> _w = w;

        public float Invoke<TTerms>() where TTerms : struct, IPdlfTerms => width is { } vector
            ? PdlfRule.Apply<TTerms>(_w, c, x, y, scale, vector)
            : PdlfRule.ApplyScalar<TTerms>(_w, c, x, y, scale);
    }
}
