using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Memory;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Recurrent;

/// <summary>
/// A GRU layer with a linear readout, its weights evolved directly (the working-memory baseline branch of
/// docs/design.md, "Network and neuron model"). The cell follows flax's GRUCell:
/// <code>
/// r  = sigmoid(x Wxr + h Whr + br)
/// z  = sigmoid(x Wxz + h Whz + bz)
/// n  = tanh(x Wxn + bn + r (.) (h Whn + bhn))
/// h' = (1 - z) (.) n + z (.) h                 out = h' . wout + bout
/// </code>
/// Genome layout: Wx (inputs x 3H, row-major, gate blocks r | z | n), Wh (H x 3H), b (3H: br | bz | bn), bhn (H),
/// wout (H), bout (1). Shared read-only by all episodes of one individual.
/// <para>
/// Storage: each gate block is padded to <see cref="Stride"/> floats, so a weight row is <c>3 * Stride</c> floats,
/// r | z | n; unit j of gate g in row i is at <c>i * 3 * Stride + g * Stride + j</c>. Padding stays zero.
/// </para>
/// </summary>
public sealed class GruParameters
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _inputWeights, _hiddenWeights, _bias, _hiddenNewBias, _readout;

    /// <summary>Allocates zeroed parameters; fill them with <see cref="Load"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public GruParameters(int inputSize, int hiddenSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        // Gate blocks are padded to whole vectors so each block starts aligned; padding weights stay zero.
        Stride = AlignedBlock.RoundUp(hiddenSize);
        InputShape = new LayerShape(inputSize, 3 * Stride, 3 * Stride);
        HiddenShape = new LayerShape(hiddenSize, 3 * Stride, 3 * Stride);
        var layout = new BlockLayout();
        _inputWeights = layout.Reserve(InputShape.StorageLength);
        _hiddenWeights = layout.Reserve(HiddenShape.StorageLength);
        _bias = layout.Reserve(3 * Stride);
        _hiddenNewBias = layout.Reserve(Stride);
        _readout = layout.Reserve(Stride + 1);
        _block = new AlignedBlock(layout.Total);
    }

    /// <summary>Inputs per step.</summary>
    public int InputSize { get; }
    /// <summary>GRU units H.</summary>
    public int HiddenSize { get; }
    /// <summary>Floats per gate block (hidden size rounded up to a whole number of vectors).</summary>
    public int Stride { get; }
    /// <summary>Layout of <see cref="InputWeights"/>: InputSize rows of 3 gate blocks (its padding is inside the blocks, so Columns = Stride of the shape).</summary>
    public LayerShape InputShape { get; }
    /// <summary>Layout of <see cref="HiddenWeights"/>: HiddenSize rows of 3 gate blocks.</summary>
    public LayerShape HiddenShape { get; }
    /// <summary>Wx = (Wxr | Wxz | Wxn), row = input, in <see cref="InputShape"/> layout.</summary>
    public Span<float> InputWeights => _block.Segment(_inputWeights);
    /// <summary>Wh = (Whr | Whz | Whn), row = previous hidden unit, in <see cref="HiddenShape"/> layout.</summary>
    public Span<float> HiddenWeights => _block.Segment(_hiddenWeights);
    /// <summary>br | bz | bn, one gate block (<see cref="Stride"/> floats) each.</summary>
    public Span<float> Bias => _block.Segment(_bias);
    /// <summary>bhn, the hidden-side candidate bias inside <c>r (.) (h Whn + bhn)</c>; <see cref="Stride"/> floats.</summary>
    public Span<float> HiddenNewBias => _block.Segment(_hiddenNewBias);
    /// <summary>Readout weights (Stride floats, padding zero) followed by the readout bias.</summary>
    public Span<float> Readout => _block.Segment(_readout);

    /// <summary>Genome floats for a GRU branch: <c>3 I H + 3 H^2 + 5 H + 1</c> (layout in the type's summary).</summary>
    public static int GenomeLength(int inputSize, int hiddenSize) => 3 * inputSize * hiddenSize + 3 * hiddenSize * hiddenSize + 5 * hiddenSize + 1;
    /// <summary>Genome floats for these sizes (see <see cref="GenomeLength(int, int)"/>).</summary>
    public int GenomeLength() => GenomeLength(InputSize, HiddenSize);

    /// <summary>Copies an individual's genome into the padded layout. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="genome"/> is not <see cref="GenomeLength()"/> long.</exception>
    public void Load(ReadOnlySpan<float> genome)
    {
        if (genome.Length != GenomeLength())
            throw new ArgumentException($"GRU genome has {genome.Length} values; {InputSize} inputs and {HiddenSize} units need {GenomeLength()}.", nameof(genome));
        _block.Clear();
        int h = HiddenSize, offset = 0;
        offset = CopyGateRows(genome, offset, InputSize, InputWeights);
        offset = CopyGateRows(genome, offset, h, HiddenWeights);
        for (int g = 0; g < 3; g++, offset += h) genome.Slice(offset, h).CopyTo(Bias.Slice(g * Stride, h));
        genome.Slice(offset, h).CopyTo(HiddenNewBias);
        offset += h;
        genome.Slice(offset, h).CopyTo(Readout);
        Readout[Stride] = genome[offset + h];
    }

    private int CopyGateRows(ReadOnlySpan<float> genome, int offset, int rows, Span<float> destination)
    {
        int h = HiddenSize;
        for (int i = 0; i < rows; i++)
            for (int g = 0; g < 3; g++, offset += h)
                genome.Slice(offset, h).CopyTo(destination.Slice(i * 3 * Stride + g * Stride, h));
        return offset;
    }
}

