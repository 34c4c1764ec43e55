using System.Runtime.InteropServices;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Neurons;

/// <summary>
/// Leaky integrate-and-fire constants. One step of a layer (docs/design.md, "Network and neuron model"):
/// <code>
/// v  &lt;- Decay * v + InputGain * I
/// s  &lt;- +1 if v &gt; Threshold, -1 if v &lt; -Threshold, else 0      (ternary spikes)
/// v  &lt;- 0 where s != 0                                         (hard reset)
/// tr &lt;- TraceDecay * tr + TraceGain * s                        (spike trace, stays in [-1, 1])
/// </code>
/// Membranes and traces below float's smallest normal magnitude (2^-126) are flushed to zero, as XLA's
/// flush-to-zero mode does for the reference: a silent neuron's trace decays by 1/e per step and would otherwise
/// turn subnormal after ~90 steps, where every multiply takes a slow microcode path (measured: 2x slower steps).
/// </summary>
/// <param name="Decay">Membrane decay per step (1/tau; 1/e for PDLF).</param>
/// <param name="InputGain">Weight of the input current (1 - 1/tau).</param>
/// <param name="Threshold">Firing threshold theta, applied to |v| (ternary spikes).</param>
/// <param name="TraceDecay">Spike-trace decay per step.</param>
/// <param name="TraceGain">Weight of the new spike in the trace; with <c>TraceDecay + TraceGain = 1</c> the trace stays in [-1, 1].</param>
public readonly record struct LifParameters(float Decay, float InputGain, float Threshold, float TraceDecay, float TraceGain)
{
    private const float InverseE = 0.36787944117144233f;

    /// <summary>PDLF: tau = e, so v &lt;- v/e + I(1 - 1/e), threshold 0.1; traces decay with the same tau.</summary>
    public static LifParameters Pdlf { get; } = new(InverseE, 1f - InverseE, 0.1f, InverseE, 1f - InverseE);

    /// <summary>Direct-weight baseline ("Opt_Weight"): v &lt;- 0.5 v + 0.5 I, threshold 1.</summary>
    public static LifParameters DirectWeight { get; } = new(0.5f, 0.5f, 1f, InverseE, 1f - InverseE);
}

/// <summary>
/// The LIF layer step of <see cref="LifParameters"/>, vectorised, with its scalar twin. Lane-wise with FMA in every
/// path, so all widths give the same bits (docs/design.md, "Vector paths and determinism").
/// </summary>
public static class Lif
{
    /// <summary>2^-126: magnitudes below it are flushed to zero (see <see cref="LifParameters"/>).</summary>
    public const float SmallestNormal = 1.17549435E-38f;

