using PdlfFast.Cli.Bench;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Tests.Cli;

public class EsBenchTests
{
    [Fact]
    public void The_noise_measurement_covers_every_path_this_machine_runs_and_allocates_nothing()
    {
        var rows = EsBench.MeasureNoise(1_000, TimeSpan.FromMilliseconds(2), rounds: 1);
        Assert.Equal(Vectorisation.Accelerated, rows.Select(r => r.Width));
        Assert.All(rows, r => Assert.True(r.NanosecondsPerValue > 0 && double.IsFinite(r.NanosecondsPerValue), $"{r.Width}: {r.NanosecondsPerValue} ns"));
        // A tier-up landing in the short measured round can allocate once; a real per-draw allocation shows every time.
        for (int retry = 0; retry < 2 && rows.Any(r => r.BytesPerDraw != 0); retry++)
            rows = EsBench.MeasureNoise(1_000, TimeSpan.FromMilliseconds(20), rounds: 1);
        Assert.All(rows, r => Assert.Equal(0, r.BytesPerDraw));
    }
}
