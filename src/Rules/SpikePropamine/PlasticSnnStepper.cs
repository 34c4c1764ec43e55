using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.SpikePropamine;

/// <summary>
/// The named parts of a <see cref="PlasticSnnSpec"/> network's flat parameter vector, as read-only slices (built per
/// step from <see cref="PlasticSnnLayout"/>; costs twelve slice operations, allocates nothing).
/// </summary>
public readonly ref struct PlasticSnnParameters
{
    /// <summary>Slices <paramref name="parameters"/> (exactly <see cref="PlasticSnnLayout.Length"/> values) by <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">The vector's length is not the layout's.</exception>
    public PlasticSnnParameters(PlasticSnnLayout layout, ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != layout.Length)
            throw new ArgumentException($"Parameters have {parameters.Length} values; the network has {layout.Length}.", nameof(parameters));
        InputWeights = layout.Of(parameters, PlasticSnnPart.InputWeights);
        InputAlpha = layout.Of(parameters, PlasticSnnPart.InputAlpha);
        RecurrentWeights = layout.Of(parameters, PlasticSnnPart.RecurrentWeights);
        RecurrentAlpha = layout.Of(parameters, PlasticSnnPart.RecurrentAlpha);
        HiddenBias = layout.Of(parameters, PlasticSnnPart.HiddenBias);
        OutputWeights = layout.Of(parameters, PlasticSnnPart.OutputWeights);
        OutputBias = layout.Of(parameters, PlasticSnnPart.OutputBias);
        InputEta = layout.Of(parameters, PlasticSnnPart.InputEta);
        RecurrentEta = layout.Of(parameters, PlasticSnnPart.RecurrentEta);
        ModulationWeights = layout.Of(parameters, PlasticSnnPart.ModulationWeights);
        ModulationBias = layout.Of(parameters, PlasticSnnPart.ModulationBias);
        ModulationFanOut = layout.Of(parameters, PlasticSnnPart.ModulationFanOut);
    }

    /// <summary>W_in, Inputs x Hidden, row = input.</summary>
    public ReadOnlySpan<float> InputWeights { get; }
    /// <summary>alpha_in, the plasticity coefficient of every input synapse (Inputs x Hidden).</summary>
    public ReadOnlySpan<float> InputAlpha { get; }
    /// <summary>W_rec, Hidden x Hidden, row = presynaptic hidden neuron.</summary>
    public ReadOnlySpan<float> RecurrentWeights { get; }
    /// <summary>alpha_rec (Hidden x Hidden).</summary>
    public ReadOnlySpan<float> RecurrentAlpha { get; }
    /// <summary>b, the hidden neurons' input bias.</summary>
    public ReadOnlySpan<float> HiddenBias { get; }
    /// <summary>W_out, Hidden x Outputs: the linear readout of the hidden traces.</summary>
    public ReadOnlySpan<float> OutputWeights { get; }
    /// <summary>b_out.</summary>
    public ReadOnlySpan<float> OutputBias { get; }
    /// <summary>eta of the input layer's traces (one value).</summary>
    public ReadOnlySpan<float> InputEta { get; }
    /// <summary>eta of the recurrent layer's traces (one value).</summary>
    public ReadOnlySpan<float> RecurrentEta { get; }
    /// <summary>w_m of the modulatory signal <c>M = tanh(w_m . tr + b_m)</c> (Hidden values).</summary>
    public ReadOnlySpan<float> ModulationWeights { get; }
    /// <summary>b_m (one value).</summary>
    public ReadOnlySpan<float> ModulationBias { get; }
    /// <summary>The fan-out that spreads M to each postsynaptic neuron (Hidden values).</summary>
    public ReadOnlySpan<float> ModulationFanOut { get; }
}