    /// <summary>
    /// Advances membranes, spikes and traces of one layer by one step, in place. All spans have the same length
    /// (padded lengths are fine: zero current keeps padding silent). Allocates nothing.
    /// </summary>
    /// <param name="membrane">v, updated.</param>
    /// <param name="current">This step's input current I (already scaled to effective weights).</param>
    /// <param name="spikes">Receives s: -1, 0 or +1.</param>
    /// <param name="trace">tr, updated.</param>
    /// <param name="p">The neuron constants.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <returns>The number of neurons that spiked (either sign).</returns>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static int Step(Span<float> membrane, ReadOnlySpan<float> current, Span<float> spikes, Span<float> trace,
        in LifParameters p, SimdWidth width = SimdWidth.Auto)
    {
        int n = membrane.Length;
        if (current.Length != n || spikes.Length != n || trace.Length != n)
            throw new ArgumentException($"LIF spans must all have length {n} (current {current.Length}, spikes {spikes.Length}, trace {trace.Length}).");
        // Wider paths fall through to narrower ones for the remainder, then the scalar twin finishes the tail; every
        // stage performs the same lane-wise operations, so the split does not change the result.
        int i = 0, count = 0;
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512:
                count += StepVectors<Vec512>(membrane, current, spikes, trace, p, ref i);
                goto case SimdWidth.Vector256;
            case SimdWidth.Vector256:
                count += StepVectors<Vec256>(membrane, current, spikes, trace, p, ref i);
                goto case SimdWidth.Vector128;
            case SimdWidth.Vector128:
                count += StepVectors<Vec128>(membrane, current, spikes, trace, p, ref i);
                break;
        }
        return count + StepScalar(membrane[i..], current[i..], spikes[i..], trace[i..], p);
    }

    private static int StepVectors<TVec>(Span<float> membrane, ReadOnlySpan<float> current, Span<float> spikes, Span<float> trace,
        in LifParameters p, ref int start) where TVec : struct, IFloatVector<TVec>
    {
        ref float v = ref MemoryMarshal.GetReference(membrane);
        ref float input = ref MemoryMarshal.GetReference(current);
        ref float s = ref MemoryMarshal.GetReference(spikes);
        ref float tr = ref MemoryMarshal.GetReference(trace);
        TVec decay = TVec.Broadcast(p.Decay), gain = TVec.Broadcast(p.InputGain);
        TVec threshold = TVec.Broadcast(p.Threshold), negThreshold = TVec.Broadcast(-p.Threshold);
        TVec traceDecay = TVec.Broadcast(p.TraceDecay), traceGain = TVec.Broadcast(p.TraceGain);
        TVec one = TVec.Broadcast(1f), smallestNormal = TVec.Broadcast(SmallestNormal);
        int count = 0;
        nuint n = (nuint)membrane.Length, i = (nuint)start;
        for (; i + (nuint)TVec.Count <= n; i += (nuint)TVec.Count)
        {
            TVec vi = TVec.Fma(TVec.Load(ref input, i), gain, TVec.Multiply(TVec.Load(ref v, i), decay));
            TVec up = TVec.GreaterThan(vi, threshold);
            TVec down = TVec.LessThan(vi, negThreshold);
            TVec fired = TVec.Or(up, down);
            TVec si = TVec.Subtract(TVec.And(up, one), TVec.And(down, one));
            TVec.Store(TVec.AndNot(vi, TVec.Or(fired, TVec.LessThan(TVec.Abs(vi), smallestNormal))), ref v, i);
            TVec.Store(si, ref s, i);
            TVec ti = TVec.Fma(si, traceGain, TVec.Multiply(TVec.Load(ref tr, i), traceDecay));
            TVec.Store(TVec.AndNot(ti, TVec.LessThan(TVec.Abs(ti), smallestNormal)), ref tr, i);
            count += System.Numerics.BitOperations.PopCount(TVec.NonZeroMask(fired));
        }
        start = (int)i;
        return count;
    }

    /// <summary>
    /// Plain scalar twin of <see cref="Step"/>: same results bit for bit, kept for tests and as the bench baseline.
    /// Unlike <see cref="Step"/> it does not check span lengths (the spans must be at least <paramref name="membrane"/>'s length).
    /// </summary>
    /// <returns>The number of neurons that spiked.</returns>
    public static int StepScalar(Span<float> membrane, ReadOnlySpan<float> current, Span<float> spikes, Span<float> trace,
        in LifParameters p)
    {
        int count = 0;
        for (int i = 0; i < membrane.Length; i++)
        {
            float v = MathF.FusedMultiplyAdd(current[i], p.InputGain, membrane[i] * p.Decay);
            float s = 0f;
            if (v > p.Threshold) s = 1f;
            else if (v < -p.Threshold) s = -1f;
            if (s != 0f)
            {
                v = 0f;
                count++;
            }
            if (MathF.Abs(v) < SmallestNormal) v = 0f;
            float tr = MathF.FusedMultiplyAdd(s, p.TraceGain, trace[i] * p.TraceDecay);
            if (MathF.Abs(tr) < SmallestNormal) tr = 0f;
            membrane[i] = v;
            spikes[i] = s;
            trace[i] = tr;
        }
        return count;
    }
}
