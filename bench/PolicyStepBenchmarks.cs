using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tasks.Synthetic;

namespace PdlfFast.Bench;

/// <summary>
/// W1: one PDLF policy step (forward + both layers' plasticity + normalisation) per operation, the scalar twin as
/// baseline. Jobs differ only by environment so the widest vector path is AVX-512, AVX2 or SSE (docs/design.md, "Vector paths and determinism").
/// </summary>
[MemoryDiagnoser]
[Config(typeof(VectorWidthJobs))]
public class PolicyStepBenchmarks
{
    private PolicyWorkload _workload = null!;

    // ant_dir 28-128-8 (4,608 synapses), copy task 3-128-1 (odd widths: tails), large 256-1024-64 (out of L2).
    [Params("ant_dir", "copy", "large")]
    public string Size { get; set; } = "ant_dir";

    [GlobalSetup]
    public void Setup() => _workload = new PolicyWorkload(BenchSize.All.Single(s => s.Name == Size), seed: 1, worker: 0);

    [Benchmark(Baseline = true)]
    public float ScalarTwin() => _workload.Step(SimdWidth.Scalar);

    [Benchmark]
    public float Vectorised() => _workload.Step(SimdWidth.Auto);
}

public sealed class VectorWidthJobs : ManualConfig
{
    public VectorWidthJobs()
    {
        // ShortRun keeps a full suite within minutes; pass --job default for tighter intervals.
        AddJob(Job.ShortRun.WithId("widest"));
        AddJob(Job.ShortRun.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_EnableAVX512", "0")).WithId("AVX2"));
        AddJob(Job.ShortRun.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_EnableAVX2", "0")).WithId("SSE"));
    }
}