/// <summary>
/// Hidden states and scratch of a batch of independent sequences run in lock-step by <see cref="Gru.StepBatch"/>.
/// One block, zero after construction and <see cref="Reset"/>; not thread-safe.
/// </summary>
public sealed class GruBatchState
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _hidden, _fromInput, _fromHidden;

    /// <summary>Allocates state for <paramref name="batch"/> sequences of <paramref name="parameters"/>' size.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is below 1.</exception>
    public GruBatchState(GruParameters parameters, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Batch = batch;
        Stride = parameters.Stride;
        var layout = new BlockLayout();
        _hidden = layout.Reserve(batch * Stride);
        _fromInput = layout.Reserve(batch * 3 * Stride);
        _fromHidden = layout.Reserve(batch * 3 * Stride);
        _block = new AlignedBlock(layout.Total);
    }

    /// <summary>Sequences in the batch.</summary>
    public int Batch { get; }
    /// <summary>The parameters' gate-block width (<see cref="GruParameters.Stride"/>).</summary>
    public int Stride { get; }
    /// <summary>Hidden states h: <see cref="Batch"/> rows of <see cref="Stride"/> floats (sequence b at <c>b * Stride</c>; padding zero).</summary>
    public Span<float> Hidden => _block.Segment(_hidden);
    // Step scratch: per-sequence gate pre-activations x Wx and h Wh (3 Stride floats each), overwritten every step.
    internal Span<float> FromInput => _block.Segment(_fromInput);
    internal Span<float> FromHidden => _block.Segment(_fromHidden);

    /// <summary>Starts every sequence anew: all hidden states zero. Allocates nothing.</summary>
    public void Reset() => _block.Clear();

    /// <summary>Zeros one sequence's hidden state (the activity-reset probe).</summary>
    public void ResetSequence(int b) => Hidden.Slice(b * Stride, Stride).Clear();
}

/// <summary>One episode's GRU state and scratch (hidden state, gate pre-activations), allocation-free to reset. Not thread-safe.</summary>
public sealed class GruState
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _hidden, _fromInput, _fromHidden;

    /// <summary>Allocates a zero state for <paramref name="parameters"/>' size.</summary>
    public GruState(GruParameters parameters)
    {
        Stride = parameters.Stride;
        var layout = new BlockLayout();
        _hidden = layout.Reserve(Stride);
        _fromInput = layout.Reserve(3 * Stride);
        _fromHidden = layout.Reserve(3 * Stride);
        _block = new AlignedBlock(layout.Total);
    }

    /// <summary>The parameters' gate-block width (<see cref="GruParameters.Stride"/>).</summary>
    public int Stride { get; }
    /// <summary>Hidden state h: <see cref="GruParameters.HiddenSize"/> units, padded to <see cref="Stride"/> with zeros.</summary>
    public Span<float> Hidden => _block.Segment(_hidden);
    // Step scratch: gate pre-activations x Wx and h Wh (3 Stride floats each), overwritten every step.
    internal Span<float> FromInput => _block.Segment(_fromInput);
    internal Span<float> FromHidden => _block.Segment(_fromHidden);

    /// <summary>Starts a new episode: hidden state zero. Allocates nothing.</summary>
    public void Reset() => _block.Clear();
}

