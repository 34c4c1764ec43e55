using BenchmarkDotNet.Attributes;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;

namespace PdlfFast.Bench;

/// <summary>The fused plasticity + normalisation pass of one layer (the bulk of a policy step), per operation.</summary>
[MemoryDiagnoser]
[Config(typeof(VectorWidthJobs))]
public class PlasticityBenchmarks
{
    private PdlfLayerCoefficients _coefficients = null!;
    private float[] _weights = null!, _pre = null!, _post = null!;
    private float _scale = 1f;

    // 28x128 and 128x8: ant_dir's two layers; 3x128 and 128x1: the copy task's (vectorised down the column);
    // 77x45: odd sizes that exercise every tail; 256x1024: a layer larger than L2.
    [Params("28x128", "128x8", "3x128", "128x1", "77x45", "256x1024")]
    public string Layer { get; set; } = "28x128";

    // The opt-in bfloat16 rule: the vectorised pass reads packed pairs; the scalar twin reads the rounded floats.
    [Params(CoefficientPrecision.Single, CoefficientPrecision.BFloat16)]
    public CoefficientPrecision Precision { get; set; } = CoefficientPrecision.Single;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Layer.Split('x');
        var shape = LayerShape.Padded(int.Parse(parts[0]), int.Parse(parts[1]));
        var random = new RandomStream(2, new StreamId(0, 0, 0));
        int n = shape.Synapses;
        float[] Gaussian(int count) { var v = new float[count]; random.FillGaussian(v, 0f, 0.5f); return v; }
        _coefficients = new PdlfLayerCoefficients(shape, Precision);
        _coefficients.Fold(Gaussian(n), Gaussian(n), Gaussian(n), Gaussian(n), Gaussian(n));
        _weights = new float[shape.StorageLength];
        _pre = Gaussian(shape.Rows);
        _post = new float[shape.Stride];
        random.FillUniform(_post.AsSpan(0, shape.Columns), -1f, 1f);
    }

    [Benchmark(Baseline = true)]
    public float ScalarTwin() => _scale = PdlfRule.NormalisingScale(PdlfRule.ApplyScalar<AbcdTerms>(_weights, _coefficients, _pre, _post, _scale));

    [Benchmark]
    public float Vectorised() => _scale = PdlfRule.NormalisingScale(PdlfRule.Apply<AbcdTerms>(_weights, _coefficients, _pre, _post, _scale));
}