/// <summary>
/// Where one step of a plastic SNN reads its previous state and writes its new state. The training tape points the
/// two sides at consecutive rows of its history; <see cref="PlasticSnn"/> points them at the same buffers (updated in
/// place), except the hidden trace, which both layers read as it was before the step and so must be a separate buffer.
/// Plastic, eligibility and threshold spans are empty when the spec has no such state.
/// </summary>
public ref struct PlasticSnnStepBuffers
{
    /// <summary>v of the previous step (zeros at the episode start). May be the same memory as <see cref="Membrane"/>.</summary>
    public ReadOnlySpan<float> MembraneBefore;
    /// <summary>s of the previous step (zeros at the start). May be the same memory as <see cref="Spikes"/>.</summary>
    public ReadOnlySpan<float> SpikesBefore;
    /// <summary>tr of the previous step (zeros at the start). Must not overlap <see cref="Trace"/>.</summary>
    public ReadOnlySpan<float> TraceBefore;
    /// <summary>Written: the new membrane potentials.</summary>
    public Span<float> Membrane;
    /// <summary>Written: the new spikes (0 or 1; smooth values with <see cref="SpikeFunction.Smooth"/>).</summary>
    public Span<float> Spikes;
    /// <summary>Written: the new hidden traces.</summary>
    public Span<float> Trace;
    /// <summary>H_in before the step (Inputs x Hidden); empty when the input layer is not plastic.</summary>
    public ReadOnlySpan<float> InputPlasticBefore;
    /// <summary>Written: H_in after the step. May be the same memory as <see cref="InputPlasticBefore"/>.</summary>
    public Span<float> InputPlastic;
    /// <summary>H_rec before the step (Hidden x Hidden); empty when the recurrent layer is not plastic.</summary>
    public ReadOnlySpan<float> RecurrentPlasticBefore;
    /// <summary>Written: H_rec after the step. May be the same memory as <see cref="RecurrentPlasticBefore"/>.</summary>
    public Span<float> RecurrentPlastic;
    /// <summary>E_in before the step (retroactive modulation only, else empty).</summary>
    public ReadOnlySpan<float> InputEligibilityBefore;
    /// <summary>Written: E_in after the step. May be the same memory as <see cref="InputEligibilityBefore"/>.</summary>
    public Span<float> InputEligibility;
    /// <summary>E_rec before the step (retroactive modulation only, else empty).</summary>
    public ReadOnlySpan<float> RecurrentEligibilityBefore;
    /// <summary>Written: E_rec after the step. May be the same memory as <see cref="RecurrentEligibilityBefore"/>.</summary>
    public Span<float> RecurrentEligibility;
    /// <summary>BCM's sliding threshold before the step (Hidden values; zeros for the other rules).</summary>
    public ReadOnlySpan<float> ThresholdBefore;
    /// <summary>Written (BCM only, else empty): the threshold after the step. May be the same memory as <see cref="ThresholdBefore"/>.</summary>
    public Span<float> Threshold;
}

/// <summary>
/// One time step of a <see cref="PlasticSnnSpec"/> network (docs/design.md, "SpikePropamine plastic layers"), the
/// single forward implementation shared by inference (<see cref="PlasticSnn"/>) and by the BPTT tape in
/// PdlfFast.Training, so the network a host runs is the network that was trained, bit for bit. Owns per-step scratch
/// (one instance per thread); allocates nothing per step.
/// </summary>
public sealed class PlasticSnnStepper
{
    private readonly LayerShape _inputShape, _recurrentShape;
    private readonly float[] _current, _partial, _rate, _traceScratch;

    /// <summary>Scratch for networks of <paramref name="spec"/>; <paramref name="width"/> picks the kernels' vector path (Scalar: the scalar twins).</summary>
    public PlasticSnnStepper(PlasticSnnSpec spec, SimdWidth width = SimdWidth.Auto)
    {
        spec.Validate();
        Spec = spec;
        Width = width;
        int h = spec.Hidden;
        _inputShape = LayerShape.Dense(spec.Inputs, h);
        _recurrentShape = LayerShape.Dense(h, h);
        _current = new float[h];
        _partial = new float[h];
        _rate = new float[h];
        _traceScratch = new float[TracePlasticity.UpdateScratchLength(h)];
    }

    /// <summary>The network this stepper steps.</summary>
    public PlasticSnnSpec Spec { get; }
    /// <summary>Vector path of the propagation and trace kernels (results are the same on every path).</summary>
    public SimdWidth Width { get; }

