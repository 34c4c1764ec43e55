using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Synthetic;

namespace PdlfFast.Cli.Bench;

public sealed record StepMeasurement(BenchSize Size, string Path, int Threads, double StepsPerSecond, int Synapses, long BytesPerStep)
{
    public double SynapseUpdatesPerSecond => StepsPerSecond * Synapses;
}

/// <summary>
/// Measures policy-step throughput in one process: every path (scalar twin, each accelerated vector width) on one
/// thread, then the widest path on 1..N threads over independent episodes. Each figure is the best of a few timed
/// rounds after a warm-up, so JIT tiering and a noisy neighbour bias it less.
/// </summary>
public sealed class StepBench(TimeSpan roundLength, int rounds)
{
    public StepMeasurement MeasureSingle(BenchSize size, SimdWidth width, CoefficientPrecision precision = CoefficientPrecision.Single)
    {
        var workload = new PolicyWorkload(size, seed: 1, worker: 0, precision);
        Timed(workload, width, roundLength / 2); // warm-up
        double best = 0;
        long bytesPerStep = 0;
        for (int r = 0; r < rounds; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var (steps, seconds) = Timed(workload, width, roundLength);
            bytesPerStep = Math.Max(bytesPerStep, (GC.GetAllocatedBytesForCurrentThread() - before) / steps);
            best = Math.Max(best, steps / seconds);
        }
        string path = width == SimdWidth.Scalar ? "scalar twin" : width.ToString();
        if (precision == CoefficientPrecision.BFloat16) path += ", bfloat16 coefficients";
        return new StepMeasurement(size, path, 1, best, workload.Synapses, bytesPerStep);
    }

    /// <param name="lockstepEpisodes">0: plain steps, one episode at a time; K: K episodes per lock-step call.</param>
    public StepMeasurement MeasureThreads(BenchSize size, int threads, int lockstepEpisodes = 0)
    {
        var workloads = Enumerable.Range(0, threads).Select(w => new PolicyWorkload(size, seed: 1, worker: (uint)w)).ToArray();
        double best = 0;
        for (int r = 0; r <= rounds; r++)
        {
            var steps = new long[threads];
            using var start = new Barrier(threads + 1);
            var stopwatch = new Stopwatch();
            var deadline = roundLength;
            var workers = Enumerable.Range(0, threads).Select(w => new Thread(() =>
            {
                start.SignalAndWait();
                long done = 0;
                while (stopwatch.Elapsed < deadline)
                    done += lockstepEpisodes == 0 ? workloads[w].RunEpisode(SimdWidth.Auto) : workloads[w].RunLockstepEpisodes(lockstepEpisodes, SimdWidth.Auto);
                steps[w] = done;
            }) { IsBackground = true }).ToArray();
            foreach (var t in workers) t.Start();
            stopwatch.Start();
            start.SignalAndWait();
            foreach (var t in workers) t.Join();
            double seconds = stopwatch.Elapsed.TotalSeconds;
            if (r > 0) best = Math.Max(best, steps.Sum() / seconds); // round 0 warms every thread up
        }
        return new StepMeasurement(size, Vectorisation.Best.ToString(), threads, best, workloads[0].Synapses, 0);
    }

    private static (long Steps, double Seconds) Timed(PolicyWorkload workload, SimdWidth width, TimeSpan length)
    {
        long steps = 0;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < length) steps += workload.RunEpisode(width);
        return (steps, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>One line on how this process runs: JIT or AOT, the vector width in use, the CPU.</summary>
    public static string Environment()
    {
        // RuntimeFeature.IsDynamicCode* report false under `dotnet run` too once PublishAot is set; only a JIT compiles methods.
        string mode = System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "native AOT";
        string isa = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "AVX-512F"
            : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2"
            : Vector128.IsHardwareAccelerated ? "128-bit SIMD" : "no SIMD";
        return $"{mode}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}, " +
               $"{System.Environment.ProcessorCount} cores; widest accelerated vector: {Vectorisation.Best} ({isa})";
    }
}
