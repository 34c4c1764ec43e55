using System.Runtime.CompilerServices;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.SpikePropamine;

/// <summary>The plastic-trace rules of SpikePropamine / Backpropamine (docs/design.md, "SpikePropamine plastic layers").</summary>
public enum TraceRule
{
    /// <summary><c>H &lt;- clip((1 - eta) H + eta x y, -1, 1)</c>; neuromodulated: <c>clip(H + M x y, -1, 1)</c>.</summary>
    Hebbian,
    /// <summary><c>H &lt;- H + eta y (x - y H)</c> (eta replaced by M when neuromodulated).</summary>
    Oja,
    /// <summary><c>H &lt;- H + eta x y (y - theta)</c>, theta a per-neuron running mean of y^2 (eta -> M when neuromodulated).</summary>
    Bcm,
}

/// <summary>Where a rule's learning rate comes from.</summary>
public enum TraceModulation
{
    /// <summary>A learned scalar eta.</summary>
    None,
    /// <summary>The network's modulatory signal M(t) (per postsynaptic neuron after the fan-out) replaces eta.</summary>
    Neuromodulated,
    /// <summary>M(t) gates an eligibility trace: <c>H &lt;- clip(H + M E, -1, 1)</c>, then <c>E &lt;- (1 - eta) E + eta x y</c>.</summary>
    Retroactive,
}

/// <summary>
/// A trace rule as an operator struct. Every rule's update has the form <c>H &lt;- [clip](H * decay[j] + x[i] *
/// gain[j])</c>, where decay and gain depend only on the postsynaptic side (y, theta, the rate m), so they are
/// computed once per step per postsynaptic neuron and the per-synapse pass is two multiply-adds. Scalar and vector
/// forms perform the same operations in the same order, so they agree bit for bit.
/// </summary>
public interface ITraceRule
{
    /// <summary>The rule this struct implements.</summary>
    static abstract TraceRule Rule { get; }
    /// <summary>Whether the update clips H to [-1, 1].</summary>
    static abstract bool Clips(TraceModulation modulation);
    /// <summary>Per-postsynaptic factor on H.</summary>
    /// <param name="y">Postsynaptic activity (the hidden spike trace).</param>
    /// <param name="theta">BCM's sliding threshold for the neuron (ignored by the other rules).</param>
    /// <param name="rate">Learning rate m: eta, or the neuron's modulatory signal M(t).</param>
    /// <param name="modulation">Where <paramref name="rate"/> comes from; Hebbian decays only with a learned eta.</param>
    static abstract float Decay(float y, float theta, float rate, TraceModulation modulation);
    /// <summary>Per-postsynaptic factor on the presynaptic x (arguments as in <see cref="Decay(float, float, float, TraceModulation)"/>).</summary>
    static abstract float Gain(float y, float theta, float rate);
    /// <summary>Lane-wise <see cref="Decay(float, float, float, TraceModulation)"/>: same operations, same order.</summary>
    static abstract TVec Decay<TVec>(TVec y, TVec theta, TVec rate, TraceModulation modulation) where TVec : struct, IFloatVector<TVec>;
    /// <summary>Lane-wise <see cref="Gain(float, float, float)"/>: same operations, same order.</summary>
    static abstract TVec Gain<TVec>(TVec y, TVec theta, TVec rate) where TVec : struct, IFloatVector<TVec>;

    /// <summary>
    /// Backward of <see cref="Decay(float, float, float, TraceModulation)"/> and <see cref="Gain(float, float, float)"/>
    /// for one postsynaptic neuron: given dL/ddecay and dL/dgain, adds dL/drate, dL/dy and dL/dtheta (BPTT through
    /// the rule, SpikePropamine's gradient training).
    /// </summary>
    static abstract void CoefficientGradients(float y, float theta, float rate, TraceModulation modulation, float gDecay, float gGain,
        ref float gRate, ref float gY, ref float gTheta);
}

