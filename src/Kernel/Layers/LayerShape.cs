using System.Numerics;
using CommunityToolkit.HighPerformance;

namespace PdlfFast.Kernel.Layers;

/// <summary>
/// Storage of one synapse matrix: row i holds presynaptic neuron i's synapses onto every postsynaptic neuron,
/// contiguous, so spikes propagate as signed row additions and plasticity vectorises along the row. Rows are
/// <see cref="Stride"/> floats apart; the <see cref="Stride"/> - <see cref="Columns"/> padding floats stay zero
/// (docs/design.md, "Memory layout and kernels"). Synapse (i, j) lives at flat index <c>i * Stride + j</c>.
/// </summary>
public readonly record struct LayerShape
{
    /// <summary>A layout of <paramref name="rows"/> x <paramref name="columns"/> synapses with rows <paramref name="stride"/> floats apart.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="rows"/> or <paramref name="columns"/> is below 1, or <paramref name="stride"/> is below <paramref name="columns"/>.
    /// </exception>
    public LayerShape(int rows, int columns, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, columns);
        Rows = rows;
        Columns = columns;
        Stride = stride;
    }

    /// <summary>Presynaptic neurons.</summary>
    public int Rows { get; }
    /// <summary>Postsynaptic neurons.</summary>
    public int Columns { get; }
    /// <summary>Floats between the starts of consecutive rows.</summary>
    public int Stride { get; }

    /// <summary>Real synapses, <see cref="Rows"/> x <see cref="Columns"/>: the length of a dense (unpadded) copy.</summary>
    public int Synapses => Rows * Columns;
    /// <summary>Floats the padded storage needs, <see cref="Rows"/> x <see cref="Stride"/>.</summary>
    public int StorageLength => Rows * Stride;

    /// <summary>Rows of exactly <paramref name="columns"/> floats (no padding).</summary>
    public static LayerShape Dense(int rows, int columns) => new(rows, columns, columns);

    /// <summary>
    /// Rows padded so every row is a whole number of vectors: up to 8 columns round to a power of two (one Vector128
    /// or Vector256 per row), more round to a multiple of 16 (whole Vector512s, 64-byte-aligned rows). Kernels then
    /// never run a scalar tail; the zero padding costs nothing to update because its coefficients are zero too.
    /// </summary>
    public static LayerShape Padded(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        int stride = columns <= 8 ? (int)BitOperations.RoundUpToPowerOf2((uint)columns) : (columns + 15) / 16 * 16;
        return new LayerShape(rows, columns, stride);
    }

    /// <summary>Flat storage index of synapse (<paramref name="row"/>, <paramref name="column"/>); not range-checked.</summary>
    public int Index(int row, int column) => row * Stride + column;

    /// <summary>Throws unless a span of <paramref name="weightsLength"/> floats can hold this shape (<see cref="StorageLength"/> or more).</summary>
    /// <param name="weightsLength">Length of the storage span.</param>
    /// <param name="name">Parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The span is too short.</exception>
    public void Validate(int weightsLength, string name = "weights")
    {
        if (weightsLength < StorageLength)
            throw new ArgumentException($"{name} has {weightsLength} floats; a {Rows}x{Columns} layer with stride {Stride} needs {StorageLength}.", name);
    }

    /// <summary>
    /// <paramref name="storage"/> seen as the <see cref="Rows"/> x <see cref="Columns"/> matrix it holds: element
    /// [i, j] is flat index <c>i * Stride + j</c>, and the row padding is skipped (pitch <c>Stride - Columns</c>), so
    /// a host never sees or writes it. Allocates nothing. Kernels keep working on the flat span; this is for hosts.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is shorter than <see cref="StorageLength"/>.</exception>
    public Span2D<float> AsSpan2D(Span<float> storage)
    {
        Validate(storage.Length, nameof(storage));
        return storage.AsSpan2D(0, Rows, Columns, Stride - Columns);
    }

    /// <summary>Read-only form of <see cref="AsSpan2D"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="storage"/> is shorter than <see cref="StorageLength"/>.</exception>
    public ReadOnlySpan2D<float> AsReadOnlySpan2D(ReadOnlySpan<float> storage)
    {
        Validate(storage.Length, nameof(storage));
        return storage.AsSpan2D(0, Rows, Columns, Stride - Columns);
    }
}
