using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;
using PdlfFast.Kernel.Memory;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Neurons;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Network;

/// <summary>
/// Weights and biases of the direct-weight baseline ("Opt_Weight"), evolved as they are, in padded layer layout.
/// Genome layout: W1 (input x hidden, row-major), b1 (hidden), W2 (hidden x output, row-major), b2 (output).
/// Shared read-only by all episodes of one individual.
/// </summary>
public sealed class DirectWeightParameters
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _inputWeights, _hiddenBias, _outputWeights, _outputBias;

    /// <summary>Allocates zeroed parameters for <paramref name="spec"/>; fill them with <see cref="Load"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is not a <see cref="NetworkVariant.DirectWeight"/> network.</exception>
    public DirectWeightParameters(NetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Variant != NetworkVariant.DirectWeight)
            throw new ArgumentException($"Direct-weight parameters need a {NetworkVariant.DirectWeight} network, not {spec.Variant}.", nameof(spec));
        Spec = spec;
        var layout = new BlockLayout();
        _inputWeights = layout.Reserve(spec.Input.StorageLength);
        _hiddenBias = layout.Reserve(spec.Input.Stride);
        _outputWeights = layout.Reserve(spec.Output.StorageLength);
        _outputBias = layout.Reserve(spec.Output.Stride);
        _block = new AlignedBlock(layout.Total);
    }

    /// <summary>The network these parameters were built for.</summary>
    public NetworkSpec Spec { get; }
    /// <summary>W1 in <see cref="NetworkSpec.Input"/> layout (row = input, padded stride, padding zero).</summary>
    public Span<float> InputWeights => _block.Segment(_inputWeights);
    /// <summary>b1, one per stored hidden column (<see cref="NetworkSpec.Input"/>.Stride; padding zero).</summary>
    public Span<float> HiddenBias => _block.Segment(_hiddenBias);
    /// <summary>W2 in <see cref="NetworkSpec.Output"/> layout (row = hidden neuron, padded stride, padding zero).</summary>
    public Span<float> OutputWeights => _block.Segment(_outputWeights);
    /// <summary>b2, one per stored output column (<see cref="NetworkSpec.Output"/>.Stride; padding zero).</summary>
    public Span<float> OutputBias => _block.Segment(_outputBias);

    /// <summary>W1 as an InputSize x HiddenSize matrix over <see cref="InputWeights"/>, padding skipped. Allocates nothing.</summary>
    public Span2D<float> InputWeights2D => Spec.Input.AsSpan2D(InputWeights);
    /// <summary>W2 as a HiddenSize x OutputSize matrix over <see cref="OutputWeights"/>, padding skipped. Allocates nothing.</summary>
    public Span2D<float> OutputWeights2D => Spec.Output.AsSpan2D(OutputWeights);

    /// <summary>Genome floats for <paramref name="spec"/>: both weight matrices (unpadded) plus both bias vectors.</summary>
    public static int GenomeLength(NetworkSpec spec) => spec.Synapses + spec.HiddenSize + spec.OutputSize;

    /// <summary>Copies an individual's genome into the padded layout. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="genome"/> is not <see cref="GenomeLength"/> long.</exception>
    public void Load(ReadOnlySpan<float> genome)
    {
        int expected = GenomeLength(Spec);
        if (genome.Length != expected)
            throw new ArgumentException($"Genome has {genome.Length} values; a {Spec} network needs {expected}.", nameof(genome));
        _block.Clear();
        int offset = CopyMatrix(genome, 0, Spec.Input, InputWeights);
        genome.Slice(offset, Spec.HiddenSize).CopyTo(HiddenBias);
        offset += Spec.HiddenSize;
        offset = CopyMatrix(genome, offset, Spec.Output, OutputWeights);
        genome.Slice(offset, Spec.OutputSize).CopyTo(OutputBias);
    }

    private static int CopyMatrix(ReadOnlySpan<float> genome, int offset, LayerShape shape, Span<float> destination)
    {
        for (int i = 0; i < shape.Rows; i++, offset += shape.Columns)
            genome.Slice(offset, shape.Columns).CopyTo(destination.Slice(shape.Index(i, 0), shape.Columns));
        return offset;
    }
}

/// <summary>
/// One step of the direct-weight baseline: <c>I = x . W1 + b1</c>, LIF with v &lt;- 0.5 v + 0.5 I and threshold 1,
/// <c>action = tanh(s . W2 + b2)</c>. The weights never change within an episode.
/// </summary>
public static class DirectWeightNetwork
{
    /// <summary>
    /// Runs one step: writes <see cref="NetworkSpec.OutputSize"/> actions and advances the state's membranes, spikes
    /// and traces. Allocates nothing; <paramref name="width"/> changes only the speed (bit-identical results).
    /// </summary>
    /// <param name="state">The episode's state; its spec must equal <paramref name="parameters"/>' spec.</param>
    /// <param name="parameters">The individual's weights and biases (read only).</param>
    /// <param name="observation">Exactly <see cref="NetworkSpec.InputSize"/> values, already normalised.</param>
    /// <param name="action">At least <see cref="NetworkSpec.OutputSize"/> values; receives the actions, each in [-1, 1].</param>
    /// <param name="width">Vector width; <see cref="SimdWidth.Auto"/> is the widest fast one.</param>
    /// <exception cref="ArgumentException">Spec mismatch or span lengths (see <see cref="NetworkState.CheckStep"/>).</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static void Step(NetworkState state, DirectWeightParameters parameters, ReadOnlySpan<float> observation,
        Span<float> action, SimdWidth width = SimdWidth.Auto)
    {
        state.CheckStep(parameters.Spec, "Parameters were", nameof(parameters), observation, action);
        var spec = state.Spec;
        Span<float> x = state.Input, current = state.HiddenCurrent, output = state.Output;
        observation.CopyTo(x);
        Propagation.Dense(x, parameters.InputWeights, spec.Input, 1f, current, width);
        TensorPrimitives.Add(current, parameters.HiddenBias, current);
        state.HiddenSpikeCount = Lif.Step(state.Membrane, current, state.Spikes, state.Trace, LifParameters.DirectWeight, width);
        Propagation.Spikes(state.Spikes, parameters.OutputWeights, spec.Output, 1f, output, width);
        for (int k = 0; k < spec.OutputSize; k++)
            action[k] = MathF.Tanh(output[k] + parameters.OutputBias[k]);
    }
}
