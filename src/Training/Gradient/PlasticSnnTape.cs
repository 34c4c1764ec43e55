using System.Numerics.Tensors;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.SpikePropamine;

namespace PdlfFast.Training.Gradient;

/// <summary>
/// Forward and backward pass of a <see cref="PlasticSnnSpec"/> network over one episode, written by hand for our
/// kernels. The forward pass records everything the backward pass needs (membranes, spikes, traces, every step's
/// plastic traces H and, as the rules require, eligibility traces and BCM thresholds) in buffers allocated once for
/// <see cref="MaxSteps"/>; neither pass allocates. Gradients are accumulated (+=) into the caller's vector, so a
/// minibatch sums its episodes into one buffer per worker.
/// </summary>
/// <remarks>
/// One tape per thread (it holds one episode's state; not thread-safe). The constructor allocates the tape: the
/// plastic traces H of every step, (MaxSteps + 1) x Inputs x Hidden floats for a plastic input layer and
/// (MaxSteps + 1) x Hidden x Hidden for a plastic recurrent layer (twice that with retroactive modulation's
/// eligibility traces), plus each step's activity. <see cref="SimdWidth.Scalar"/> selects the scalar twins of the kernels (the
/// bench's baseline); the forward pass gives the same bits at every width (docs/design.md, "Vector paths and
/// determinism").
/// </remarks>
public sealed class PlasticSnnTape
{
    private readonly PlasticSnnLayout _layout;
    private readonly LayerShape _inputShape, _recurrentShape;
    private readonly float[] _u, _v, _s, _tr, _hIn, _hRec, _eIn, _eRec, _theta, _modulation;
    // Per-step scratch (one row each).
    private readonly float[] _rate, _zeros;
    private readonly PlasticSnnStepper _stepper;
    private readonly TraceLayerGradient _traceLayer;
    // Backward adjoints.
    private readonly float[] _gTr, _gHIn, _gHRec, _gEIn, _gERec, _gTheta, _gThetaPrevious, _gV, _gS, _gI, _gRate, _xg, _effective;

    /// <summary>A tape for episodes of up to <paramref name="maxSteps"/> steps of <paramref name="spec"/>'s network.</summary>
    /// <param name="spec">The network (validated here).</param>
    /// <param name="maxSteps">The longest episode the tape records, at least 1.</param>
    /// <param name="width">Vector width of the kernels; <see cref="SimdWidth.Auto"/> picks the widest the CPU accelerates.</param>
    public PlasticSnnTape(PlasticSnnSpec spec, int maxSteps, SimdWidth width = SimdWidth.Auto)
    {
        Width = width;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        _layout = new PlasticSnnLayout(spec);
        Spec = spec;
        MaxSteps = maxSteps;
        int i = spec.Inputs, h = spec.Hidden;
        _inputShape = LayerShape.Dense(i, h);
        _recurrentShape = LayerShape.Dense(h, h);
        bool retro = spec.Modulation == TraceModulation.Retroactive;
        _u = new float[maxSteps * i];
        _v = new float[maxSteps * h];
        _s = new float[maxSteps * h];
        _tr = new float[(maxSteps + 1) * h];
        _hIn = spec.PlasticInput ? new float[(maxSteps + 1) * i * h] : [];
        _hRec = spec.PlasticRecurrent ? new float[(maxSteps + 1) * h * h] : [];
        _eIn = spec.PlasticInput && retro ? new float[(maxSteps + 1) * i * h] : [];
        _eRec = spec.PlasticRecurrent && retro ? new float[(maxSteps + 1) * h * h] : [];
        _theta = spec.Rule == TraceRule.Bcm ? new float[(maxSteps + 1) * h] : [];
        _modulation = new float[maxSteps];
        _stepper = new PlasticSnnStepper(spec, width);
        _rate = new float[h];
        _zeros = new float[h];
        _traceLayer = new TraceLayerGradient(h, width);
        _gTr = new float[(maxSteps + 1) * h];
        _gHIn = new float[_hIn.Length > 0 ? i * h : 0];
        _gHRec = new float[_hRec.Length > 0 ? h * h : 0];
        _gEIn = new float[_eIn.Length > 0 ? i * h : 0];
        _gERec = new float[_eRec.Length > 0 ? h * h : 0];
        _gTheta = new float[h];
        _gThetaPrevious = new float[h];
        _gV = new float[h];
        _gS = new float[h];
        _gI = new float[h];
        _gRate = new float[h];
        _xg = new float[h];
        _effective = new float[h];
    }

