using System.Diagnostics;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Recurrent;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Cli.Bench;

/// <summary>One GRU measurement: sequence-steps per second and bytes allocated per step (0 expected).</summary>
public sealed record GruMeasurement(string Path, double SequenceStepsPerSecond, long BytesPerStep);

/// <summary>
/// The GRU step at the copy task's defaults (3 inputs, 128 units; the copy evaluator steps 32 training sequences in
/// lock-step): the scalar twin, the single-sequence step and the batched step. Best of a few rounds, one thread.
/// </summary>
public sealed class GruBench(TimeSpan roundLength, int rounds)
{
    public const int Inputs = 3, Hidden = 128, Batch = 32;

    public enum Kind { ScalarTwin, Step, StepBatch }

    public GruMeasurement Measure(Kind kind)
    {
        var parameters = new GruParameters(Inputs, Hidden);
        var genome = new float[parameters.GenomeLength()];
        var random = new RandomStream(3, new StreamId(0, 0, 0, 9));
        random.FillGaussian(genome, 0f, 0.3f);
        parameters.Load(genome);
        var state = new GruState(parameters);
        var batchState = new GruBatchState(parameters, Batch);
        var inputs = new float[Batch * Inputs];
        random.FillUniform(inputs, -1f, 1f);
        var outputs = new float[Batch];
        int perCall = kind == Kind.StepBatch ? Batch : 1;
        double best = 0;
        long bytes = 0;
        float sink = 0;
        for (int r = 0; r <= rounds; r++)
        {
            long done = 0;
            var clock = Stopwatch.StartNew();
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            while (clock.Elapsed < roundLength)
            {
                for (int i = 0; i < 64; i++)
                {
                    switch (kind)
                    {
                        case Kind.ScalarTwin: sink += Gru.StepScalar(state, parameters, inputs.AsSpan(0, Inputs)); break;
                        case Kind.Step: sink += Gru.Step(state, parameters, inputs.AsSpan(0, Inputs)); break;
                        default: Gru.StepBatch(batchState, parameters, inputs, outputs); break;
                    }
                }
                done += 64 * perCall;
                // Long sequences saturate; restart now and then as episodes do.
                state.Reset();
                batchState.Reset();
            }
            double rate = done / clock.Elapsed.TotalSeconds;
            if (r > 0 && rate > best)
            {
                best = rate;
                bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / done;
            }
        }
        GC.KeepAlive(sink);
        string path = kind switch
        {
            Kind.ScalarTwin => "scalar twin (Step)",
            Kind.Step => $"Step, {Vectorisation.Best}",
            _ => $"StepBatch x {Batch}, {Vectorisation.Best}",
        };
        return new GruMeasurement(path, best, bytes);
    }
}