/// <summary>The GRU step of <see cref="GruParameters"/>, single and batched, with its scalar twin.</summary>
public static class Gru
{
    /// <summary>Advances the cell one step and returns the readout. Allocates nothing.</summary>
    /// <param name="state">The episode's state; its <see cref="GruState.Stride"/> must match <paramref name="p"/>.</param>
    /// <param name="p">The individual's parameters (read only).</param>
    /// <param name="input">Exactly <see cref="GruParameters.InputSize"/> values.</param>
    /// <param name="width">Vector width of the matrix products.</param>
    /// <returns>The readout <c>h' . wout + bout</c>.</returns>
    /// <exception cref="ArgumentException">Stride or input length mismatch.</exception>
    public static float Step(GruState state, GruParameters p, ReadOnlySpan<float> input, SimdWidth width = SimdWidth.Auto)
    {
        Check(state, p, input);
        Span<float> gx = state.FromInput, gh = state.FromHidden, h = state.Hidden;
        Propagation.Dense(input, p.InputWeights, p.InputShape, 1f, gx, width);
        Propagation.Dense(h[..p.HiddenSize], p.HiddenWeights, p.HiddenShape, 1f, gh, width);
        return Gate(p, gx, gh, h, width);
    }

    /// <summary>
    /// Advances a batch of independent sequences one step: the hidden-to-hidden product runs as one batched
    /// product (the 3H x H matrix is read once for the batch), the gating per sequence exactly as <see cref="Step"/>,
    /// so every sequence's result equals <see cref="Step"/>'s bit for bit. <paramref name="inputs"/> holds
    /// <see cref="GruBatchState.Batch"/> rows of <see cref="GruParameters.InputSize"/> values; <paramref name="outputs"/>
    /// receives one readout per sequence. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Stride mismatch or span lengths.</exception>
    public static void StepBatch(GruBatchState state, GruParameters p, ReadOnlySpan<float> inputs, Span<float> outputs,
        SimdWidth width = SimdWidth.Auto)
    {
        int batch = state.Batch, s = p.Stride;
        if (state.Stride != s) throw new ArgumentException($"State was made for {state.Stride}-float gate blocks, the parameters use {s}.", nameof(state));
        if (inputs.Length != batch * p.InputSize) throw new ArgumentException($"Inputs hold {inputs.Length} values; {batch} sequences x {p.InputSize} inputs need {batch * p.InputSize}.", nameof(inputs));
        if (outputs.Length < batch) throw new ArgumentException($"Outputs hold {outputs.Length} values for a batch of {batch}.", nameof(outputs));
        Span<float> gx = state.FromInput, gh = state.FromHidden, h = state.Hidden;
        Propagation.DenseBatch(inputs, p.InputSize, p.InputWeights, p.InputShape, 1f, gx, 3 * s, batch, width);
        Propagation.DenseBatch(h, s, p.HiddenWeights, p.HiddenShape, 1f, gh, 3 * s, batch, width);
        for (int b = 0; b < batch; b++)
            outputs[b] = Gate(p, gx.Slice(b * 3 * s, 3 * s), gh.Slice(b * 3 * s, 3 * s), h.Slice(b * s, s), width);
    }

    // One pass over the units: r, z, n and the new h of a block of units stay in registers (the gates used to take 13
    // TensorPrimitives passes over gx, gh and h). Every lane runs Unit's operations, so all widths give the same bits.
    private static float Gate(GruParameters p, Span<float> gx, Span<float> gh, Span<float> h, SimdWidth width)
    {
        int s = p.Stride;
        var g = new GateSpans(gx, gh, h, p.Bias, p.HiddenNewBias, s);
        int done = Vectorisation.Resolve(width) switch
        {
            SimdWidth.Vector512 => GateBlocks<Vec512>(g),
            SimdWidth.Vector256 => GateBlocks<Vec256>(g),
            SimdWidth.Vector128 => GateBlocks<Vec128>(g),
            _ => 0,
        };
        for (int j = done; j < s; j++) h[j] = Unit(g, j);
        // Padding units have zero weights and biases: n = tanh(0) = 0, z = 0.5, so h stays 0 there.
        // The readout feeds the fitness: a fixed-order sum, the same bits on every vector width.
        return FixedOrderDot.Dot(h[..s], p.Readout[..s], width) + p.Readout[s];
    }

