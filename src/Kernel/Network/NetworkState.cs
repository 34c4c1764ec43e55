using CommunityToolkit.HighPerformance;
using PdlfFast.Kernel.Memory;

namespace PdlfFast.Kernel.Network;

/// <summary>
/// Everything one running episode owns, in a single 64-byte-aligned block so it stays together in L2 and resets
/// with one clear: the normalised input, hidden currents, membranes, spikes and traces, the output, and both layers'
/// fast weights. Fast weights are stored unnormalised together with a per-layer <see cref="InputScale"/> /
/// <see cref="OutputScale"/>: the weights in effect are <c>scale * stored</c>, which lets the plasticity pass fold
/// the <c>W / max|W|</c> normalisation into its next update instead of making a second pass over the matrix.
/// Not thread-safe: one state per concurrently running episode. All vectors are padded to whole vectors; padding stays
/// zero (docs/design.md, "Memory layout and kernels"). Every span property is a view of the block: it allocates nothing.
/// </summary>
public sealed class NetworkState
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _input, _hiddenCurrent, _membrane, _spikes, _trace, _output, _inputWeights, _outputWeights;

    /// <summary>Allocates the state block (<see cref="Bytes"/>; about 20 KB for 28-128-8) and resets it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    public NetworkState(NetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        var layout = new BlockLayout();
        // Vectors are padded to the padded layer widths; the padding stays zero and keeps kernels tail-free.
        _input = layout.Reserve(AlignedBlock.RoundUp(spec.InputSize));
        int hidden = spec.Input.Stride;
        _hiddenCurrent = layout.Reserve(hidden);
        _membrane = layout.Reserve(hidden);
        _spikes = layout.Reserve(hidden);
        _trace = layout.Reserve(hidden);
        _output = layout.Reserve(spec.Output.Stride);
        _inputWeights = layout.Reserve(spec.Input.StorageLength);
        _outputWeights = layout.Reserve(spec.Output.StorageLength);
        _block = new AlignedBlock(layout.Total);
        Reset();
    }

    /// <summary>The network this state was built for.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Bytes of the state block (for cache-footprint reports).</summary>
    public int Bytes => _block.Length * sizeof(float);

    /// <summary>Normalised observation of the current step (padded with zeros).</summary>
    public Span<float> Input => _block.Segment(_input);
    /// <summary>
    /// Step scratch: the layer-1 current <c>I = x . W1</c> (effective weights; plus b1 in the direct-weight network) of
    /// the current step, one float per stored hidden column (<see cref="NetworkSpec.Input"/>.Stride). Overwritten by
    /// every step.
    /// </summary>
    public Span<float> HiddenCurrent => _block.Segment(_hiddenCurrent);
    /// <summary>Hidden LIF membrane potentials v, one per stored hidden column (padding stays 0).</summary>
    public Span<float> Membrane => _block.Segment(_membrane);
    /// <summary>Hidden ternary spikes s of the last step (-1, 0 or +1), one per stored hidden column.</summary>
    public Span<float> Spikes => _block.Segment(_spikes);
    /// <summary>
    /// Hidden spike traces tr, in [-1, 1], one per stored hidden column. In PDLF they are the postsynaptic activity y
    /// of layer 1's rule and the presynaptic activity x of layer 2's.
    /// </summary>
    public Span<float> Trace => _block.Segment(_trace);
    /// <summary>Raw output of the current step (before any readout non-linearity), padded.</summary>
    public Span<float> Output => _block.Segment(_output);
    /// <summary>Stored (unnormalised) layer-1 fast weights in <see cref="NetworkSpec.Input"/> layout.</summary>
    public Span<float> InputWeights => _block.Segment(_inputWeights);
    /// <summary>Stored (unnormalised) layer-2 fast weights in <see cref="NetworkSpec.Output"/> layout.</summary>
    public Span<float> OutputWeights => _block.Segment(_outputWeights);

    /// <summary>
    /// <see cref="InputWeights"/> as an InputSize x HiddenSize matrix (row = presynaptic input, column = hidden
    /// neuron), padding skipped; writes go to the stored weights. Values are stored, not effective: multiply by
    /// <see cref="InputScale"/> (or use <see cref="CopyEffectiveWeights"/>). Allocates nothing.
    /// </summary>
    public Span2D<float> InputWeights2D => Spec.Input.AsSpan2D(InputWeights);
    /// <summary>
    /// <see cref="OutputWeights"/> as a HiddenSize x OutputSize matrix (row = hidden neuron, column = output), padding
    /// skipped; stored values, effective = <see cref="OutputScale"/> * stored. Allocates nothing.
    /// </summary>
    public Span2D<float> OutputWeights2D => Spec.Output.AsSpan2D(OutputWeights);

    /// <summary>
    /// Multiplier from stored to effective layer-1 weights: the previous plasticity pass's <c>1 / max|W|</c>, 1 after
    /// <see cref="Reset"/>. Set by the PDLF step (the direct-weight step ignores it); a host that rewrites the stored
    /// weights sets it to match.
    /// </summary>
    public float InputScale { get; set; }
    /// <summary>Multiplier from stored to effective layer-2 weights (see <see cref="InputScale"/>).</summary>
    public float OutputScale { get; set; }

    /// <summary>Number of hidden neurons that spiked in the last step (set by the step; for activity statistics).</summary>
    public int HiddenSpikeCount { get; set; }

    /// <summary>Starts a new episode: all activity, traces and weights zero. Allocates nothing.</summary>
    public void Reset()
    {
        _block.Clear();
        InputScale = 1f;
        OutputScale = 1f;
        HiddenSpikeCount = 0;
    }

    /// <summary>Zeros membranes, spikes and traces but keeps the weights (the activity-reset probe).</summary>
    public void ResetActivity()
    {
        HiddenCurrent.Clear();
        Membrane.Clear();
        Spikes.Clear();
        Trace.Clear();
        Output.Clear();
        HiddenSpikeCount = 0;
    }

    /// <summary>
    /// Checks a step's arguments against this state: the parameters (<paramref name="what"/>, passed as
    /// <paramref name="parameterName"/>) were built for the same network, the observation and action fit it.
    /// Public for step implementations in other assemblies (the PDLF step lives in PdlfFast.Rules).
    /// </summary>
    /// <param name="builtFor">The spec the rule or parameters were built for.</param>
    /// <param name="what">Subject of the error message, e.g. "Rule was".</param>
    /// <param name="parameterName">Name reported when <paramref name="builtFor"/> does not match.</param>
    /// <param name="observation">Must hold exactly <see cref="NetworkSpec.InputSize"/> values.</param>
    /// <param name="action">Must hold at least <see cref="NetworkSpec.OutputSize"/> values.</param>
    /// <exception cref="ArgumentException">Any of the checks fails.</exception>
    public void CheckStep(NetworkSpec builtFor, string what, string parameterName, ReadOnlySpan<float> observation, Span<float> action)
    {
        if (!ReferenceEquals(Spec, builtFor) && Spec != builtFor)
            throw new ArgumentException($"{what} built for {builtFor}, the state is {Spec}.", parameterName);
        if (observation.Length != Spec.InputSize)
            throw new ArgumentException($"Observation has {observation.Length} values; the network takes {Spec.InputSize}.", nameof(observation));
        if (action.Length < Spec.OutputSize)
            throw new ArgumentException($"Action span has {action.Length} values; the network outputs {Spec.OutputSize}.", nameof(action));
    }

    /// <summary>
    /// Copies the effective (normalised, <c>scale * stored</c>) weights of layer 1 or 2 into a dense row-major
    /// (pre x post) matrix without padding: element (i, j) goes to <c>i * Columns + j</c>.
    /// </summary>
    /// <param name="layer">1 (input to hidden) or 2 (hidden to output).</param>
    /// <param name="destination">At least the layer's <see cref="Layers.LayerShape.Synapses"/> floats.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not 1 or 2.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void CopyEffectiveWeights(int layer, Span<float> destination)
    {
        var shape = layer switch
        {
            1 => Spec.Input,
            2 => Spec.Output,
            _ => throw new ArgumentOutOfRangeException(nameof(layer), layer, "Layer must be 1 or 2."),
        };
        if (destination.Length < shape.Synapses)
            throw new ArgumentException($"Destination has {destination.Length} floats; layer {layer} has {shape.Synapses} synapses.", nameof(destination));
        ReadOnlySpan<float> stored = layer == 1 ? InputWeights : OutputWeights;
        float scale = layer == 1 ? InputScale : OutputScale;
        for (int i = 0; i < shape.Rows; i++)
            for (int j = 0; j < shape.Columns; j++)
                destination[i * shape.Columns + j] = stored[shape.Index(i, j)] * scale;
    }
}
