using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.SpikePropamine;

/// <summary>
/// Kernels of the SpikePropamine plastic layers (docs/design.md, "SpikePropamine plastic layers"), over the same presynaptic-row layout as the
/// PDLF layers: the effective-weight propagation <c>out[j] = sum_i x[i] (W + alpha H)[i,j]</c>, the trace update
/// <c>H &lt;- [clip](H decay[j] + x[i] gain[j])</c> with per-postsynaptic coefficients from an
/// <see cref="ITraceRule"/>, the retroactive (eligibility-gated) update, and BCM's sliding threshold. Each has a
/// scalar twin doing the same operations in the same order (bit-identical results, tested). Nothing allocates.
/// Matrices (W, alpha, H, E) are in a <see cref="LayerShape"/> layout: row = presynaptic neuron, padded stride;
/// per-postsynaptic vectors (decay, gain, modulation) cover the stride, with zero gain in the padding.
/// </summary>
public static class TracePlasticity
{
    /// <summary>Per-postsynaptic decay and gain of <typeparamref name="TRule"/> for this step (rate: eta or M(t) per neuron).</summary>
    /// <param name="post">Postsynaptic activity y, one per neuron; every span has its length.</param>
    /// <param name="theta">BCM thresholds (any values for the other rules).</param>
    /// <param name="rate">Learning rate per neuron: eta broadcast, or M(t) after the fan-out.</param>
    /// <param name="modulation">The rule's modulation, passed to <typeparamref name="TRule"/>.</param>
    /// <param name="decay">Receives the factors on H.</param>
    /// <param name="gain">Receives the factors on x.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void Coefficients<TRule>(ReadOnlySpan<float> post, ReadOnlySpan<float> theta, ReadOnlySpan<float> rate,
        TraceModulation modulation, Span<float> decay, Span<float> gain, SimdWidth width = SimdWidth.Auto) where TRule : struct, ITraceRule
    {
        int n = post.Length;
        CheckLengths(n, theta.Length, rate.Length, decay.Length, gain.Length);
        ref float y = ref MemoryMarshal.GetReference(post), t = ref MemoryMarshal.GetReference(theta), r = ref MemoryMarshal.GetReference(rate);
        ref float d = ref MemoryMarshal.GetReference(decay), g = ref MemoryMarshal.GetReference(gain);
        nuint j = 0;
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512: j = CoefficientChunk<TRule, Vec512>(ref y, ref t, ref r, ref d, ref g, modulation, j, (nuint)n); goto case SimdWidth.Vector256;
            case SimdWidth.Vector256: j = CoefficientChunk<TRule, Vec256>(ref y, ref t, ref r, ref d, ref g, modulation, j, (nuint)n); goto case SimdWidth.Vector128;
            case SimdWidth.Vector128: j = CoefficientChunk<TRule, Vec128>(ref y, ref t, ref r, ref d, ref g, modulation, j, (nuint)n); break;
        }
        for (; j < (nuint)n; j++)
        {
            Unsafe.Add(ref d, j) = TRule.Decay(Unsafe.Add(ref y, j), Unsafe.Add(ref t, j), Unsafe.Add(ref r, j), modulation);
            Unsafe.Add(ref g, j) = TRule.Gain(Unsafe.Add(ref y, j), Unsafe.Add(ref t, j), Unsafe.Add(ref r, j));
        }
    }

    /// <summary>Scalar twin of <see cref="Coefficients{TRule}"/>.</summary>
    public static void CoefficientsScalar<TRule>(ReadOnlySpan<float> post, ReadOnlySpan<float> theta, ReadOnlySpan<float> rate,
        TraceModulation modulation, Span<float> decay, Span<float> gain) where TRule : struct, ITraceRule
    {
        CheckLengths(post.Length, theta.Length, rate.Length, decay.Length, gain.Length);
        for (int j = 0; j < post.Length; j++)
        {
            decay[j] = TRule.Decay(post[j], theta[j], rate[j], modulation);
            gain[j] = TRule.Gain(post[j], theta[j], rate[j]);
        }
    }

    private static nuint CoefficientChunk<TRule, TVec>(ref float y, ref float t, ref float r, ref float d, ref float g,
        TraceModulation modulation, nuint j, nuint n) where TRule : struct, ITraceRule where TVec : struct, IFloatVector<TVec>
    {
        for (; j + (nuint)TVec.Count <= n; j += (nuint)TVec.Count)
        {
            TVec yv = TVec.Load(ref y, j), tv = TVec.Load(ref t, j), rv = TVec.Load(ref r, j);
            TVec.Store(TRule.Decay(yv, tv, rv, modulation), ref d, j);
            TVec.Store(TRule.Gain(yv, tv, rv), ref g, j);
        }
        return j;
    }

    /// <summary>Scratch floats <see cref="Update"/> needs for a layer of <paramref name="columns"/> postsynaptic neurons.</summary>
    public static int UpdateScratchLength(int columns) => 3 * columns;

    /// <summary>
    /// One plastic layer's whole trace update for a step (dense layer, stride = columns):
    /// <code>
    /// plain / neuromodulated:  H' = [clip](H decay(y, theta, rate) + x gain(y, theta, rate))     (rule's coefficients)
    /// retroactive:             H' = clip(H + rate E),  E' = E (1 - eta) + x (eta y)
    /// </code>
    /// </summary>
    /// <param name="rule">The trace rule (retroactive modulation uses the Hebbian form).</param>
    /// <param name="modulation">Where the rate comes from.</param>
    /// <param name="shape">Layout of <paramref name="h"/> and <paramref name="e"/>.</param>
    /// <param name="x">Presynaptic activity (Rows values).</param>
    /// <param name="y">Postsynaptic activity (Columns values).</param>
    /// <param name="thetaPrevious">BCM's threshold before the step (zeros for the other rules).</param>
    /// <param name="rate">Per-postsynaptic rate: eta, or M times the fan-out.</param>
    /// <param name="eta">The layer's eta (the eligibility trace's rate under retroactive modulation).</param>
    /// <param name="h">H, updated in place.</param>
    /// <param name="e">E, updated in place (retroactive only; else empty).</param>
    /// <param name="scratch">At least <see cref="UpdateScratchLength"/>(Columns) floats, overwritten.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    public static void Update(TraceRule rule, TraceModulation modulation, LayerShape shape, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> thetaPrevious, ReadOnlySpan<float> rate, float eta, Span<float> h, Span<float> e, Span<float> scratch,
        SimdWidth width = SimdWidth.Auto)
    {
        int columns = shape.Columns;
        Span<float> decay = scratch[..columns], gain = scratch.Slice(columns, columns), etaRow = scratch.Slice(2 * columns, columns);
        if (modulation == TraceModulation.Retroactive)
        {
            etaRow.Fill(eta);
            Coefficients<HebbianRule>(y, thetaPrevious, etaRow, TraceModulation.None, decay, gain, width);
            ApplyRetroactive(h, e, shape, x, rate, decay, gain, width);
            return;
        }
        CoefficientsOf(rule, y, thetaPrevious, rate, modulation, decay, gain, width);
        Apply(h, shape, x, decay, gain, rule == TraceRule.Hebbian, width);
    }

    /// <summary><see cref="Coefficients{TRule}"/> for a rule given as a value.</summary>
    public static void CoefficientsOf(TraceRule rule, ReadOnlySpan<float> post, ReadOnlySpan<float> theta, ReadOnlySpan<float> rate,
        TraceModulation modulation, Span<float> decay, Span<float> gain, SimdWidth width = SimdWidth.Auto)
    {
        var coefficients = new CoefficientsAction(modulation, post, theta, rate, decay, gain, width);
        TraceRules.Dispatch<CoefficientsAction, bool>(rule, ref coefficients);
    }

    private readonly ref struct CoefficientsAction(TraceModulation modulation, ReadOnlySpan<float> y, ReadOnlySpan<float> theta,
        ReadOnlySpan<float> rate, Span<float> decay, Span<float> gain, SimdWidth width) : ITraceRuleAction<bool>
    {
        private readonly ReadOnlySpan<float> _y = y, _theta = theta, _rate = rate;
        private readonly Span<float> _decay = decay, _gain = gain;

        public bool Invoke<TRule>() where TRule : struct, ITraceRule
        {
            Coefficients<TRule>(_y, _theta, _rate, modulation, _decay, _gain, width);
            return true;
        }
    }

    /// <summary>
    /// <c>H[i,j] &lt;- H[i,j] decay[j] + pre[i] gain[j]</c>, clipped to [-1, 1] when <paramref name="clip"/>. Every
    /// stored column is updated (padding: pass zero gain there and it stays zero).
    /// </summary>
    /// <param name="trace">H in <paramref name="shape"/>'s layout, updated in place.</param>
    /// <param name="shape">Layout of <paramref name="trace"/>.</param>
    /// <param name="pre">Presynaptic activity x, at least Rows values.</param>
    /// <param name="decay">From <see cref="Coefficients{TRule}"/>, at least Stride values.</param>
    /// <param name="gain">From <see cref="Coefficients{TRule}"/>, at least Stride values.</param>
    /// <param name="clip">Clip to [-1, 1]: pass <see cref="ITraceRule.Clips"/> of the rule.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="shape"/>.</exception>
    public static void Apply(Span<float> trace, LayerShape shape, ReadOnlySpan<float> pre, ReadOnlySpan<float> decay,
        ReadOnlySpan<float> gain, bool clip, SimdWidth width = SimdWidth.Auto)
    {
        Check(trace, shape, pre, decay, gain);
        var resolved = Vectorisation.Resolve(width);
        ref float h = ref MemoryMarshal.GetReference(trace);
        ref float d = ref MemoryMarshal.GetReference(decay), g = ref MemoryMarshal.GetReference(gain);
        nuint stride = (nuint)shape.Stride, rowStart = 0;
        for (int i = 0; i < shape.Rows; i++, rowStart += stride)
        {
            float x = pre[i];
            ref float row = ref Unsafe.Add(ref h, rowStart);
            nuint j = 0;
            switch (resolved)
            {
                case SimdWidth.Vector512: j = TraceChunk<Vec512>(ref row, ref d, ref g, x, clip, j, stride); goto case SimdWidth.Vector256;
                case SimdWidth.Vector256: j = TraceChunk<Vec256>(ref row, ref d, ref g, x, clip, j, stride); goto case SimdWidth.Vector128;
                case SimdWidth.Vector128: j = TraceChunk<Vec128>(ref row, ref d, ref g, x, clip, j, stride); break;
            }
            for (; j < stride; j++)
                Unsafe.Add(ref row, j) = TraceOne(Unsafe.Add(ref row, j), Unsafe.Add(ref d, j), Unsafe.Add(ref g, j), x, clip);
        }
    }

    /// <summary>Scalar twin of <see cref="Apply"/>.</summary>
    public static void ApplyScalar(Span<float> trace, LayerShape shape, ReadOnlySpan<float> pre, ReadOnlySpan<float> decay,
        ReadOnlySpan<float> gain, bool clip)
    {
        Check(trace, shape, pre, decay, gain);
        for (int i = 0; i < shape.Rows; i++)
            for (int j = 0; j < shape.Stride; j++)
            {
                int s = shape.Index(i, j);
                trace[s] = TraceOne(trace[s], decay[j], gain[j], pre[i], clip);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TraceOne(float h, float decay, float gain, float x, bool clip)
    {
        float v = MathF.FusedMultiplyAdd(x, gain, h * decay);
        return clip ? Clip(v) : v;
    }

    /// <summary>Compare-and-select clip, identical lane by lane to the vector form (NaN passes through).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Clip(float v) => v > 1f ? 1f : v < -1f ? -1f : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Clip<TVec>(TVec v) where TVec : struct, IFloatVector<TVec>
    {
        TVec one = TVec.Broadcast(1f), minusOne = TVec.Broadcast(-1f);
        TVec above = TVec.GreaterThan(v, one);
        v = TVec.Or(TVec.And(above, one), TVec.AndNot(v, above));
        TVec below = TVec.LessThan(v, minusOne);
        return TVec.Or(TVec.And(below, minusOne), TVec.AndNot(v, below));
    }

    private static nuint TraceChunk<TVec>(ref float row, ref float d, ref float g, float x, bool clip, nuint j, nuint n)
        where TVec : struct, IFloatVector<TVec>
    {
        TVec xv = TVec.Broadcast(x);
        for (; j + (nuint)TVec.Count <= n; j += (nuint)TVec.Count)
        {
            TVec v = TVec.Fma(xv, TVec.Load(ref g, j), TVec.Multiply(TVec.Load(ref row, j), TVec.Load(ref d, j)));
            TVec.Store(clip ? Clip(v) : v, ref row, j);
        }
        return j;
    }

    /// <summary>
    /// Retroactive update: <c>H &lt;- clip(H + modulation[j] E, -1, 1)</c> with the eligibility trace before this step,
    /// then <c>E &lt;- E decay[j] + pre[i] gain[j]</c> (Hebbian coefficients: decay 1 - eta, gain eta y).
    /// </summary>
    /// <param name="trace">H, updated in place.</param>
    /// <param name="eligibility">E in the same layout, updated in place after H has used its old value.</param>
    /// <param name="shape">Layout of both matrices.</param>
    /// <param name="pre">Presynaptic activity x, at least Rows values.</param>
    /// <param name="modulation">M(t) per postsynaptic neuron, at least Stride values.</param>
    /// <param name="decay">Eligibility decay per postsynaptic neuron (Stride values).</param>
    /// <param name="gain">Eligibility gain per postsynaptic neuron (Stride values).</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="shape"/>.</exception>
    public static void ApplyRetroactive(Span<float> trace, Span<float> eligibility, LayerShape shape, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> modulation, ReadOnlySpan<float> decay, ReadOnlySpan<float> gain, SimdWidth width = SimdWidth.Auto)
    {
        Check(trace, shape, pre, decay, gain);
        CheckRetroactive(trace, eligibility, shape, modulation);
        var resolved = Vectorisation.Resolve(width);
        ref float h = ref MemoryMarshal.GetReference(trace), e = ref MemoryMarshal.GetReference(eligibility);
        ref float m = ref MemoryMarshal.GetReference(modulation), d = ref MemoryMarshal.GetReference(decay), g = ref MemoryMarshal.GetReference(gain);
        nuint stride = (nuint)shape.Stride, rowStart = 0;
        for (int i = 0; i < shape.Rows; i++, rowStart += stride)
        {
            float x = pre[i];
            ref float hRow = ref Unsafe.Add(ref h, rowStart);
            ref float eRow = ref Unsafe.Add(ref e, rowStart);
            nuint j = 0;
            switch (resolved)
            {
                case SimdWidth.Vector512: j = RetroactiveChunk<Vec512>(ref hRow, ref eRow, ref m, ref d, ref g, x, j, stride); goto case SimdWidth.Vector256;
                case SimdWidth.Vector256: j = RetroactiveChunk<Vec256>(ref hRow, ref eRow, ref m, ref d, ref g, x, j, stride); goto case SimdWidth.Vector128;
                case SimdWidth.Vector128: j = RetroactiveChunk<Vec128>(ref hRow, ref eRow, ref m, ref d, ref g, x, j, stride); break;
            }
            for (; j < stride; j++)
            {
                float eligible = Unsafe.Add(ref eRow, j);
                Unsafe.Add(ref hRow, j) = Clip(MathF.FusedMultiplyAdd(Unsafe.Add(ref m, j), eligible, Unsafe.Add(ref hRow, j)));
                Unsafe.Add(ref eRow, j) = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref g, j), eligible * Unsafe.Add(ref d, j));
            }
        }
    }

    /// <summary>Scalar twin of <see cref="ApplyRetroactive"/>.</summary>
    public static void ApplyRetroactiveScalar(Span<float> trace, Span<float> eligibility, LayerShape shape, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> modulation, ReadOnlySpan<float> decay, ReadOnlySpan<float> gain)
    {
        Check(trace, shape, pre, decay, gain);
        CheckRetroactive(trace, eligibility, shape, modulation);
        for (int i = 0; i < shape.Rows; i++)
            for (int j = 0; j < shape.Stride; j++)
            {
                int s = shape.Index(i, j);
                float eligible = eligibility[s];
                trace[s] = Clip(MathF.FusedMultiplyAdd(modulation[j], eligible, trace[s]));
                eligibility[s] = MathF.FusedMultiplyAdd(pre[i], gain[j], eligible * decay[j]);
            }
    }

    private static nuint RetroactiveChunk<TVec>(ref float hRow, ref float eRow, ref float m, ref float d, ref float g, float x, nuint j, nuint n)
        where TVec : struct, IFloatVector<TVec>
    {
        TVec xv = TVec.Broadcast(x);
        for (; j + (nuint)TVec.Count <= n; j += (nuint)TVec.Count)
        {
            TVec eligible = TVec.Load(ref eRow, j);
            TVec.Store(Clip(TVec.Fma(TVec.Load(ref m, j), eligible, TVec.Load(ref hRow, j))), ref hRow, j);
            TVec.Store(TVec.Fma(xv, TVec.Load(ref g, j), TVec.Multiply(eligible, TVec.Load(ref d, j))), ref eRow, j);
        }
        return j;
    }

    /// <summary>BCM's sliding threshold: <c>theta &lt;- theta + rate (y^2 - theta)</c>, a running mean of y^2.</summary>
    /// <exception cref="ArgumentException"><paramref name="theta"/> and <paramref name="post"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1].</exception>
    public static void UpdateThreshold(Span<float> theta, ReadOnlySpan<float> post, float rate)
    {
        if (theta.Length != post.Length) throw new ArgumentException($"theta has {theta.Length} values, post {post.Length}.", nameof(theta));
        if (!(rate >= 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The threshold rate must be in [0, 1].");
        for (int j = 0; j < theta.Length; j++) theta[j] = MathF.FusedMultiplyAdd(rate, MathF.FusedMultiplyAdd(post[j], post[j], -theta[j]), theta[j]);
    }

    /// <summary>
    /// <c>output[j] = sum_i pre[i] (W[i,j] + alpha[i,j] H[i,j])</c> over every stored column; rows whose input is
    /// exactly zero (silent neurons) are skipped, which changes no bit of the result.
    /// </summary>
    /// <param name="pre">Presynaptic activity x (spikes or traces), at least Rows values.</param>
    /// <param name="weights">Fixed weights W in <paramref name="shape"/>'s layout.</param>
    /// <param name="alpha">Plasticity coefficients alpha, same layout.</param>
    /// <param name="trace">Plastic traces H, same layout.</param>
    /// <param name="shape">Layout of the three matrices.</param>
    /// <param name="output">Receives Stride currents (overwritten).</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="shape"/>.</exception>
    public static void Propagate(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> output, SimdWidth width = SimdWidth.Auto)
    {
        CheckPropagate(pre, weights, alpha, trace, shape, output);
        var resolved = Vectorisation.Resolve(width);
        output[..shape.Stride].Clear();
        ref float w = ref MemoryMarshal.GetReference(weights), a = ref MemoryMarshal.GetReference(alpha), h = ref MemoryMarshal.GetReference(trace);
        ref float o = ref MemoryMarshal.GetReference(output);
        nuint stride = (nuint)shape.Stride, rowStart = 0;
        for (int i = 0; i < shape.Rows; i++, rowStart += stride)
        {
            float x = pre[i];
            if (x == 0f) continue;
            ref float wRow = ref Unsafe.Add(ref w, rowStart), aRow = ref Unsafe.Add(ref a, rowStart), hRow = ref Unsafe.Add(ref h, rowStart);
            nuint j = 0;
            switch (resolved)
            {
                case SimdWidth.Vector512: j = PropagateChunk<Vec512>(ref wRow, ref aRow, ref hRow, ref o, x, j, stride); goto case SimdWidth.Vector256;
                case SimdWidth.Vector256: j = PropagateChunk<Vec256>(ref wRow, ref aRow, ref hRow, ref o, x, j, stride); goto case SimdWidth.Vector128;
                case SimdWidth.Vector128: j = PropagateChunk<Vec128>(ref wRow, ref aRow, ref hRow, ref o, x, j, stride); break;
            }
            for (; j < stride; j++)
                Unsafe.Add(ref o, j) = MathF.FusedMultiplyAdd(x, MathF.FusedMultiplyAdd(Unsafe.Add(ref aRow, j), Unsafe.Add(ref hRow, j), Unsafe.Add(ref wRow, j)), Unsafe.Add(ref o, j));
        }
    }

    /// <summary>Scalar twin of <see cref="Propagate"/>.</summary>
    public static void PropagateScalar(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> output)
    {
        CheckPropagate(pre, weights, alpha, trace, shape, output);
        output[..shape.Stride].Clear();
        for (int i = 0; i < shape.Rows; i++)
        {
            if (pre[i] == 0f) continue;
            for (int j = 0; j < shape.Stride; j++)
            {
                int s = shape.Index(i, j);
                output[j] = MathF.FusedMultiplyAdd(pre[i], MathF.FusedMultiplyAdd(alpha[s], trace[s], weights[s]), output[j]);
            }
        }
    }

    private static nuint PropagateChunk<TVec>(ref float wRow, ref float aRow, ref float hRow, ref float o, float x, nuint j, nuint n)
        where TVec : struct, IFloatVector<TVec>
    {
        TVec xv = TVec.Broadcast(x);
        for (; j + (nuint)TVec.Count <= n; j += (nuint)TVec.Count)
        {
            TVec effective = TVec.Fma(TVec.Load(ref aRow, j), TVec.Load(ref hRow, j), TVec.Load(ref wRow, j));
            TVec.Store(TVec.Fma(xv, effective, TVec.Load(ref o, j)), ref o, j);
        }
        return j;
    }

    private static void CheckLengths(int n, int theta, int rate, int decay, int gain)
    {
        if (theta != n || rate != n || decay != n || gain != n)
            throw new ArgumentException($"post has {n} values; theta, rate, decay and gain must too (got {theta}, {rate}, {decay}, {gain}).");
    }

    private static void Check(Span<float> trace, LayerShape shape, ReadOnlySpan<float> pre, ReadOnlySpan<float> decay, ReadOnlySpan<float> gain)
    {
        shape.Validate(trace.Length, nameof(trace));
        if (pre.Length < shape.Rows) throw new ArgumentException($"pre has {pre.Length} values; the layer has {shape.Rows} rows.", nameof(pre));
        if (decay.Length < shape.Stride || gain.Length < shape.Stride)
            throw new ArgumentException($"decay and gain need {shape.Stride} values (the stored columns); got {decay.Length} and {gain.Length}.");
    }

    private static void CheckRetroactive(Span<float> trace, Span<float> eligibility, LayerShape shape, ReadOnlySpan<float> modulation)
    {
        shape.Validate(eligibility.Length, nameof(eligibility));
        if (modulation.Length < shape.Stride)
            throw new ArgumentException($"modulation needs {shape.Stride} values; got {modulation.Length}.", nameof(modulation));
    }

    private static void CheckPropagate(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> output)
    {
        shape.Validate(weights.Length, nameof(weights));
        shape.Validate(alpha.Length, nameof(alpha));
        shape.Validate(trace.Length, nameof(trace));
        if (pre.Length < shape.Rows) throw new ArgumentException($"pre has {pre.Length} values; the layer has {shape.Rows} rows.", nameof(pre));
        if (output.Length < shape.Stride) throw new ArgumentException($"output needs {shape.Stride} values; got {output.Length}.", nameof(output));
    }
}