    private readonly ref struct GateSpans(Span<float> gx, Span<float> gh, Span<float> h, Span<float> bias, Span<float> hiddenNewBias, int stride)
    {
        public readonly Span<float> Gx = gx, Gh = gh, H = h, Bias = bias, HiddenNewBias = hiddenNewBias;
        public readonly int Stride = stride;
    }

    /// <summary>Unit j's new hidden value: the scalar definition every vector lane follows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Unit(in GateSpans g, int j)
    {
        int s = g.Stride;
        float r = StableMath.SigmoidScalar(g.Gx[j] + g.Gh[j] + g.Bias[j]);
        float z = StableMath.SigmoidScalar(g.Gx[s + j] + g.Gh[s + j] + g.Bias[s + j]);
        float n = StableMath.TanhScalar(g.Gx[2 * s + j] + g.Bias[2 * s + j] + r * (g.Gh[2 * s + j] + g.HiddenNewBias[j]));
        return n + z * (g.H[j] - n);
    }

    private static int GateBlocks<TVec>(in GateSpans g) where TVec : struct, IFloatVector<TVec>
    {
        nuint s = (nuint)g.Stride, count = (nuint)TVec.Count, j = 0;
        ref float gx = ref MemoryMarshal.GetReference(g.Gx), gh = ref MemoryMarshal.GetReference(g.Gh), h = ref MemoryMarshal.GetReference(g.H);
        ref float bias = ref MemoryMarshal.GetReference(g.Bias), bhn = ref MemoryMarshal.GetReference(g.HiddenNewBias);
        for (; j + count <= s; j += count)
        {
            var r = StableMath.Sigmoid(TVec.Add(TVec.Add(TVec.Load(ref gx, j), TVec.Load(ref gh, j)), TVec.Load(ref bias, j)));
            var z = StableMath.Sigmoid(TVec.Add(TVec.Add(TVec.Load(ref gx, s + j), TVec.Load(ref gh, s + j)), TVec.Load(ref bias, s + j)));
            var hn = TVec.Multiply(r, TVec.Add(TVec.Load(ref gh, 2 * s + j), TVec.Load(ref bhn, j)));
            var n = StableMath.Tanh(TVec.Add(TVec.Add(TVec.Load(ref gx, 2 * s + j), TVec.Load(ref bias, 2 * s + j)), hn));
            TVec.Store(TVec.Add(n, TVec.Multiply(z, TVec.Subtract(TVec.Load(ref h, j), n))), ref h, j);
        }
        return (int)j;
    }

    /// <summary>
    /// Plain scalar twin of <see cref="Step"/>: the products one element at a time and the gates through
    /// <see cref="StableMath"/>'s scalar functions; bit-identical to <see cref="Step"/> on every width.
    /// </summary>
    public static float StepScalar(GruState state, GruParameters p, ReadOnlySpan<float> input)
    {
        Check(state, p, input);
        int s = p.Stride, hidden = p.HiddenSize;
        Span<float> gx = state.FromInput, gh = state.FromHidden, h = state.Hidden;
        Propagation.DenseScalar(input, p.InputWeights, p.InputShape, 1f, gx);
        Propagation.DenseScalar(h[..hidden], p.HiddenWeights, p.HiddenShape, 1f, gh);
        var g = new GateSpans(gx, gh, h, p.Bias, p.HiddenNewBias, s);
        for (int j = 0; j < hidden; j++) h[j] = Unit(g, j);
        return FixedOrderDot.DotScalar(h[..s], p.Readout[..s]) + p.Readout[s];
    }

    private static void Check(GruState state, GruParameters p, ReadOnlySpan<float> input)
    {
        if (state.Stride != p.Stride) throw new ArgumentException($"State was made for {state.Stride}-float gate blocks, the parameters use {p.Stride}.", nameof(state));
        if (input.Length != p.InputSize) throw new ArgumentException($"Input has {input.Length} values; the GRU takes {p.InputSize}.", nameof(input));
    }
}
