using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PdlfFast.Kernel.Memory;

/// <summary>
/// One contiguous float block on the pinned object heap, cut into 64-byte-aligned segments. Pinning lets us align
/// the start once (a cache line, and a Vector512) without unmanaged memory to free; the GC never moves it.
/// </summary>
public sealed class AlignedBlock
{
    public const int AlignmentFloats = 16; // 64 bytes: one cache line, one Vector512<float>

    private readonly float[] _storage;
    private readonly int _origin;

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

    public int Length { get; }

    public Span<float> All => _storage.AsSpan(_origin, Length);

    public Span<float> Segment(BlockSegment segment) => _storage.AsSpan(_origin + segment.Offset, segment.Length);

    public void Clear() => All.Clear();

    public static int RoundUp(int floats) => (floats + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}

/// <summary>Offset and length, in floats, of one segment of an <see cref="AlignedBlock"/>.</summary>
public readonly record struct BlockSegment(int Offset, int Length);

/// <summary>Hands out consecutive 64-byte-aligned segments; <see cref="Total"/> is the block size they need.</summary>
public struct BlockLayout
{
    public int Total { get; private set; }

    public BlockSegment Reserve(int floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floats);
        var segment = new BlockSegment(Total, floats);
        Total += AlignedBlock.RoundUp(floats);
        return segment;
    }
}
