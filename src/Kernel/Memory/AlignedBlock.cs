using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PdlfFast.Kernel.Memory;

/// <summary>
/// One contiguous float block on the pinned object heap, cut into 64-byte-aligned segments. Pinning lets us align
/// the start once (a cache line, and a Vector512) without unmanaged memory to free; the GC never moves it.
/// </summary>
public sealed class AlignedBlock
{
    /// <summary>Segment alignment in floats: 64 bytes, one cache line and one <c>Vector512&lt;float&gt;</c>.</summary>
    public const int AlignmentFloats = 16;

    private readonly float[] _storage;
    private readonly int _origin;

    /// <summary>Allocates the block (one pinned array of <see cref="Length"/> + <see cref="AlignmentFloats"/> floats, zeroed).</summary>
    /// <param name="lengthInFloats">Floats needed, usually <see cref="BlockLayout.Total"/>; rounded up to whole 64-byte lines.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lengthInFloats"/> is negative.</exception>
    public AlignedBlock(int lengthInFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthInFloats);
        Length = RoundUp(lengthInFloats);
        _storage = GC.AllocateArray<float>(Length + AlignmentFloats, pinned: true);
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
            int misalignment = (int)(address & 63);
            _origin = misalignment == 0 ? 0 : (64 - misalignment) / sizeof(float);
        }
    }

    /// <summary>Usable floats, a multiple of <see cref="AlignmentFloats"/>.</summary>
    public int Length { get; }

    /// <summary>The whole usable block, starting on a 64-byte boundary.</summary>
    public Span<float> All => _storage.AsSpan(_origin, Length);

    /// <summary>
    /// One segment reserved with <see cref="BlockLayout.Reserve"/>; it starts on a 64-byte boundary. Allocates nothing.
    /// The segment must come from the layout this block was sized by (only the span bounds are checked).
    /// </summary>
    public Span<float> Segment(BlockSegment segment) => _storage.AsSpan(_origin + segment.Offset, segment.Length);

    /// <summary>Zeros the whole block, padding included: one pass, no allocation.</summary>
    public void Clear() => All.Clear();

    /// <summary><paramref name="floats"/> rounded up to a multiple of <see cref="AlignmentFloats"/>.</summary>
    public static int RoundUp(int floats) => (floats + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}

/// <summary>Offset and length, in floats, of one segment of an <see cref="AlignedBlock"/>.</summary>
/// <param name="Offset">Floats from the block's aligned start; a multiple of <see cref="AlignedBlock.AlignmentFloats"/>.</param>
/// <param name="Length">Floats in the segment, as reserved (not rounded up).</param>
public readonly record struct BlockSegment(int Offset, int Length);

/// <summary>Hands out consecutive 64-byte-aligned segments; <see cref="Total"/> is the block size they need.</summary>
public struct BlockLayout
{
    /// <summary>Floats reserved so far, each segment rounded up to whole 64-byte lines: the size to pass to <see cref="AlignedBlock(int)"/>.</summary>
    public int Total { get; private set; }

    /// <summary>Reserves the next segment of <paramref name="floats"/> floats, starting where the previous one's padding ends.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="floats"/> is negative.</exception>
    public BlockSegment Reserve(int floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floats);
        var segment = new BlockSegment(Total, floats);
        Total += AlignedBlock.RoundUp(floats);
        return segment;
    }
}
