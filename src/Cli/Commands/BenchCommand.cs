using System.CommandLine;
using PdlfFast.Cli.Bench;
using PdlfFast.Tasks.Synthetic;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using Spectre.Console;

namespace PdlfFast.Cli.Commands;

/// <summary>What the cluster build adds to <c>pdlf bench</c>: <c>--part cluster</c> (worker processes on this machine).</summary>
public interface IClusterBench
{
    int RunClusterBench(bool quick, int maxThreads);
}

/// <summary><c>pdlf bench</c>: throughput of the fused policy step, with every ratio measured in this one run.</summary>
public static class BenchCommand
{
    /// <param name="cluster">The cluster build's part, or null (the native-AOT pdlf): <c>--part cluster</c> then explains.</param>
    public static Command Create(IClusterBench? cluster = null)
    {
        var quick = new Option<bool>("--quick") { Description = "Short rounds (a smoke test, about 10 s); figures are noisier." };
        var sizes = new Option<string[]>("--size")
        {
            Description = $"Network sizes to measure (repeatable): {string.Join(", ", BenchSize.All.Select(s => s.Name))}. Default: all.",
            AllowMultipleArgumentsPerToken = true,
        };
        sizes.AcceptOnlyFromAmong(BenchSize.All.Select(s => s.Name).ToArray());
        var threads = new Option<int>("--threads")
        {
            Description = "Largest thread count for the scaling measurement (compared with 1 thread).",
            DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount),
        };
        var part = new Option<string>("--part")
        {
            Description = "What to measure: steps (policy-step kernels), es (whole ES generations, ask+tell share), physics (MuJoCo tasks), bptt (SpikePropamine training step), gru (the copy task's GRU step), "
                + "lockstep (K episodes of one rule stepped side by side vs one at a time, at --size's sizes), "
                + "cluster (worker processes vs one process; cluster build only, not part of all) or all.",
            DefaultValueFactory = _ => "all",
        };
        part.AcceptOnlyFromAmong("all", "steps", "lockstep", "es", "physics", "bptt", "gru", "cluster");
        var command = new Command("bench", "Measure policy-step throughput (vector paths vs the scalar twin, 1 vs N threads) and ES generations.")
        {
            quick, sizes, threads, part,
        };
        command.SetAction(parse => TrainingConsole.Guard(() =>
        {
            int t = parse.GetValue(threads);
            if (t is < 1 or > 1024) throw new PdlfFast.Training.Runs.ConfigException($"--threads must be in 1..1024 (got {t})");
            var chosen = parse.GetValue(sizes) is { Length: > 0 } names
                ? BenchSize.All.Where(s => names.Contains(s.Name)).ToArray()
                : BenchSize.All.ToArray();
            string what = parse.GetValue(part) ?? "all";
            if (what == "cluster")
            {
                if (cluster is null)
                    throw new PdlfFast.Training.Runs.ConfigException("--part cluster needs the cluster build (pdlf-cluster: Orleans does not run under native AOT; see README, Cluster)");
                return cluster.RunClusterBench(parse.GetValue(quick), t);
            }
            return Run(what is "all" or "steps" ? chosen : [], what is "all" or "lockstep" ? chosen : [], parse.GetValue(quick), parse.GetValue(threads),
                what is "all" or "es", what is "all" or "physics", what is "all" or "bptt", what is "all" or "gru");
        }));
        return command;
    }

    /// <summary>K values of the lock-step table; K = 1 is the plain one-episode step, the baseline of the others.</summary>
    private static readonly int[] LockstepCounts = [1, 4, 8, 16];

    private static int Run(IReadOnlyList<BenchSize> sizes, IReadOnlyList<BenchSize> lockstepSizes, bool quick, int maxThreads, bool evolutionPart, bool physicsPart, bool bpttPart, bool gruPart)
    {
        // Physics needs the MuJoCo runtime; without it the other parts still run and the reason is printed.
        string? physicsProblem = physicsPart ? MuJoCoAvailability.Diagnose() : null;
        if (physicsProblem is not null) physicsPart = false;
        var bench = quick ? new StepBench(TimeSpan.FromMilliseconds(150), rounds: 2) : new StepBench(TimeSpan.FromMilliseconds(500), rounds: 3);
        AnsiConsole.MarkupLineInterpolated($"[bold]pdlf bench[/] ({(quick ? "quick" : "standard")} rounds): {StepBench.Environment()}");
        AnsiConsole.WriteLine("W1 = one PDLF policy step (forward, both layers' plasticity and normalisation), episodes of synthetic observations.");

        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160; // keep tables on one line in logs
        var paths = new Table().Title("one thread, each vector path").AddColumns("size", "path", "policy-steps/s", "synapse-updates/s", "vs scalar", "B/step");
        var scaling = new Table().Title("independent episodes on 1 and N threads").AddColumns("size", "threads", "policy-steps/s", "synapse-updates/s", "per thread", "vs 1 thread");
        var evolution = new Table().Title($"PGPE generations: ant_dir PDLF policy ({EsBench.Spec.Synapses * 5:N0} parameters), population 64, 1,000 synthetic steps per episode")
            .AddColumns("threads", "episodes/s", "s per generation", "vs 1 thread");
        var esBench = new EsBench(quick ? 3 : 8);
        var noise = new Table().Title("ES noise draw (stream 2, the same bits on every path), 53,505 values per draw (a copy-task member), one thread")
            .AddColumns("path", "ns per value", "vs scalar twin", "B/draw");
        var shares = new Table().Title($"the strategy's own work (ask, rank, tell) per generation, {maxThreads} thread(s)")
            .AddColumns("workload", "population x parameters", "s per generation", "ask + tell s", "share");
        var physicsBench = quick ? new PhysicsBench(TimeSpan.FromMilliseconds(150), rounds: 1) : new PhysicsBench(TimeSpan.FromMilliseconds(700), rounds: 2);
        var physics = new Table().Title("MuJoCo tasks with a 28..12-128-8..2 PDLF policy (physics + policy per environment step)")
            .AddColumns("task", "threads", "env-steps/s", "vs 1 thread", "physics us/step", "policy us/step", "policy / physics");
        var bpttBench = quick ? new BpttBench(TimeSpan.FromMilliseconds(300), rounds: 1) : new BpttBench(TimeSpan.FromSeconds(1), rounds: 3);
        var bptt = new Table().Title($"BPTT, forward + backward: {BpttBench.Inputs}-{BpttBench.Hidden}-{BpttBench.Outputs} plastic SNN (Hebbian, input and recurrent layers), {BpttBench.Steps} steps, one thread")
            .AddColumns("forward kernels", "episodes/s", "vs scalar", "forward share", "B/episode");
        var gruBench = quick ? new GruBench(TimeSpan.FromMilliseconds(200), rounds: 1) : new GruBench(TimeSpan.FromMilliseconds(700), rounds: 3);
        var gru = new Table().Title($"GRU step at the copy task's defaults ({GruBench.Inputs} inputs, {GruBench.Hidden} units), one thread")
            .AddColumns("kernel", "sequence-steps/s", "vs scalar twin", "B/step");
        var lockstep = new Table().Title("lock-step episodes: K episodes of one rule per step call (coefficients read once for K), widest path")
            .AddColumns("size", "K", "threads", "synapse-updates/s", "per thread", "vs K = 1", "vs 1 thread");
        // Under the JIT, dynamic PGO compiles the K = 1 step differently from run to run (seen: 2.3-3.0e9 for ant_dir),
        // and every ratio in this table divides by it.
        if (System.Runtime.JitInfo.GetCompiledMethodCount() > 0)
            lockstep.Caption("JIT: the K = 1 rate moves by up to 30 % between processes with dynamic PGO; for stable ratios run the AOT binary or set DOTNET_TieredPGO=0");
        var threadCounts = new[] { 1, maxThreads }.Distinct().ToArray();
        AnsiConsole.Progress().AutoClear(true).Start(progress =>
        {
            var task = progress.AddTask("measuring", maxValue: sizes.Count * (Vectorisation.Accelerated.Count + 3) + (evolutionPart ? threadCounts.Length : 0)
                + lockstepSizes.Count * LockstepCounts.Length * threadCounts.Length
                + (physicsPart ? LocomotionTasks.All.Count : 0) + (bpttPart ? 2 : 0) + (gruPart ? 3 : 0));
            foreach (var size in sizes)
            {
                StepMeasurement? scalar = null;
                foreach (var width in Vectorisation.Accelerated)
                {
                    task.Description = $"{size.Name}: {width}";
                    var m = bench.MeasureSingle(size, width);
                    scalar ??= m;
                    paths.AddRow($"{size} ({m.Synapses:N0} syn.)", m.Path, $"{m.StepsPerSecond:N0}", Rate(m.SynapseUpdatesPerSecond),
                        $"{m.StepsPerSecond / scalar.StepsPerSecond:F2}x", $"{m.BytesPerStep}");
                    task.Increment(1);
                }
                // The opt-in bfloat16 rule on the widest path, against the float rule measured just before it.
                var widest = Vectorisation.Accelerated[^1];
                if (widest != SimdWidth.Scalar)
                {
                    task.Description = $"{size.Name}: {widest}, bfloat16 coefficients";
                    var singlePrecision = bench.MeasureSingle(size, widest);
                    var half = bench.MeasureSingle(size, widest, CoefficientPrecision.BFloat16);
                    paths.AddRow($"{size} ({half.Synapses:N0} syn.)", $"{half.Path} ({half.StepsPerSecond / singlePrecision.StepsPerSecond:F2}x float)",
                        $"{half.StepsPerSecond:N0}", Rate(half.SynapseUpdatesPerSecond), $"{half.StepsPerSecond / scalar!.StepsPerSecond:F2}x", $"{half.BytesPerStep}");
                }
                task.Increment(1);
                StepMeasurement? single = null;
                foreach (int t in threadCounts)
                {
                    task.Description = $"{size.Name}: {t} thread(s)";
                    var m = bench.MeasureThreads(size, t);
                    single ??= m;
                    scaling.AddRow($"{size}", $"{t}", $"{m.StepsPerSecond:N0}", Rate(m.SynapseUpdatesPerSecond),
                        Rate(m.SynapseUpdatesPerSecond / t), $"{m.StepsPerSecond / single.StepsPerSecond:F2}x");
                    task.Increment(1);
                }
            }
            if (lockstepSizes.Count > 0)
            {
                // Unmeasured first pass: both step paths (K = 1 is the plain step) reach their final JIT tier, so
                // the first row is not measured on tier-0 code (seen: K = 1 at 1/37 of its speed in quick rounds).
                task.Description = "lock-step: warm-up";
                foreach (int k in LockstepCounts) bench.MeasureThreads(lockstepSizes[0], 1, lockstepEpisodes: k);
            }
            foreach (var size in lockstepSizes)
            {
                var perK = new Dictionary<(int K, int Threads), StepMeasurement>();
                foreach (int k in LockstepCounts)
                    foreach (int t in threadCounts)
                    {
                        task.Description = $"lock-step {size.Name}: K = {k}, {t} thread(s)";
                        var m = perK[(k, t)] = bench.MeasureThreads(size, t, lockstepEpisodes: k);
                        lockstep.AddRow($"{size}", $"{k}", $"{t}", Rate(m.SynapseUpdatesPerSecond), Rate(m.SynapseUpdatesPerSecond / t),
                            $"{m.StepsPerSecond / perK[(1, t)].StepsPerSecond:F2}x", $"{m.StepsPerSecond / perK[(k, 1)].StepsPerSecond:F2}x");
                        task.Increment(1);
                    }
            }
            if (evolutionPart)
            {
                task.Description = "evolution: interleaved generations";
                var measured = esBench.Measure(threadCounts);
                foreach (var m in measured)
                    evolution.AddRow($"{m.Threads}", $"{m.EpisodesPerSecond:N1}", $"{m.GenerationSeconds:F3}", $"{m.EpisodesPerSecond / measured[0].EpisodesPerSecond:F2}x");
                task.Description = "evolution: noise draw, each vector path";
                var draws = EsBench.MeasureNoise(53_505, TimeSpan.FromMilliseconds(quick ? 50 : 300), quick ? 1 : 3);
                foreach (var d in draws)
                    noise.AddRow(d.Width == SimdWidth.Scalar ? "scalar twin" : $"{d.Width}", $"{d.NanosecondsPerValue:F2}",
                        $"{draws[0].NanosecondsPerValue / d.NanosecondsPerValue:F2}x", $"{d.BytesPerDraw}");
                task.Description = "evolution: ask + tell share (copy task defaults)";
                foreach (var share in esBench.StrategyShares(measured[^1], quick ? 3 : 7))
                    shares.AddRow(share.Workload, $"{share.Population} x {share.Dimension:N0}", $"{share.GenerationSeconds:F3}", $"{share.StrategySeconds:F3}", $"{share.Share:P1}");
                task.Increment(threadCounts.Length);
            }
            if (physicsPart)
            {
                foreach (var locomotion in LocomotionTasks.All)
                {
                    task.Description = $"physics: {locomotion.Name}";
                    var measured = physicsBench.Measure(locomotion, threadCounts);
                    foreach (var m in measured)
                        physics.AddRow(m.Task, $"{m.Threads}", $"{m.EnvironmentStepsPerSecond:N0}", $"{m.EnvironmentStepsPerSecond / measured[0].EnvironmentStepsPerSecond:F2}x",
                            $"{m.PhysicsMicroseconds:F1}", $"{m.PolicyMicroseconds:F2}", $"{m.PolicyShare:P1}");
                    task.Increment(1);
                }
            }
            if (bpttPart)
            {
                task.Description = "bptt: scalar twin";
                var scalar = bpttBench.Measure(SimdWidth.Scalar);
                task.Increment(1);
                task.Description = "bptt: vectorised";
                var vector = bpttBench.Measure(SimdWidth.Auto);
                task.Increment(1);
                foreach (var m in new[] { scalar, vector })
                    bptt.AddRow(m.Path, $"{m.StepsPerSecond:N1}", $"{m.StepsPerSecond / scalar.StepsPerSecond:F2}x", $"{m.ForwardShare:P0}", $"{m.BytesPerStep}");
            }
            if (gruPart)
            {
                GruMeasurement? twin = null;
                foreach (var kind in Enum.GetValues<GruBench.Kind>())
                {
                    task.Description = $"gru: {kind}";
                    var m = gruBench.Measure(kind);
                    twin ??= m;
                    gru.AddRow(m.Path, Rate(m.SequenceStepsPerSecond), $"{m.SequenceStepsPerSecond / twin.SequenceStepsPerSecond:F2}x", $"{m.BytesPerStep}");
                    task.Increment(1);
                }
            }
        });
        if (sizes.Count > 0)
        {
            AnsiConsole.Write(paths);
            AnsiConsole.Write(scaling);
        }
        if (lockstepSizes.Count > 0) AnsiConsole.Write(lockstep);
        if (evolutionPart)
        {
            AnsiConsole.Write(evolution);
            AnsiConsole.Write(noise);
            AnsiConsole.Write(shares);
        }
        if (physicsPart) AnsiConsole.Write(physics);
        if (bpttPart) AnsiConsole.Write(bptt);
        if (gruPart) AnsiConsole.Write(gru);
        if (physicsProblem is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]physics part skipped: {physicsProblem}[/]");
        return 0;
    }

    private static string Rate(double perSecond) => perSecond.ToString("0.00e0", System.Globalization.CultureInfo.InvariantCulture);
}