/// <summary>Hebbian: decay <c>1 - eta</c> (1 when neuromodulated: <c>H + M x y</c>), gain <c>m y</c>, clipped.</summary>
public readonly struct HebbianRule : ITraceRule
{
    /// <inheritdoc/>
    public static TraceRule Rule => TraceRule.Hebbian;
    /// <inheritdoc/>
    public static bool Clips(TraceModulation modulation) => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decay(float y, float theta, float rate, TraceModulation modulation) =>
        modulation == TraceModulation.None ? 1f - rate : 1f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gain(float y, float theta, float rate) => rate * y;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Decay<TVec>(TVec y, TVec theta, TVec rate, TraceModulation modulation) where TVec : struct, IFloatVector<TVec> =>
        modulation == TraceModulation.None ? TVec.Subtract(TVec.Broadcast(1f), rate) : TVec.Broadcast(1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Gain<TVec>(TVec y, TVec theta, TVec rate) where TVec : struct, IFloatVector<TVec> => TVec.Multiply(rate, y);

    /// <inheritdoc/>
    public static void CoefficientGradients(float y, float theta, float rate, TraceModulation modulation, float gDecay, float gGain,
        ref float gRate, ref float gY, ref float gTheta)
    {
        gRate += gGain * y - (modulation != TraceModulation.None ? 0f : gDecay);
        gY = MathF.FusedMultiplyAdd(gGain, rate, gY);
    }
}

/// <summary>Oja: <c>H + m y (x - y H) = H (1 - m y^2) + x (m y)</c>; not clipped (the y H term bounds the norm).</summary>
public readonly struct OjaRule : ITraceRule
{
    /// <inheritdoc/>
    public static TraceRule Rule => TraceRule.Oja;
    /// <inheritdoc/>
    public static bool Clips(TraceModulation modulation) => false;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decay(float y, float theta, float rate, TraceModulation modulation) => MathF.FusedMultiplyAdd(-rate * y, y, 1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gain(float y, float theta, float rate) => rate * y;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Decay<TVec>(TVec y, TVec theta, TVec rate, TraceModulation modulation) where TVec : struct, IFloatVector<TVec> =>
        TVec.Fma(TVec.Multiply(TVec.Subtract(TVec.Zero, rate), y), y, TVec.Broadcast(1f));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Gain<TVec>(TVec y, TVec theta, TVec rate) where TVec : struct, IFloatVector<TVec> => TVec.Multiply(rate, y);

    /// <inheritdoc/>
    public static void CoefficientGradients(float y, float theta, float rate, TraceModulation modulation, float gDecay, float gGain,
        ref float gRate, ref float gY, ref float gTheta)
    {
        gRate += gGain * y - gDecay * y * y;
        gY += gGain * rate - 2f * gDecay * rate * y;
    }
}

/// <summary>BCM: <c>H + x (m y (y - theta))</c>: potentiation above the sliding threshold, depression below; not clipped.</summary>
public readonly struct BcmRule : ITraceRule
{
    /// <inheritdoc/>
    public static TraceRule Rule => TraceRule.Bcm;
    /// <inheritdoc/>
    public static bool Clips(TraceModulation modulation) => false;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decay(float y, float theta, float rate, TraceModulation modulation) => 1f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gain(float y, float theta, float rate) => rate * y * (y - theta);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Decay<TVec>(TVec y, TVec theta, TVec rate, TraceModulation modulation) where TVec : struct, IFloatVector<TVec> =>
        TVec.Broadcast(1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Gain<TVec>(TVec y, TVec theta, TVec rate) where TVec : struct, IFloatVector<TVec> =>
        TVec.Multiply(TVec.Multiply(rate, y), TVec.Subtract(y, theta));

    /// <inheritdoc/>
    public static void CoefficientGradients(float y, float theta, float rate, TraceModulation modulation, float gDecay, float gGain,
        ref float gRate, ref float gY, ref float gTheta)
    {
        gRate += gGain * y * (y - theta);
        gY += gGain * rate * (2f * y - theta);
        gTheta -= gGain * rate * y;
    }
}
