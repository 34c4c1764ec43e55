using System.Numerics.Tensors;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;

namespace PdlfFast.Training.Gradient;

/// <summary>
/// One plastic layer's trace update at one step, forward and backward, for a dense layer (stride = columns):
/// <code>
/// plain / neuromodulated:  H' = [clip](H decay(y, theta, rate) + x gain(y, theta, rate))     (rule's coefficients)
/// retroactive:             H' = clip(H + rate E),  E' = E (1 - eta) + x (eta y)
/// </code>
/// rate is per postsynaptic neuron (eta, or M(t) times the fan-out). The backward pass recomputes the coefficients and
/// the clip masks from the inputs, so the forward pass need store only H, E, x, y and theta.
/// </summary>
internal sealed class TraceLayerGradient(int columns, SimdWidth width = SimdWidth.Auto)
{
    private readonly float[] _decay = new float[columns], _gain = new float[columns], _eta = new float[columns];
    private readonly float[] _gDecay = new float[columns], _gGain = new float[columns], _gp = new float[columns];
    private readonly float[] _forwardScratch = new float[TracePlasticity.UpdateScratchLength(columns)];

    /// <summary>
    /// Forward of one layer's trace update: on entry <paramref name="h"/> (<paramref name="e"/>) holds the previous
    /// trace, on return the updated one.
    /// </summary>
    public void Forward(TraceRule rule, TraceModulation modulation, LayerShape shape, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> thetaPrevious, ReadOnlySpan<float> rate, float eta, Span<float> h, Span<float> e) =>
        TracePlasticity.Update(rule, modulation, shape, x, y, thetaPrevious, rate, eta, h, e, _forwardScratch, width);

    private void Coefficients(TraceRule rule, TraceModulation modulation, ReadOnlySpan<float> y, ReadOnlySpan<float> theta, ReadOnlySpan<float> rate) =>
        TracePlasticity.CoefficientsOf(rule, y, theta, rate, modulation, _decay, _gain, width);

