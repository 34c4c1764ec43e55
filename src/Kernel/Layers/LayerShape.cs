using System.Numerics;

namespace PdlfFast.Kernel.Layers;

/// <summary>
/// Storage of one synapse matrix: row i holds presynaptic neuron i's synapses onto every postsynaptic neuron,
/// contiguous, so spikes propagate as signed row additions and plasticity vectorises along the row. Rows are
/// <see cref="Stride"/> floats apart; the <see cref="Stride"/> - <see cref="Columns"/> padding floats stay zero.
/// </summary>
public readonly record struct LayerShape
{
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

    public int Synapses => Rows * Columns;
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

    public int Index(int row, int column) => row * Stride + column;

    /// <summary>Throws unless <paramref name="weights"/> can hold this shape.</summary>
    public void Validate(int weightsLength, string name = "weights")
    {
        if (weightsLength < StorageLength)
            throw new ArgumentException($"{name} has {weightsLength} floats; a {Rows}x{Columns} layer with stride {Stride} needs {StorageLength}.", name);
    }
}
