using BenchmarkDotNet.Attributes;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Bench;

/// <summary>
/// One BPTT episode, forward and backward, of a 32-128-8 plastic SNN (Hebbian, input and recurrent layers) over 100
/// steps: the vectorised passes against their scalar twins.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class BpttBenchmarks
{
    private const int Steps = 100;
    private PlasticSnnTape _scalar = null!, _vector = null!;
    private float[] _parameters = null!, _inputs = null!, _outputs = null!, _outputGradient = null!, _gradient = null!;

    [GlobalSetup]
    public void Setup()
    {
        var spec = new PlasticSnnSpec(32, 128, 8, TraceRule.Hebbian, TraceModulation.None);
        _scalar = new PlasticSnnTape(spec, Steps, SimdWidth.Scalar);
        _vector = new PlasticSnnTape(spec, Steps);
        _parameters = _vector.Layout.Initial(1);
        var random = new RandomStream(2, new StreamId(0, 0, 0, 9));
        _inputs = new float[Steps * 32];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = random.NextBool() ? 1f : 0f;
        _outputs = new float[Steps * 8];
        _outputGradient = new float[Steps * 8];
        random.FillUniform(_outputGradient, -1f, 1f);
        _gradient = new float[_vector.Layout.Length];
    }

    [Benchmark(Baseline = true)]
    public void ScalarTwin() => Episode(_scalar);

    [Benchmark]
    public void Vectorised() => Episode(_vector);

    private void Episode(PlasticSnnTape tape)
    {
        tape.Forward(_parameters, _inputs, Steps, _outputs);
        tape.Backward(_parameters, _outputGradient, _gradient);
    }
}
