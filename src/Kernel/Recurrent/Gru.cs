using System.Numerics.Tensors;
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

    private static float Gate(GruParameters p, Span<float> gx, Span<float> gh, Span<float> h, SimdWidth width)
    {
        int s = p.Stride;
        // r and z: sigmoid(gx + gh + b) for the first two gate blocks, in place in gx.
        var rz = gx[..(2 * s)];
        TensorPrimitives.Add(rz, gh[..(2 * s)], rz);
        TensorPrimitives.Add(rz, p.Bias[..(2 * s)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        Span<float> r = gx[..s], z = gx.Slice(s, s), n = gx.Slice(2 * s, s), hn = gh.Slice(2 * s, s);
        // n = tanh(gx_n + bn + r * (gh_n + bhn))
        TensorPrimitives.Add(hn, p.HiddenNewBias, hn);
        TensorPrimitives.Multiply(hn, r, hn);
        TensorPrimitives.Add(n, p.Bias.Slice(2 * s, s), n);
        TensorPrimitives.Add(n, hn, n);
        TensorPrimitives.Tanh(n, n);
        // h = n + z * (h - n)
        TensorPrimitives.Subtract(h, n, h);
        TensorPrimitives.Multiply(h, z, h);
        TensorPrimitives.Add(h, n, h);
        // Padding units have zero weights and biases: n = tanh(0) = 0, z = 0.5, so h stays 0 there.
        // The readout feeds the fitness: a fixed-order sum, the same bits on every vector width.
        return FixedOrderDot.Dot(h[..s], p.Readout[..s], width) + p.Readout[s];
    }

    /// <summary>
    /// Plain scalar twin of <see cref="Step"/> (MathF sigmoid and tanh, sums in index order). Unlike the other kernels'
    /// twins it is close to <see cref="Step"/>, not bit-identical: TensorPrimitives' vectorised sigmoid and tanh may
    /// differ from MathF's by a few ulps (the readout's sum is the same fixed order in both).
    /// </summary>
    public static float StepScalar(GruState state, GruParameters p, ReadOnlySpan<float> input)
    {
        Check(state, p, input);
        int s = p.Stride, hidden = p.HiddenSize;
        Span<float> gx = state.FromInput, gh = state.FromHidden, h = state.Hidden;
        Propagation.DenseScalar(input, p.InputWeights, p.InputShape, 1f, gx);
        Propagation.DenseScalar(h[..hidden], p.HiddenWeights, p.HiddenShape, 1f, gh);
        for (int j = 0; j < hidden; j++)
        {
            float r = Sigmoid(gx[j] + gh[j] + p.Bias[j]);
            float z = Sigmoid(gx[s + j] + gh[s + j] + p.Bias[s + j]);
            float n = MathF.Tanh(gx[2 * s + j] + p.Bias[2 * s + j] + r * (gh[2 * s + j] + p.HiddenNewBias[j]));
            h[j] = n + z * (h[j] - n);
        }
        return FixedOrderDot.DotScalar(h[..s], p.Readout[..s]) + p.Readout[s];
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private static void Check(GruState state, GruParameters p, ReadOnlySpan<float> input)
    {
        if (state.Stride != p.Stride) throw new ArgumentException($"State was made for {state.Stride}-float gate blocks, the parameters use {p.Stride}.", nameof(state));
        if (input.Length != p.InputSize) throw new ArgumentException($"Input has {input.Length} values; the GRU takes {p.InputSize}.", nameof(input));
    }
}