    /// <summary>The network the tape runs.</summary>
    public PlasticSnnSpec Spec { get; }
    /// <summary>Vector width of the forward kernels (Scalar: the scalar twins, for the bench's baseline).</summary>
    public SimdWidth Width { get; }
    /// <summary>The layout of the parameter vectors <see cref="Forward"/> and <see cref="Backward"/> take.</summary>
    public PlasticSnnLayout Layout => _layout;
    /// <summary>The longest episode the tape can record.</summary>
    public int MaxSteps { get; }
    /// <summary>Steps of the last forward pass.</summary>
    public int Steps { get; private set; }
    private (int Start, int End) _silence;

    /// <summary>Hidden spikes of step t (for tests and plots).</summary>
    public ReadOnlySpan<float> SpikesAt(int t) => _s.AsSpan(t * Spec.Hidden, Spec.Hidden);
    /// <summary>Hidden traces after step t.</summary>
    public ReadOnlySpan<float> TraceAt(int t) => _tr.AsSpan((t + 1) * Spec.Hidden, Spec.Hidden);
    /// <summary>The recurrent plastic trace H after step t (empty when the recurrent layer is not plastic).</summary>
    public ReadOnlySpan<float> RecurrentPlasticTraceAt(int t) =>
        _hRec.Length == 0 ? default : _hRec.AsSpan((t + 1) * Spec.Hidden * Spec.Hidden, Spec.Hidden * Spec.Hidden);

