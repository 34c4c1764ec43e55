using BenchmarkDotNet.Attributes;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Recurrent;

namespace PdlfFast.Bench;

/// <summary>
/// The copy task's GRU (3 inputs, 128 units): one step of one sequence, scalar twin as baseline, and the batched step
/// of 32 sequences in lock-step (per call; divide by 32 for a sequence-step). 0 B per step expected.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class GruBenchmarks
{
    private const int Inputs = 3, Hidden = 128, Batch = 32;
    private GruParameters _parameters = null!;
    private GruState _state = null!;
    private GruBatchState _batch = null!;
    private float[] _inputs = null!, _outputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _parameters = new GruParameters(Inputs, Hidden);
        var genome = new float[_parameters.GenomeLength()];
        var random = new RandomStream(3, new StreamId(0, 0, 0, 9));
        random.FillGaussian(genome, 0f, 0.3f);
        _parameters.Load(genome);
        _state = new GruState(_parameters);
        _batch = new GruBatchState(_parameters, Batch);
        _inputs = new float[Batch * Inputs];
        random.FillUniform(_inputs, -1f, 1f);
        _outputs = new float[Batch];
    }

    [Benchmark(Baseline = true)]
    public float ScalarTwin() => Gru.StepScalar(_state, _parameters, _inputs.AsSpan(0, Inputs));

    [Benchmark]
    public float Step() => Gru.Step(_state, _parameters, _inputs.AsSpan(0, Inputs));

    [Benchmark(OperationsPerInvoke = Batch)]
    public void StepBatch() => Gru.StepBatch(_batch, _parameters, _inputs, _outputs);
}
