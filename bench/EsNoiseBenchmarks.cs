using BenchmarkDotNet.Attributes;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Bench;

/// <summary>
/// The ES noise draw (stream 2) for one copy-task member (53,505 values) on each vector path this machine runs; every
/// path gives the same bits, so only the time differs. 0 B per draw expected.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class EsNoiseBenchmarks
{
    private readonly float[] _values = new float[53_505];

    public static IEnumerable<SimdWidth> Widths => Vectorisation.Accelerated;

    [ParamsSource(nameof(Widths))]
    public SimdWidth Width { get; set; }

    [Benchmark]
    public void Draw() => GaussianNoise.Fill(1, new StreamId(0, 3, 0, 7), 0, _values, Width);
}

/// <summary>
/// One PGPE generation's own work at the copy task's defaults (53,505 parameters, population 256) on one thread: ask
/// (noise, cache and the 55 MB population) and tell. 0 B per generation expected.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PgpeGenerationBenchmarks
{
    private const int Dimension = 53_505, Population = 256;
    private readonly Pgpe _strategy = new(Dimension, new PgpeOptions(Population, Seed: 1));
    private readonly float[] _population = new float[Population * Dimension];
    private readonly float[] _fitness = Enumerable.Range(0, Population).Select(m => (float)(m % 7)).ToArray();

    [Benchmark]
    public void AskAndTell()
    {
        _strategy.Ask(_population);
        _strategy.Tell(_fitness);
    }
}
