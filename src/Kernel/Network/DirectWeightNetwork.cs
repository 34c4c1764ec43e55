using System.Numerics.Tensors;
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

    public NetworkSpec Spec { get; }
    public Span<float> InputWeights => _block.Segment(_inputWeights);
    public Span<float> HiddenBias => _block.Segment(_hiddenBias);
    public Span<float> OutputWeights => _block.Segment(_outputWeights);
    public Span<float> OutputBias => _block.Segment(_outputBias);

    public static int GenomeLength(NetworkSpec spec) => spec.Synapses + spec.HiddenSize + spec.OutputSize;

    /// <summary>Copies an individual's genome into the padded layout. Allocates nothing.</summary>
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
