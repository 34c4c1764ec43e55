using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PdlfFast.Kernel.Memory;

namespace PdlfFast.Tests.Kernel;

public class AlignedBlockTests
{
    [Theory]
    [InlineData(1, 17, 300)]
    [InlineData(16, 16, 16)]
    public unsafe void Segments_start_on_64_byte_boundaries_and_do_not_overlap(int a, int b, int c)
    {
        var layout = new BlockLayout();
        var sa = layout.Reserve(a);
        var sb = layout.Reserve(b);
        var sc = layout.Reserve(c);
        var block = new AlignedBlock(layout.Total);
        foreach (var s in new[] { sa, sb, sc })
        {
            var span = block.Segment(s);
            Assert.Equal(s.Length, span.Length);
            Assert.Equal(0, (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)) & 63);
            span.Fill(s.Offset + 1);
        }
        Assert.True(block.Segment(sa).ToArray().All(v => v == sa.Offset + 1));
        Assert.True(block.Segment(sb).ToArray().All(v => v == sb.Offset + 1));
        block.Clear();
        Assert.True(block.All.ToArray().All(v => v == 0));
    }
}