    /// <summary>dL/drate, dL/dy, dL/dtheta of every column from dL/ddecay and dL/dgain, through the rule's coefficients.</summary>
    private readonly ref struct ColumnGradientsAction(TraceModulation modulation, ReadOnlySpan<float> y, ReadOnlySpan<float> theta,
        ReadOnlySpan<float> rate, ReadOnlySpan<float> gDecay, ReadOnlySpan<float> gGain, Span<float> gRate, Span<float> gY, Span<float> gTheta)
        : ITraceRuleAction<bool>
    {
        private readonly ReadOnlySpan<float> _y = y, _theta = theta, _rate = rate, _gDecay = gDecay, _gGain = gGain;
        private readonly Span<float> _gRate = gRate, _gY = gY, _gTheta = gTheta;

        public bool Invoke<TRule>() where TRule : struct, ITraceRule
        {
            for (int j = 0; j < _gDecay.Length; j++)
                TRule.CoefficientGradients(_y[j], _theta[j], _rate[j], modulation, _gDecay[j], _gGain[j], ref _gRate[j], ref _gY[j], ref _gTheta[j]);
            return true;
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>. On entry <paramref name="gH"/> (<paramref name="gE"/>) holds dL/dH' (dL/dE');
    /// on return dL/dH (dL/dE) through this update. Adds dL/dx, dL/dy, dL/dtheta and dL/drate to the spans given
    /// (<paramref name="gx"/> may be empty), and dL/deta of the eligibility trace to <paramref name="gEta"/>.
    /// </summary>
    public void Backward(TraceRule rule, TraceModulation modulation, LayerShape shape, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> thetaPrevious, ReadOnlySpan<float> rate, float eta, ReadOnlySpan<float> hPrevious, ReadOnlySpan<float> ePrevious,
        Span<float> gH, Span<float> gE, Span<float> gx, Span<float> gy, Span<float> gTheta, Span<float> gRate, ref float gEta)
    {
        int rows = shape.Rows, columns = shape.Columns;
        Span<float> gDecay = _gDecay.AsSpan(0, columns), gGain = _gGain.AsSpan(0, columns);
        gDecay.Clear();
        gGain.Clear();
        if (modulation == TraceModulation.Retroactive)
        {
            _eta.AsSpan(0, columns).Fill(eta);
            TracePlasticity.CoefficientsScalar<HebbianRule>(y, thetaPrevious, _eta.AsSpan(0, columns), TraceModulation.None,
                _decay.AsSpan(0, columns), _gain.AsSpan(0, columns));
            for (int i = 0; i < rows; i++)
            {
                float xi = x[i], gxi = 0f;
                for (int j = 0; j < columns; j++)
                {
                    int s = i * columns + j;
                    float eligible = ePrevious[s];
                    float pre = MathF.FusedMultiplyAdd(rate[j], eligible, hPrevious[s]);
                    float gp = pre > 1f || pre < -1f ? 0f : gH[s];
                    float gENext = gE[s];
                    gRate[j] = MathF.FusedMultiplyAdd(gp, eligible, gRate[j]);
                    gxi = MathF.FusedMultiplyAdd(gENext, _gain[j], gxi);
                    gDecay[j] = MathF.FusedMultiplyAdd(gENext, eligible, gDecay[j]);
                    gGain[j] = MathF.FusedMultiplyAdd(gENext, xi, gGain[j]);
                    gE[s] = MathF.FusedMultiplyAdd(gp, rate[j], gENext * _decay[j]);
                    gH[s] = gp;
                }
                if (!gx.IsEmpty) gx[i] += gxi;
            }
            // The eligibility trace's Hebbian coefficients: decay 1 - eta, gain eta y.
            for (int j = 0; j < columns; j++)
            {
                gEta += gGain[j] * y[j] - gDecay[j];
                gy[j] = MathF.FusedMultiplyAdd(gGain[j], eta, gy[j]);
            }
            return;
        }
        Coefficients(rule, modulation, y, thetaPrevious, rate);
        bool clips = rule == TraceRule.Hebbian;
        ReadOnlySpan<float> decay = _decay.AsSpan(0, columns), gain = _gain.AsSpan(0, columns);
        Span<float> passed = _gp.AsSpan(0, columns);
        for (int i = 0; i < rows && width == SimdWidth.Scalar; i++)
        {
            // Scalar twin of the row loop below (bench baseline and test reference).
            float xi = x[i];
            for (int j = 0; j < columns; j++)
            {
                int s = i * columns + j;
                float hp = hPrevious[s];
                float pre = MathF.FusedMultiplyAdd(xi, gain[j], hp * decay[j]);
                float g = clips && (pre > 1f || pre < -1f) ? 0f : gH[s];
                passed[j] = g;
                gDecay[j] = MathF.FusedMultiplyAdd(g, hp, gDecay[j]);
                gGain[j] = MathF.FusedMultiplyAdd(g, xi, gGain[j]);
                gH[s] = g * decay[j];
            }
            if (!gx.IsEmpty) gx[i] += FixedOrderDot.DotScalar(passed, gain);
        }
        for (int i = 0; i < rows && width != SimdWidth.Scalar; i++)
        {
            int row = i * columns;
            float xi = x[i];
            Span<float> gHRow = gH.Slice(row, columns);
            ReadOnlySpan<float> hRow = hPrevious.Slice(row, columns);
            gHRow.CopyTo(passed);
            if (clips)
            {
                // The forward pass's own arithmetic decides which synapses were clipped (no gradient through them).
                for (int j = 0; j < columns; j++)
                {
                    float pre = MathF.FusedMultiplyAdd(xi, gain[j], hRow[j] * decay[j]);
                    if (pre > 1f || pre < -1f) passed[j] = 0f;
                }
            }
            if (!gx.IsEmpty) gx[i] += FixedOrderDot.Dot(passed, gain, width); // fixed order: width-independent gradients
            TensorPrimitives.FusedMultiplyAdd(passed, hRow, gDecay, gDecay);
            TensorPrimitives.FusedMultiplyAdd(passed, xi, gGain, gGain); // fused, as the scalar twin
            TensorPrimitives.Multiply(passed, decay, gHRow);
        }
        var columnGradients = new ColumnGradientsAction(modulation, y[..columns], thetaPrevious, rate, gDecay, gGain, gRate, gy, gTheta);
        TraceRules.Dispatch<ColumnGradientsAction, bool>(rule, ref columnGradients);
    }
}
