using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.SpikePropamine;

/// <summary>
/// A SpikePropamine network for inference: the trained network stepped one input at a time, as a host runs it on its
/// own stream (docs/design.md, "SpikePropamine plastic layers"). Holds one episode's state (membranes, spikes, hidden
/// traces, plastic traces H, eligibility traces E, BCM thresholds) and steps it with the same
/// <see cref="PlasticSnnStepper"/> the BPTT tape of PdlfFast.Training uses, so its outputs are the tape's forward
/// outputs bit for bit. Allocates nothing per step; not thread-safe (one instance per thread or stream).
/// </summary>
public sealed class PlasticSnn
{
    private readonly PlasticSnnStepper _stepper;
    private readonly float[] _membrane, _spikes, _traceA, _traceB, _zeros;
    private readonly float[] _inputPlastic, _recurrentPlastic, _inputEligibility, _recurrentEligibility, _threshold;
    private readonly float[] _parameters;
    // Which of the two trace buffers holds the current trace: the step reads the old one while writing the new.
    private bool _traceInA = true;

    /// <summary>A network of <paramref name="spec"/> with <paramref name="parameters"/> (copied), at the episode start.</summary>
    /// <param name="spec">The architecture, rule and modulation the parameters were trained for.</param>
    /// <param name="parameters">The flat parameter vector, <see cref="PlasticSnnLayout.Length"/> floats (e.g. a checkpoint's).</param>
    /// <param name="width">Vector path of the kernels; results are the same on every path.</param>
    /// <exception cref="ArgumentException">The parameter vector does not fit the spec.</exception>
    public PlasticSnn(PlasticSnnSpec spec, ReadOnlySpan<float> parameters, SimdWidth width = SimdWidth.Auto)
    {
        Layout = new PlasticSnnLayout(spec);
        if (parameters.Length != Layout.Length)
            throw new ArgumentException($"Parameters have {parameters.Length} values; a {spec.Inputs}-{spec.Hidden}-{spec.Outputs} " +
                                        $"network of this spec has {Layout.Length}.", nameof(parameters));
        _parameters = parameters.ToArray();
        _stepper = new PlasticSnnStepper(spec, width);
        int i = spec.Inputs, h = spec.Hidden;
        bool retroactive = spec.Modulation == TraceModulation.Retroactive;
        _membrane = new float[h];
        _spikes = new float[h];
        _traceA = new float[h];
        _traceB = new float[h];
        _zeros = new float[h];
        _inputPlastic = spec.PlasticInput ? new float[i * h] : [];
        _recurrentPlastic = spec.PlasticRecurrent ? new float[h * h] : [];
        _inputEligibility = spec.PlasticInput && retroactive ? new float[i * h] : [];
        _recurrentEligibility = spec.PlasticRecurrent && retroactive ? new float[h * h] : [];
        _threshold = spec.Rule == TraceRule.Bcm ? new float[h] : [];
    }

    /// <summary>The network's architecture, rule and modulation.</summary>
    public PlasticSnnSpec Spec => Layout.Spec;
    /// <summary>How the parameter vector is laid out.</summary>
    public PlasticSnnLayout Layout { get; }
    /// <summary>The parameters this network runs (a copy of those given).</summary>
    public ReadOnlySpan<float> Parameters => _parameters;
    /// <summary>Steps since the last <see cref="Reset"/>.</summary>
    public int Steps { get; private set; }
    /// <summary>The modulatory signal M of the last step (0 when not neuromodulated).</summary>
    public float Modulation { get; private set; }
    /// <summary>Hidden membrane potentials after the last step.</summary>
    public ReadOnlySpan<float> Membrane => _membrane;
    /// <summary>Hidden spikes of the last step.</summary>
    public ReadOnlySpan<float> Spikes => _spikes;
    /// <summary>Hidden spike traces after the last step (what the readout sees).</summary>
    public ReadOnlySpan<float> Trace => _traceInA ? _traceA : _traceB;
    /// <summary>The input layer's plastic trace H_in (Inputs x Hidden, row = input); empty when that layer is not plastic.</summary>
    public ReadOnlySpan<float> InputPlasticTrace => _inputPlastic;
    /// <summary>The recurrent layer's plastic trace H_rec (Hidden x Hidden, row = presynaptic); empty when not plastic.</summary>
    public ReadOnlySpan<float> RecurrentPlasticTrace => _recurrentPlastic;

