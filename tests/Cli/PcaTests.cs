using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Cli.Plots;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Cli;

public class PcaTests
{
    [Property(MaxTest = 30, EndSize = 300)]
    public void The_first_component_follows_the_direction_of_largest_spread(NonNegativeInt seed, NonNegativeInt dimensionRaw)
    {
        int d = Seeded.Size(dimensionRaw.Get, 12) + 1;
        var random = new Seeded(seed.Get);
        var direction = random.Uniform(d, -1, 1).Select(x => (double)x).ToArray();
        double norm = Math.Sqrt(direction.Sum(x => x * x));
        if (norm < 1e-3) return;
        for (int i = 0; i < d; i++) direction[i] /= norm;
        // Spread 10 along the direction, 0.1 noise elsewhere.
        var rows = Enumerable.Range(0, 200).Select(_ =>
        {
            double t = random.Uniform(-10, 10);
            return direction.Select(u => 3 + t * u + random.Uniform(-0.1f, 0.1f)).ToArray();
        }).ToArray();
        var projected = Pca.Project(rows);
        // The projection on PC 1 reproduces t (up to sign): it has almost all the variance.
        double first = projected.Select(p => p[0] * p[0]).Average(), second = projected.Select(p => p[1] * p[1]).Average();
        Assert.True(first > 100 * second, $"PC1 variance {first}, PC2 {second}");
        Assert.InRange(projected.Select(p => p[0]).Average(), -1e-6 * Math.Sqrt(first) - 1e-9, 1e-6 * Math.Sqrt(first) + 1e-9);
    }
}
