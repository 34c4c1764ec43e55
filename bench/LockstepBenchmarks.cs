using BenchmarkDotNet.Attributes;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tasks.Synthetic;

namespace PdlfFast.Bench;

/// <summary>
/// Lock-step episodes: one operation is one synthetic episode of each of K states of one rule, stepped together by
/// <c>PdlfNetwork.StepLockstep</c>; K = 1 (the plain step) is the baseline. Per-episode time is the operation's time
/// divided by K (BenchmarkDotNet's OperationsPerInvoke cannot vary with a parameter, so divide when reading).
/// </summary>
[MemoryDiagnoser]
public class LockstepBenchmarks
{
    private PolicyWorkload _workload = null!;

    // ant_dir 28-128-8 (state and coefficients in L2), large 256-1024-64 (coefficients 5 MB, from L3).
    [Params("ant_dir", "large")]
    public string Size { get; set; } = "ant_dir";

    [Params(1, 4, 8)]
    public int Episodes { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _workload = new PolicyWorkload(BenchSize.All.Single(s => s.Name == Size), seed: 1, worker: 0);
        _workload.RunLockstepEpisodes(Episodes, SimdWidth.Auto); // builds the K states outside the measurement
    }

    [Benchmark]
    public int LockstepEpisodes() => _workload.RunLockstepEpisodes(Episodes, SimdWidth.Auto);
}
