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
/// maps hidden spikes to the output.
/// </summary>
public sealed record NetworkSpec
{
    public const int MaxLayerSize = 1 << 16;

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

    public int InputSize { get; }
    public int HiddenSize { get; }
    public int OutputSize { get; }
    public NetworkVariant Variant { get; }

    /// <summary>Layer 1 storage: InputSize rows of HiddenSize synapses (padded).</summary>
    public LayerShape Input { get; }
    /// <summary>Layer 2 storage: HiddenSize rows of OutputSize synapses (padded).</summary>
    public LayerShape Output { get; }

    public int Synapses => Input.Synapses + Output.Synapses;

    public LifParameters Neuron => Variant == NetworkVariant.Pdlf ? LifParameters.Pdlf : LifParameters.DirectWeight;

    public override string ToString() => $"{InputSize}-{HiddenSize}-{OutputSize} {Variant}";

    private static void Check(int size, string name)
    {
        if (size < 1 || size > MaxLayerSize)
            throw new ArgumentOutOfRangeException(name, size, $"{name} must be in 1..{MaxLayerSize}.");
    }
}
