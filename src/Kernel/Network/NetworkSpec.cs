using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Neurons;

namespace PdlfFast.Kernel.Network;

/// <summary>Which neuron model and readout a two-layer network uses (docs/design.md, "Network and neuron model").</summary>
public enum NetworkVariant
{
    /// <summary>Plastic PDLF network: LIF with tau = e, threshold 0.1; linear readout; weights start at zero.</summary>
    Pdlf,
    /// <summary>Direct-weight baseline: LIF v &lt;- 0.5 v + 0.5 I, threshold 1; biases; tanh readout; weights evolved.</summary>
    DirectWeight,
}

/// <summary>
/// A two-layer spiking network: input -> <see cref="HiddenSize"/> LIF neurons -> output.
/// Layer 1 (<see cref="Input"/>) maps the normalised observation to the hidden layer, layer 2 (<see cref="Output"/>)
/// maps hidden spikes to the output. Immutable; equal specs describe the same storage, so states and parameters
/// built for equal specs fit each other.
/// </summary>
public sealed record NetworkSpec
{
    /// <summary>Largest size of any layer (65,536 neurons): keeps every storage length and genome index within int.</summary>
    public const int MaxLayerSize = 1 << 16;

    /// <summary>A network of the given sizes; the layer layouts are <see cref="LayerShape.Padded"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is outside 1..<see cref="MaxLayerSize"/>, or <paramref name="variant"/> is undefined.</exception>
    public NetworkSpec(int inputSize, int hiddenSize, int outputSize, NetworkVariant variant = NetworkVariant.Pdlf)
    {
        Check(inputSize, nameof(inputSize));
        Check(hiddenSize, nameof(hiddenSize));
        Check(outputSize, nameof(outputSize));
        if (!Enum.IsDefined(variant)) throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown network variant.");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        OutputSize = outputSize;
        Variant = variant;
        Input = LayerShape.Padded(inputSize, hiddenSize);
        Output = LayerShape.Padded(hiddenSize, outputSize);
    }

    /// <summary>Observation length (for locomotion: the normalised observation plus the appended task target).</summary>
    public int InputSize { get; }
    /// <summary>LIF neurons in the hidden layer (128 in the paper's networks).</summary>
    public int HiddenSize { get; }
    /// <summary>Action length.</summary>
    public int OutputSize { get; }
    /// <summary>Neuron model and readout.</summary>
    public NetworkVariant Variant { get; }

    /// <summary>Layer 1 storage: InputSize rows of HiddenSize synapses (padded).</summary>
    public LayerShape Input { get; }
    /// <summary>Layer 2 storage: HiddenSize rows of OutputSize synapses (padded).</summary>
    public LayerShape Output { get; }

    /// <summary>Real synapses of both layers (padding excluded): the per-parameter genome length of a PDLF rule.</summary>
    public int Synapses => Input.Synapses + Output.Synapses;

    /// <summary>The hidden layer's LIF constants for <see cref="Variant"/>.</summary>
    public LifParameters Neuron => Variant == NetworkVariant.Pdlf ? LifParameters.Pdlf : LifParameters.DirectWeight;

    /// <summary>Sizes and variant, e.g. <c>28-128-8 Pdlf</c>.</summary>
    public override string ToString() => $"{InputSize}-{HiddenSize}-{OutputSize} {Variant}";

    private static void Check(int size, string name)
    {
        if (size < 1 || size > MaxLayerSize)
            throw new ArgumentOutOfRangeException(name, size, $"{name} must be in 1..{MaxLayerSize}.");
    }
}
