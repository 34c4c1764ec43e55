using System.Diagnostics;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Cli.Bench;

public sealed record BpttMeasurement(string Path, double StepsPerSecond, double ForwardShare, long BytesPerStep);

/// <summary>
/// One BPTT training step's core, forward plus backward, for a 32-128-8 plastic SNN (Hebbian, both layers plastic)
/// over 100 time steps, with the forward kernels vectorised or their scalar twins. Best of a few rounds.
/// </summary>
public sealed class BpttBench(TimeSpan roundLength, int rounds)
{
    public const int Inputs = 32, Hidden = 128, Outputs = 8, Steps = 100;

    public static PlasticSnnSpec Spec => new(Inputs, Hidden, Outputs, TraceRule.Hebbian, TraceModulation.None);

    public BpttMeasurement Measure(SimdWidth width)
    {
        var spec = Spec;
        var tape = new PlasticSnnTape(spec, Steps, width);
        var parameters = tape.Layout.Initial(1);
        var inputs = new float[Steps * Inputs];
        var random = new RandomStream(2, new StreamId(0, 0, 0, 9));
        for (int i = 0; i < inputs.Length; i++) inputs[i] = random.NextBool() ? 1f : 0f;
        var outputs = new float[Steps * Outputs];
        var outputGradient = new float[Steps * Outputs];
        random.FillUniform(outputGradient, -1f, 1f);
        var gradient = new float[tape.Layout.Length];
        double best = 0, forwardShare = 0;
        long bytes = 0;
        for (int r = 0; r <= rounds; r++)
        {
            double forwardSeconds = 0;
            int done = 0;
            var clock = Stopwatch.StartNew();
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            while (clock.Elapsed < roundLength)
            {
                long start = Stopwatch.GetTimestamp();
                tape.Forward(parameters, inputs, Steps, outputs);
                forwardSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                tape.Backward(parameters, outputGradient, gradient);
                done++;
            }
            double rate = done / clock.Elapsed.TotalSeconds;
            if (r > 0 && rate > best)
            {
                best = rate;
                forwardShare = forwardSeconds / clock.Elapsed.TotalSeconds;
                bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / done;
            }
        }
        return new BpttMeasurement(width == SimdWidth.Scalar ? "scalar twin" : Vectorisation.Resolve(width).ToString(), best, forwardShare, bytes);
    }
}
