using PdlfFast.Rules.SpikePropamine;

namespace PdlfFast.Training.Gradient;

/// <summary>How spikes are made: the Heaviside step (training; its gradient is the surrogate) or its smooth
/// counterpart whose exact derivative is that surrogate (finite-difference checks of the backward pass).</summary>
public enum SpikeFunction
{
    Heaviside,
    Smooth,
}

/// <summary>
/// A SpikePropamine network (docs/design.md, "SpikePropamine plastic layers"): inputs -> recurrent LIF hidden layer -> linear readout of the
/// hidden spike traces. The input and recurrent synapses are <c>W + alpha (.) H</c> with a plastic trace H following
/// <see cref="Rule"/> (x = presynaptic activity: the input, or the hidden trace one step earlier; y = the hidden
/// trace), made plastic per layer; the learning rate is a learned scalar eta per layer, or the modulatory signal
/// <c>M(t) = tanh(w_m . trace + b_m)</c> spread to each neuron by a learned fan-out vector.
/// <code>
/// I = u . (W_in + a_in H_in) + tr' . (W_rec + a_rec H_rec) + b      (tr' = previous hidden trace)
/// v = beta v' + (1 - beta) I - threshold s'                         (soft reset)
/// s = step(v - threshold)            surrogate ds/dv = 1 / (1 + k |v - threshold|)^2
/// tr = lambda tr' + (1 - lambda) s,   out = tr . W_out + b_out
/// </code>
/// </summary>
public sealed record PlasticSnnSpec(int Inputs, int Hidden, int Outputs, TraceRule Rule = TraceRule.Hebbian,
    TraceModulation Modulation = TraceModulation.None, bool PlasticInput = true, bool PlasticRecurrent = true)
{
    public float MembraneDecay { get; init; } = 0.9f;
    public float TraceDecay { get; init; } = 0.8f;
    public float Threshold { get; init; } = 1f;
    /// <summary>k of the fast-sigmoid surrogate: larger is closer to the step.</summary>
    public float SurrogateSlope { get; init; } = 5f;
    /// <summary>Rate of BCM's sliding threshold (running mean of y^2).</summary>
    public float BcmThresholdRate { get; init; } = 0.05f;
    public SpikeFunction Spikes { get; init; } = SpikeFunction.Heaviside;

    public bool Plastic => PlasticInput || PlasticRecurrent;
    public bool Modulated => Modulation != TraceModulation.None;

    public void Validate()
    {
        if (Inputs < 1 || Hidden < 1 || Outputs < 1 || Inputs > 1 << 16 || Hidden > 1 << 14 || Outputs > 1 << 16)
            throw new ArgumentOutOfRangeException(nameof(Hidden), $"Sizes {Inputs}-{Hidden}-{Outputs} out of range (inputs and outputs 1..65536, hidden 1..16384).");
        if (Modulation == TraceModulation.Retroactive && Rule != TraceRule.Hebbian)
            throw new ArgumentException("Retroactive modulation gates a Hebbian eligibility trace; use Rule = Hebbian.", nameof(Rule));
        if (!(MembraneDecay is >= 0 and < 1) || !(TraceDecay is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(MembraneDecay), "Membrane and trace decay must be in [0, 1).");
        if (!(Threshold > 0) || !(SurrogateSlope > 0) || !(BcmThresholdRate is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(Threshold), "Threshold and surrogate slope must be positive, the BCM rate in [0, 1].");
    }
}

/// <summary>Named parts of the flat parameter vector, each a contiguous range.</summary>
public enum PlasticSnnPart
{
    InputWeights, InputAlpha, RecurrentWeights, RecurrentAlpha, HiddenBias, OutputWeights, OutputBias,
    InputEta, RecurrentEta, ModulationWeights, ModulationBias, ModulationFanOut,
}

/// <summary>Offsets of the parts of a <see cref="PlasticSnnSpec"/>'s parameter vector (all parts always present).</summary>
public sealed class PlasticSnnLayout
{
    private readonly (int Offset, int Length)[] _parts;

    public PlasticSnnLayout(PlasticSnnSpec spec)
    {
        spec.Validate();
        Spec = spec;
        int i = spec.Inputs, h = spec.Hidden, o = spec.Outputs;
        int[] lengths = [i * h, i * h, h * h, h * h, h, h * o, o, 1, 1, h, 1, h];
        _parts = new (int, int)[lengths.Length];
        int offset = 0;
        for (int p = 0; p < lengths.Length; p++)
        {
            _parts[p] = (offset, lengths[p]);
            offset += lengths[p];
        }
        Length = offset;
    }

    public PlasticSnnSpec Spec { get; }
    public int Length { get; }

    public (int Offset, int Length) this[PlasticSnnPart part] => _parts[(int)part];

    public Span<float> Of(Span<float> parameters, PlasticSnnPart part) => parameters.Slice(_parts[(int)part].Offset, _parts[(int)part].Length);

    public ReadOnlySpan<float> Of(ReadOnlySpan<float> parameters, PlasticSnnPart part) =>
        parameters.Slice(_parts[(int)part].Offset, _parts[(int)part].Length);

    /// <summary>Whether a part affects the output under this spec (others get zero gradient and may stay frozen).</summary>
    public bool Used(PlasticSnnPart part) => part switch
    {
        PlasticSnnPart.InputAlpha => Spec.PlasticInput,
        PlasticSnnPart.RecurrentAlpha => Spec.PlasticRecurrent,
        PlasticSnnPart.InputEta => Spec.PlasticInput && (!Spec.Modulated || Spec.Modulation == TraceModulation.Retroactive),
        PlasticSnnPart.RecurrentEta => Spec.PlasticRecurrent && (!Spec.Modulated || Spec.Modulation == TraceModulation.Retroactive),
        PlasticSnnPart.ModulationWeights or PlasticSnnPart.ModulationBias or PlasticSnnPart.ModulationFanOut => Spec.Plastic && Spec.Modulated,
        _ => true,
    };

    /// <summary>A reasonable start: weights ~ N(0, 1/fan-in) scaled, alpha 0.1, eta 0.1, fan-out 1.</summary>
    public float[] Initial(ulong seed)
    {
        var parameters = new float[Length];
        Span<float> p = parameters;
        var random = new Kernel.Random.RandomStream(seed, new Kernel.Random.StreamId(0, 0, 0, 61));
        random.FillGaussian(Of(p, PlasticSnnPart.InputWeights), 0f, 1.5f / MathF.Sqrt(Spec.Inputs));
        random.FillGaussian(Of(p, PlasticSnnPart.RecurrentWeights), 0f, 0.5f / MathF.Sqrt(Spec.Hidden));
        random.FillGaussian(Of(p, PlasticSnnPart.OutputWeights), 0f, 1f / MathF.Sqrt(Spec.Hidden));
        random.FillGaussian(Of(p, PlasticSnnPart.ModulationWeights), 0f, 1f / MathF.Sqrt(Spec.Hidden));
        if (Spec.PlasticInput) Of(p, PlasticSnnPart.InputAlpha).Fill(0.1f);
        if (Spec.PlasticRecurrent) Of(p, PlasticSnnPart.RecurrentAlpha).Fill(0.1f);
        Of(p, PlasticSnnPart.InputEta)[0] = 0.1f;
        Of(p, PlasticSnnPart.RecurrentEta)[0] = 0.1f;
        Of(p, PlasticSnnPart.ModulationFanOut).Fill(1f);
        return parameters;
    }
}
