namespace PdlfFast.Rules.SpikePropamine;

/// <summary>How spikes are made: the Heaviside step (training; its gradient is the surrogate) or its smooth
/// counterpart whose exact derivative is that surrogate (finite-difference checks of the backward pass).</summary>
public enum SpikeFunction
{
    /// <summary><c>s = 1 if v &gt; threshold, else 0</c>; the backward pass uses the fast-sigmoid surrogate slope. For training.</summary>
    Heaviside,
    /// <summary>
    /// <c>s = (1 + z / (1 + |z|)) / 2</c> with <c>z = k (v - threshold)</c>, whose exact derivative is the surrogate; so
    /// finite differences can check the backward pass. For tests.
    /// </summary>
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
/// s = step(v - threshold)            surrogate ds/dv = (k / 2) / (1 + k |v - threshold|)^2
/// tr = lambda tr' + (1 - lambda) s,   out = tr . W_out + b_out
/// </code>
/// beta is <see cref="MembraneDecay"/>, lambda <see cref="TraceDecay"/>, k <see cref="SurrogateSlope"/>. Every
/// episode starts with all state and plastic traces at zero.
/// </summary>
/// <param name="Inputs">Input channels u per step, 1 .. 65536.</param>
/// <param name="Hidden">Recurrent LIF neurons, 1 .. 16384.</param>
/// <param name="Outputs">Linear readouts per step, 1 .. 65536.</param>
/// <param name="Rule">The plasticity rule of H (Hebbian, Oja, BCM); retroactive modulation requires Hebbian.</param>
/// <param name="Modulation">What sets the rule's rate: a learned eta, the modulatory signal M(t), or M(t) gating an eligibility trace.</param>
/// <param name="PlasticInput">Whether the input synapses have a plastic trace (else plain weights W_in).</param>
/// <param name="PlasticRecurrent">Whether the recurrent synapses have a plastic trace (else plain weights W_rec).</param>
public sealed record PlasticSnnSpec(int Inputs, int Hidden, int Outputs, TraceRule Rule = TraceRule.Hebbian,
    TraceModulation Modulation = TraceModulation.None, bool PlasticInput = true, bool PlasticRecurrent = true)
{
    /// <summary>beta, the membrane's decay per step, in [0, 1).</summary>
    public float MembraneDecay { get; init; } = 0.9f;
    /// <summary>lambda, the spike trace's decay per step, in [0, 1).</summary>
    public float TraceDecay { get; init; } = 0.8f;
    /// <summary>The firing threshold (positive); a spike subtracts it from the membrane (soft reset).</summary>
    public float Threshold { get; init; } = 1f;
    /// <summary>k of the fast-sigmoid surrogate: larger is closer to the step.</summary>
    public float SurrogateSlope { get; init; } = 5f;
    /// <summary>Rate of BCM's sliding threshold (running mean of y^2).</summary>
    public float BcmThresholdRate { get; init; } = 0.05f;
    /// <summary>How spikes are made: the step (training, the default) or its smooth twin (gradient checks).</summary>
    public SpikeFunction Spikes { get; init; } = SpikeFunction.Heaviside;

    /// <summary>Whether any layer is plastic.</summary>
    public bool Plastic => PlasticInput || PlasticRecurrent;
    /// <summary>Whether the modulatory signal M(t) drives plasticity (neuromodulated or retroactive).</summary>
    public bool Modulated => Modulation != TraceModulation.None;

    /// <summary>Throws <see cref="ArgumentException"/> or <see cref="ArgumentOutOfRangeException"/> for sizes or settings out of range.</summary>
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

/// <summary>
/// Named parts of the flat parameter vector, each a contiguous range, in this order. Matrices are row-major
/// presynaptic x postsynaptic. Every part is present whatever the spec; parts a spec does not use
/// (<see cref="PlasticSnnLayout.Used"/>) get zero gradient.
/// </summary>
public enum PlasticSnnPart
{
    /// <summary>W_in: Inputs x Hidden.</summary>
    InputWeights,
    /// <summary>alpha_in, plasticity coefficients of the input synapses: Inputs x Hidden.</summary>
    InputAlpha,
    /// <summary>W_rec: Hidden x Hidden (previous hidden trace to hidden current).</summary>
    RecurrentWeights,
    /// <summary>alpha_rec, plasticity coefficients of the recurrent synapses: Hidden x Hidden.</summary>
    RecurrentAlpha,
    /// <summary>b, the hidden layer's bias: Hidden.</summary>
    HiddenBias,
    /// <summary>W_out, the readout of the hidden traces: Hidden x Outputs.</summary>
    OutputWeights,
    /// <summary>b_out: Outputs.</summary>
    OutputBias,
    /// <summary>eta of the input layer's rule (or of its eligibility trace when retroactive): 1 value.</summary>
    InputEta,
    /// <summary>eta of the recurrent layer's rule (or of its eligibility trace when retroactive): 1 value.</summary>
    RecurrentEta,
    /// <summary>w_m of <c>M(t) = tanh(w_m . trace + b_m)</c>: Hidden.</summary>
    ModulationWeights,
    /// <summary>b_m: 1 value.</summary>
    ModulationBias,
    /// <summary>The fan-out spreading M(t) to each postsynaptic neuron: Hidden.</summary>
    ModulationFanOut,
}

/// <summary>Offsets of the parts of a <see cref="PlasticSnnSpec"/>'s parameter vector (all parts always present).</summary>
/// <remarks>Immutable after construction and thread-safe; the accessors allocate nothing.</remarks>
public sealed class PlasticSnnLayout
{
    private readonly (int Offset, int Length)[] _parts;

    /// <summary>The layout of <paramref name="spec"/>'s parameters (the spec is validated here).</summary>
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

    /// <summary>The network the layout describes.</summary>
    public PlasticSnnSpec Spec { get; }
    /// <summary>Floats in the whole parameter vector (the sum of all parts).</summary>
    public int Length { get; }

    /// <summary>Where <paramref name="part"/> lies in the parameter vector.</summary>
    public (int Offset, int Length) this[PlasticSnnPart part] => _parts[(int)part];

    /// <summary>The slice of <paramref name="parameters"/> (a vector of <see cref="Length"/> floats) holding <paramref name="part"/>.</summary>
    public Span<float> Of(Span<float> parameters, PlasticSnnPart part) => parameters.Slice(_parts[(int)part].Offset, _parts[(int)part].Length);

    /// <summary>The slice of <paramref name="parameters"/> (a vector of <see cref="Length"/> floats) holding <paramref name="part"/>.</summary>
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

    /// <summary>
    /// A reasonable start, a pure function of <paramref name="seed"/>: weights ~ N(0, (c / sqrt(fan-in))^2) with
    /// c = 1.5 (input), 0.5 (recurrent), 1 (output, modulation); alpha 0.1 where plastic, eta 0.1, fan-out 1, biases 0.
    /// Allocates the returned vector.
    /// </summary>
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