    /// <summary>
    /// Runs one step: input current through both layers' effective weights <c>W + alpha H</c>, LIF with soft reset,
    /// spikes, traces, the readout, then (plastic specs) the modulatory signal, the trace rules and BCM's threshold.
    /// </summary>
    /// <param name="p">The parameters.</param>
    /// <param name="input">This step's input (Inputs values).</param>
    /// <param name="state">Where the previous state is read and the new one written.</param>
    /// <param name="output">Written: the readout <c>tr . W_out + b_out</c> (Outputs values).</param>
    /// <param name="silenced">
    /// Activity-reset probe: wipe this step's membranes, spikes and traces after the neuron update (the plastic
    /// traces, eligibility and threshold are kept), so the readout and the rules see silence.
    /// </param>
    /// <returns>The modulatory signal M of this step (0 when not neuromodulated).</returns>
    public float Step(PlasticSnnParameters p, ReadOnlySpan<float> input, scoped in PlasticSnnStepBuffers state, Span<float> output, bool silenced = false)
    {
        var spec = Spec;
        int h = spec.Hidden, nOut = spec.Outputs;
        ReadOnlySpan<float> u = input[..spec.Inputs], trPrevious = state.TraceBefore[..h];
        Span<float> v = state.Membrane[..h], s = state.Spikes[..h], tr = state.Trace[..h];
        ReadOnlySpan<float> vPrevious = state.MembraneBefore[..h], sPrevious = state.SpikesBefore[..h];
        float beta = spec.MembraneDecay, lambda = spec.TraceDecay, threshold = spec.Threshold;
        // Input current: both layers with their effective weights, then the bias.
        Current(u, p.InputWeights, p.InputAlpha, spec.PlasticInput ? state.InputPlasticBefore : default, _inputShape, _current);
        Current(trPrevious, p.RecurrentWeights, p.RecurrentAlpha, spec.PlasticRecurrent ? state.RecurrentPlasticBefore : default, _recurrentShape, _partial);
        for (int j = 0; j < h; j++)
        {
            float current = _current[j] + _partial[j] + p.HiddenBias[j];
            v[j] = MathF.FusedMultiplyAdd(beta, vPrevious[j], (1f - beta) * current) - threshold * sPrevious[j];
            s[j] = Spike(v[j]);
            tr[j] = MathF.FusedMultiplyAdd(lambda, trPrevious[j], (1f - lambda) * s[j]);
        }
        if (silenced)
        {
            v.Clear();
            s.Clear();
            tr.Clear();
        }
        output = output[..nOut];
        p.OutputBias.CopyTo(output);
        for (int k = 0; k < h; k++)
        {
            float trace = tr[k];
            if (trace == 0f) continue;
            var row = p.OutputWeights.Slice(k * nOut, nOut);
            for (int o = 0; o < nOut; o++) output[o] = MathF.FusedMultiplyAdd(trace, row[o], output[o]);
        }
        if (!spec.Plastic) return 0f;
        float m = spec.Modulated ? MathF.Tanh(Dot(p.ModulationWeights, tr) + p.ModulationBias[0]) : 0f;
        var thetaPrevious = state.ThresholdBefore;
        if (spec.PlasticInput)
            UpdateLayer(u, tr, thetaPrevious, m, p.InputEta[0], p.ModulationFanOut, state.InputPlasticBefore, state.InputPlastic,
                state.InputEligibilityBefore, state.InputEligibility, _inputShape);
        if (spec.PlasticRecurrent)
            UpdateLayer(trPrevious, tr, thetaPrevious, m, p.RecurrentEta[0], p.ModulationFanOut, state.RecurrentPlasticBefore,
                state.RecurrentPlastic, state.RecurrentEligibilityBefore, state.RecurrentEligibility, _recurrentShape);
        if (spec.Rule == TraceRule.Bcm)
        {
            thetaPrevious[..h].CopyTo(state.Threshold);
            TracePlasticity.UpdateThreshold(state.Threshold[..h], tr, spec.BcmThresholdRate);
        }
        return m;
    }

    /// <summary>The spike function: the Heaviside step, or its smooth counterpart (finite-difference checks).</summary>
    public float Spike(float v)
    {
        float d = v - Spec.Threshold;
        if (Spec.Spikes == SpikeFunction.Heaviside) return d > 0f ? 1f : 0f;
        float z = Spec.SurrogateSlope * d;
        return 0.5f * (1f + z / (1f + MathF.Abs(z)));
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // Fixed order, one lane: the value feeds a tanh and every rule, so it must not depend on the vector width.
        float sum = 0f;
        for (int i = 0; i < a.Length; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    private void Current(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> output)
    {
        if (!trace.IsEmpty)
        {
            TracePlasticity.Propagate(pre, weights, alpha, trace, shape, output, Width);
            return;
        }
        output.Clear();
        for (int i = 0; i < shape.Rows; i++)
        {
            float x = pre[i];
            if (x == 0f) continue;
            var row = weights.Slice(i * shape.Stride, shape.Columns);
            for (int j = 0; j < row.Length; j++) output[j] = MathF.FusedMultiplyAdd(x, row[j], output[j]);
        }
    }

    /// <summary>Per-neuron learning rate of a layer this step: eta, or M f_j when neuromodulated (written to <paramref name="rate"/>).</summary>
    /// <param name="spec">The network (is it neuromodulated?).</param>
    /// <param name="m">This step's modulatory signal M.</param>
    /// <param name="eta">The layer's eta.</param>
    /// <param name="fanOut">The modulation fan-out f.</param>
    /// <param name="rate">Written: one rate per postsynaptic neuron.</param>
    public static void Rates(PlasticSnnSpec spec, float m, float eta, ReadOnlySpan<float> fanOut, Span<float> rate)
    {
        if (spec.Modulated) for (int j = 0; j < rate.Length; j++) rate[j] = m * fanOut[j];
        else rate.Fill(eta);
    }

    private void UpdateLayer(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> thetaPrevious, float m, float eta,
        ReadOnlySpan<float> fanOut, ReadOnlySpan<float> hPrevious, Span<float> h, ReadOnlySpan<float> ePrevious, Span<float> e, LayerShape shape)
    {
        hPrevious.CopyTo(h);
        if (!e.IsEmpty) ePrevious.CopyTo(e);
        Rates(Spec, m, eta, fanOut, _rate);
        TracePlasticity.Update(Spec.Rule, Spec.Modulation, shape, x, y, thetaPrevious, _rate, eta, h, e, _traceScratch, Width);
    }
}