    /// <summary>
    /// Runs other parameters of the same spec (copied; e.g. an ES member) from a fresh episode: as
    /// <see cref="Reset"/> after construction with them, without allocating.
    /// </summary>
    /// <param name="parameters"><see cref="PlasticSnnLayout.Length"/> floats.</param>
    /// <exception cref="ArgumentException">The parameter vector does not fit the spec.</exception>
    public void Load(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != Layout.Length)
            throw new ArgumentException($"Parameters have {parameters.Length} values; this network has {Layout.Length}.", nameof(parameters));
        parameters.CopyTo(_parameters);
        Reset();
    }

    /// <summary>
    /// Wipes what the synapses learnt this episode: the plastic traces H and the eligibility traces E back to zero,
    /// leaving W, alpha, the neurons' activity and BCM's thresholds as they are (the temporary-injury probe).
    /// </summary>
    public void ClearPlasticTraces()
    {
        Array.Clear(_inputPlastic);
        Array.Clear(_recurrentPlastic);
        Array.Clear(_inputEligibility);
        Array.Clear(_recurrentEligibility);
    }

    /// <summary>Starts a new episode: all activity, plastic and eligibility traces and thresholds back to zero.</summary>
    public void Reset()
    {
        Array.Clear(_membrane);
        Array.Clear(_spikes);
        Array.Clear(_traceA);
        Array.Clear(_traceB);
        ClearPlasticTraces();
        Array.Clear(_threshold);
        _traceInA = true;
        Steps = 0;
        Modulation = 0f;
    }

    /// <summary>One step: reads <paramref name="input"/>, updates the state and the plastic traces, writes the readout.</summary>
    /// <param name="input">Spec.Inputs values.</param>
    /// <param name="output">Receives Spec.Outputs values.</param>
    /// <param name="silenced">
    /// Activity-reset probe: wipe this step's membranes, spikes and traces (the plastic traces are kept), as the
    /// training commands' probe does during the delay.
    /// </param>
    /// <exception cref="ArgumentException">A span is shorter than the spec asks.</exception>
    public void Step(ReadOnlySpan<float> input, Span<float> output, bool silenced = false)
    {
        if (input.Length < Spec.Inputs) throw new ArgumentException($"Input needs {Spec.Inputs} values (got {input.Length}).", nameof(input));
        if (output.Length < Spec.Outputs) throw new ArgumentException($"Output needs {Spec.Outputs} values (got {output.Length}).", nameof(output));
        float[] before = _traceInA ? _traceA : _traceB, after = _traceInA ? _traceB : _traceA;
        var buffers = new PlasticSnnStepBuffers
        {
            MembraneBefore = _membrane,
            SpikesBefore = _spikes,
            TraceBefore = before,
            Membrane = _membrane,
            Spikes = _spikes,
            Trace = after,
            InputPlasticBefore = _inputPlastic,
            InputPlastic = _inputPlastic,
            RecurrentPlasticBefore = _recurrentPlastic,
            RecurrentPlastic = _recurrentPlastic,
            InputEligibilityBefore = _inputEligibility,
            InputEligibility = _inputEligibility,
            RecurrentEligibilityBefore = _recurrentEligibility,
            RecurrentEligibility = _recurrentEligibility,
            ThresholdBefore = _threshold.Length > 0 ? _threshold : _zeros,
            Threshold = _threshold,
        };
        Modulation = _stepper.Step(new PlasticSnnParameters(Layout, _parameters), input, buffers, output, silenced);
        _traceInA = !_traceInA;
        Steps++;
    }
}