    /// <summary>
    /// Runs <paramref name="steps"/> steps on <paramref name="inputs"/> (steps x Inputs, row-major) from the episode
    /// start (all state and plastic traces zero) and writes the readout (steps x Outputs).
    /// </summary>
    /// <param name="parameters">The network's parameters (<see cref="PlasticSnnLayout.Length"/> floats).</param>
    /// <param name="inputs">At least steps x Inputs floats, row-major by step.</param>
    /// <param name="steps">Steps to run, 1 .. <see cref="MaxSteps"/>.</param>
    /// <param name="outputs">Receives steps x Outputs floats, row-major by step.</param>
    /// <param name="silence">
    /// Activity-reset probe: in steps Start..End-1 every membrane, spike and spike trace is zeroed after the step
    /// (the plastic traces H, E and the BCM threshold are kept), so only what the synapses hold survives. The wiped
    /// values pass no gradient back: training through the probe teaches the network to keep its memory in synapses.
    /// </param>
    public void Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int steps, Span<float> outputs, (int Start, int End) silence = default)
    {
        CheckEpisode(parameters, inputs, steps, outputs.Length);
        Steps = steps;
        _silence = silence;
        var spec = Spec;
        int nIn = spec.Inputs, h = spec.Hidden, nOut = spec.Outputs;
        inputs[..(steps * nIn)].CopyTo(_u);
        _tr.AsSpan(0, h).Clear();
        if (_hIn.Length > 0) _hIn.AsSpan(0, nIn * h).Clear();
        if (_hRec.Length > 0) _hRec.AsSpan(0, h * h).Clear();
        if (_eIn.Length > 0) _eIn.AsSpan(0, nIn * h).Clear();
        if (_eRec.Length > 0) _eRec.AsSpan(0, h * h).Clear();
        if (_theta.Length > 0) _theta.AsSpan(0, h).Clear();
        var p = new PlasticSnnParameters(_layout, parameters);
        bool bcm = _theta.Length > 0;
        for (int t = 0; t < steps; t++)
        {
            // The step itself is the inference network's (PlasticSnnStepper): this tape only keeps every row.
            var rows = new PlasticSnnStepBuffers
            {
                MembraneBefore = t > 0 ? _v.AsSpan((t - 1) * h, h) : _zeros,
                SpikesBefore = t > 0 ? _s.AsSpan((t - 1) * h, h) : _zeros,
                TraceBefore = _tr.AsSpan(t * h, h),
                Membrane = _v.AsSpan(t * h, h),
                Spikes = _s.AsSpan(t * h, h),
                Trace = _tr.AsSpan((t + 1) * h, h),
                InputPlasticBefore = spec.PlasticInput ? HIn(t) : default,
                InputPlastic = spec.PlasticInput ? HIn(t + 1) : default,
                RecurrentPlasticBefore = spec.PlasticRecurrent ? HRec(t) : default,
                RecurrentPlastic = spec.PlasticRecurrent ? HRec(t + 1) : default,
                InputEligibilityBefore = EIn(t),
                InputEligibility = EIn(t + 1),
                RecurrentEligibilityBefore = ERec(t),
                RecurrentEligibility = ERec(t + 1),
                ThresholdBefore = bcm ? _theta.AsSpan(t * h, h) : _zeros,
                Threshold = bcm ? _theta.AsSpan((t + 1) * h, h) : default,
            };
            float m = _stepper.Step(p, _u.AsSpan(t * nIn, nIn), rows, outputs.Slice(t * nOut, nOut), t >= silence.Start && t < silence.End);
            if (spec.Modulated) _modulation[t] = m;
        }
    }

    /// <summary>ds/dv: exact for the smooth spike, the surrogate for the step.</summary>
    private float SpikeSlope(float v)
    {
        float k = Spec.SurrogateSlope, a = 1f + k * MathF.Abs(v - Spec.Threshold);
        return 0.5f * k / (a * a);
    }

    private Span<float> HIn(int t) => _hIn.AsSpan(t * _inputShape.Synapses, _inputShape.Synapses);
    private Span<float> HRec(int t) => _hRec.AsSpan(t * _recurrentShape.Synapses, _recurrentShape.Synapses);
    private Span<float> EIn(int t) => _eIn.Length == 0 ? default : _eIn.AsSpan(t * _inputShape.Synapses, _inputShape.Synapses);
    private Span<float> ERec(int t) => _eRec.Length == 0 ? default : _eRec.AsSpan(t * _recurrentShape.Synapses, _recurrentShape.Synapses);

    /// <summary>
    /// Backpropagates <paramref name="outputGradient"/> (dLoss/dOutput, steps x Outputs) through the last forward
    /// pass and adds dLoss/dParameters to <paramref name="gradient"/>.
    /// </summary>
    /// <param name="parameters">The parameters the last <see cref="Forward"/> ran with.</param>
    /// <param name="outputGradient">dLoss/dOutputs, at least steps x Outputs floats.</param>
    /// <param name="gradient">Accumulates (+=) dLoss/dParameters; <see cref="PlasticSnnLayout.Length"/> floats.</param>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    public void Backward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> outputGradient, Span<float> gradient)
    {
        var spec = Spec;
        int steps = Steps, nIn = spec.Inputs, h = spec.Hidden, nOut = spec.Outputs;
        if (steps == 0) throw new InvalidOperationException("Run Forward before Backward.");
        if (outputGradient.Length < steps * nOut) throw new ArgumentException($"Output gradient needs {steps * nOut} values.", nameof(outputGradient));
        if (gradient.Length != _layout.Length) throw new ArgumentException($"Gradient has {gradient.Length} values; the network has {_layout.Length}.", nameof(gradient));
        var p = new PlasticSnnParameters(_layout, parameters);
        var g = new GradientParts(_layout, gradient);
        _gTr.AsSpan(0, (steps + 1) * h).Clear();
        _gHIn.AsSpan().Clear();
        _gHRec.AsSpan().Clear();
        _gEIn.AsSpan().Clear();
        _gERec.AsSpan().Clear();
        _gTheta.AsSpan().Clear();
        _gV.AsSpan().Clear(); // holds beta * dL/dv(t+1) while stepping back
        _gS.AsSpan().Clear(); // holds -threshold * dL/dv(t+1)
        float beta = spec.MembraneDecay, lambda = spec.TraceDecay, threshold = spec.Threshold;
        for (int t = steps - 1; t >= 0; t--)
        {
            ReadOnlySpan<float> u = _u.AsSpan(t * nIn, nIn), trPrevious = _tr.AsSpan(t * h, h), tr = _tr.AsSpan((t + 1) * h, h);
            Span<float> gTr = _gTr.AsSpan((t + 1) * h, h), gTrPrevious = _gTr.AsSpan(t * h, h);
            // (a) Readout.
            var gOut = outputGradient.Slice(t * nOut, nOut);
            for (int o = 0; o < nOut; o++) g.OutputBias[o] += gOut[o];
            for (int k = 0; k < h; k++)
            {
                var row = p.OutputWeights.Slice(k * nOut, nOut);
                var gRow = g.OutputWeights.Slice(k * nOut, nOut);
                float sum = 0f;
                for (int o = 0; o < nOut; o++)
                {
                    sum = MathF.FusedMultiplyAdd(row[o], gOut[o], sum);
                    gRow[o] = MathF.FusedMultiplyAdd(tr[k], gOut[o], gRow[o]);
                }
                gTr[k] += sum;
            }
            // (b) Plasticity of this step (H(t) -> H(t+1)) and the BCM threshold.
            if (spec.Plastic)
            {
                float m = spec.Modulated ? _modulation[t] : 0f, gM = 0f;
                ReadOnlySpan<float> thetaPrevious = _theta.Length > 0 ? _theta.AsSpan(t * h, h) : _zeros;
                if (_theta.Length > 0)
                {
                    float rate = spec.BcmThresholdRate;
                    for (int j = 0; j < h; j++)
                    {
                        gTr[j] += _gTheta[j] * 2f * rate * tr[j];
                        _gThetaPrevious[j] = _gTheta[j] * (1f - rate);
                    }
                }
                if (spec.PlasticInput)
                    gM += BackLayer(u, tr, thetaPrevious, m, p.InputEta[0], p.ModulationFanOut, HIn(t), EIn(t), _gHIn, _gEIn, _inputShape,
                        gTr, default, ref g.InputEta[0], g.ModulationFanOut);
                if (spec.PlasticRecurrent)
                    gM += BackLayer(trPrevious, tr, thetaPrevious, m, p.RecurrentEta[0], p.ModulationFanOut, HRec(t), ERec(t), _gHRec, _gERec,
                        _recurrentShape, gTr, gTrPrevious, ref g.RecurrentEta[0], g.ModulationFanOut);
                if (_theta.Length > 0) _gThetaPrevious.CopyTo(_gTheta, 0);
                // (c) Modulation M = tanh(w . tr + b).
                if (spec.Modulated)
                {
                    float ga = gM * (1f - m * m);
                    g.ModulationBias[0] += ga;
                    for (int k = 0; k < h; k++)
                    {
                        g.ModulationWeights[k] = MathF.FusedMultiplyAdd(ga, tr[k], g.ModulationWeights[k]);
                        gTr[k] = MathF.FusedMultiplyAdd(ga, p.ModulationWeights[k], gTr[k]);
                    }
                }
            }
            // (d)-(f) Trace, spike, membrane. A silenced step's activity was overwritten with zeros: nothing flows
            // back through it to the membrane, input current or earlier steps.
            if (t >= _silence.Start && t < _silence.End)
            {
                _gI.AsSpan(0, h).Clear();
                _gV.AsSpan(0, h).Clear();
                _gS.AsSpan(0, h).Clear();
                continue;
            }
            for (int j = 0; j < h; j++)
            {
                gTrPrevious[j] = MathF.FusedMultiplyAdd(lambda, gTr[j], gTrPrevious[j]);
                float gS = _gS[j] + (1f - lambda) * gTr[j];
                float gV = _gV[j] + gS * SpikeSlope(_v[t * h + j]);
                _gI[j] = (1f - beta) * gV;
                _gV[j] = beta * gV;
                _gS[j] = -threshold * gV;
                g.HiddenBias[j] += _gI[j];
            }
            // (g) Input current: weights, alpha, the plastic traces H(t) and the previous hidden trace.
            BackCurrent(u, p.InputWeights, p.InputAlpha, spec.PlasticInput ? HIn(t) : default, _inputShape, g.InputWeights, g.InputAlpha, _gHIn, default);
            BackCurrent(trPrevious, p.RecurrentWeights, p.RecurrentAlpha, spec.PlasticRecurrent ? HRec(t) : default, _recurrentShape,
                g.RecurrentWeights, g.RecurrentAlpha, _gHRec, gTrPrevious);
        }
    }

    /// <summary>
    /// Backward of one layer's trace update at a step (see <see cref="TraceLayerGradient"/>), then of its rate:
    /// eta, or M f_j. Returns dL/dM contributed by this layer.
    /// </summary>
    private float BackLayer(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> thetaPrevious, float m, float eta,
        ReadOnlySpan<float> fanOut, ReadOnlySpan<float> hPrevious, ReadOnlySpan<float> ePrevious, Span<float> gH, Span<float> gE,
        LayerShape shape, Span<float> gy, Span<float> gx, ref float gEta, Span<float> gFanOut)
    {
        PlasticSnnStepper.Rates(Spec, m, eta, fanOut, _rate);
        _gRate.AsSpan().Clear();
        _traceLayer.Backward(Spec.Rule, Spec.Modulation, shape, x, y, thetaPrevious, _rate, eta, hPrevious, ePrevious, gH, gE, gx, gy,
            _gThetaPrevious, _gRate, ref gEta);
        float gM = 0f;
        for (int j = 0; j < shape.Columns; j++)
        {
            if (Spec.Modulated)
            {
                gM = MathF.FusedMultiplyAdd(_gRate[j], fanOut[j], gM);
                gFanOut[j] = MathF.FusedMultiplyAdd(_gRate[j], m, gFanOut[j]);
            }
            else gEta += _gRate[j];
        }
        return gM;
    }

    /// <summary>Backward of <c>I += pre . (W + alpha H)</c> with dL/dI in _gI.</summary>
    private void BackCurrent(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> gWeights, Span<float> gAlpha, Span<float> gTrace, Span<float> gPre)
    {
        if (Width == SimdWidth.Scalar)
        {
            BackCurrentScalar(pre, weights, alpha, trace, shape, gWeights, gAlpha, gTrace, gPre);
            return;
        }
        int rows = shape.Rows, columns = shape.Columns;
        bool plastic = !trace.IsEmpty;
        ReadOnlySpan<float> gI = _gI.AsSpan(0, columns);
        Span<float> xg = _xg.AsSpan(0, columns), effective = _effective.AsSpan(0, columns);
        for (int i = 0; i < rows; i++)
        {
            int row = i * columns;
            float x = pre[i];
            if (x != 0f)
            {
                // Row-wise, vectorised by TensorPrimitives: gW += x gI; gAlpha += (x gI) H; gH += (x gI) alpha.
                TensorPrimitives.Multiply(gI, x, xg);
                TensorPrimitives.Add(gWeights.Slice(row, columns), xg, gWeights.Slice(row, columns));
                if (plastic)
                {
                    TensorPrimitives.FusedMultiplyAdd(xg, trace.Slice(row, columns), gAlpha.Slice(row, columns), gAlpha.Slice(row, columns));
                    TensorPrimitives.FusedMultiplyAdd(xg, alpha.Slice(row, columns), gTrace.Slice(row, columns), gTrace.Slice(row, columns));
                }
            }
            if (gPre.IsEmpty) continue;
            // dL/dpre[i] = gI . (W + alpha H) over the row.
            // Fixed-order sums: the gradient must not depend on the vector width.
            if (plastic)
            {
                TensorPrimitives.FusedMultiplyAdd(alpha.Slice(row, columns), trace.Slice(row, columns), weights.Slice(row, columns), effective);
                gPre[i] += FixedOrderDot.Dot(gI, effective, Width);
            }
            else gPre[i] += FixedOrderDot.Dot(gI, weights.Slice(row, columns), Width);
        }
    }

    /// <summary>Scalar twin of <see cref="BackCurrent"/> (bench baseline and test reference).</summary>
    private void BackCurrentScalar(ReadOnlySpan<float> pre, ReadOnlySpan<float> weights, ReadOnlySpan<float> alpha, ReadOnlySpan<float> trace,
        LayerShape shape, Span<float> gWeights, Span<float> gAlpha, Span<float> gTrace, Span<float> gPre)
    {
        int rows = shape.Rows, columns = shape.Columns;
        bool plastic = !trace.IsEmpty;
        Span<float> effective = _effective.AsSpan(0, columns);
        for (int i = 0; i < rows; i++)
        {
            float x = pre[i];
            for (int j = 0; j < columns; j++)
            {
                int s = i * columns + j;
                float gi = _gI[j], xg = x * gi;
                gWeights[s] += xg;
                if (plastic)
                {
                    gAlpha[s] = MathF.FusedMultiplyAdd(xg, trace[s], gAlpha[s]);
                    gTrace[s] = MathF.FusedMultiplyAdd(xg, alpha[s], gTrace[s]);
                }
                effective[j] = plastic ? MathF.FusedMultiplyAdd(alpha[s], trace[s], weights[s]) : weights[s];
            }
            if (!gPre.IsEmpty) gPre[i] += FixedOrderDot.DotScalar(_gI.AsSpan(0, columns), effective);
        }
    }

    private void CheckEpisode(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int steps, int outputLength)
    {
        if (parameters.Length != _layout.Length)
            throw new ArgumentException($"Parameters have {parameters.Length} values; the network has {_layout.Length}.", nameof(parameters));
        if (steps < 1 || steps > MaxSteps) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Steps must be in 1..{MaxSteps}.");
        if (inputs.Length < steps * Spec.Inputs) throw new ArgumentException($"Inputs need {steps * Spec.Inputs} values.", nameof(inputs));
        if (outputLength < steps * Spec.Outputs) throw new ArgumentException($"Outputs need {steps * Spec.Outputs} values.");
    }

    private readonly ref struct GradientParts(PlasticSnnLayout layout, Span<float> p)
    {
        public readonly Span<float> InputWeights = layout.Of(p, PlasticSnnPart.InputWeights);
        public readonly Span<float> InputAlpha = layout.Of(p, PlasticSnnPart.InputAlpha);
        public readonly Span<float> RecurrentWeights = layout.Of(p, PlasticSnnPart.RecurrentWeights);
        public readonly Span<float> RecurrentAlpha = layout.Of(p, PlasticSnnPart.RecurrentAlpha);
        public readonly Span<float> HiddenBias = layout.Of(p, PlasticSnnPart.HiddenBias);
        public readonly Span<float> OutputWeights = layout.Of(p, PlasticSnnPart.OutputWeights);
        public readonly Span<float> OutputBias = layout.Of(p, PlasticSnnPart.OutputBias);
        public readonly Span<float> InputEta = layout.Of(p, PlasticSnnPart.InputEta);
        public readonly Span<float> RecurrentEta = layout.Of(p, PlasticSnnPart.RecurrentEta);
        public readonly Span<float> ModulationWeights = layout.Of(p, PlasticSnnPart.ModulationWeights);
        public readonly Span<float> ModulationBias = layout.Of(p, PlasticSnnPart.ModulationBias);
        public readonly Span<float> ModulationFanOut = layout.Of(p, PlasticSnnPart.ModulationFanOut);
    }
}
