using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Simd;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Kernel;

/// <summary>exp, sigmoid and tanh with the same bits on every width: equal to their scalar twins and close to the exact functions.</summary>
public class StableMathTests
{
    private delegate void SpanFunction(ReadOnlySpan<float> x, Span<float> result, SimdWidth width);

    private static readonly (string Name, SpanFunction Vector, Func<float, float> Scalar, Func<double, double> Exact)[] Functions =
    [
        ("exp", StableMath.Exp, StableMath.ExpScalar, Math.Exp),
        ("sigmoid", StableMath.Sigmoid, StableMath.SigmoidScalar, x => 1 / (1 + Math.Exp(-x))),
        ("tanh", StableMath.Tanh, StableMath.TanhScalar, Math.Tanh),
    ];

    // Inputs over the whole useful range, both tanh branches and their boundary, the clamps, zeros of both signs.
    private static float[] Inputs(Seeded data, int n)
    {
        var x = data.Uniform(n, -30f, 30f);
        float[] special = [0f, -0f, 0.625f, -0.625f, 0.62499994f, 1e-30f, -1e-8f, 87.9f, -87f, 100f, -100f, 1e6f, -1e6f];
        for (int i = 0; i < Math.Min(n, special.Length); i++) x[i] = special[i];
        for (int i = special.Length; i < n; i += 3) x[i] *= 0.03f; // many small arguments
        return x;
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Every_width_gives_the_scalar_twins_bits(NonNegativeInt length, int seed)
    {
        int n = length.Get % 200;
        var x = Inputs(new Seeded(seed), n);
        var result = new float[n];
        foreach (var (name, vector, scalar, _) in Functions)
            foreach (var width in Vectorisation.Accelerated)
            {
                vector(x, result, width);
                for (int i = 0; i < n; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(scalar(x[i])) == BitConverter.SingleToInt32Bits(result[i]),
                        $"{name}({x[i]:R}) on {width}: {result[i]:R} vs scalar twin {scalar(x[i]):R}");
            }
    }

    [Property(MaxTest = 100, EndSize = 300)]
    public void Values_are_close_to_the_exact_functions(int seed)
    {
        var x = Inputs(new Seeded(seed), 200);
        foreach (var (name, _, scalar, exact) in Functions)
            foreach (float v in x)
            {
                double want = exact(Math.Clamp(v, (double)-87.3365447504019f, (double)88.3762626647949f)), got = scalar(v);
                // exp: 2 ulp relative (1.2e-7 each); sigmoid and tanh: within 3e-7 absolute and 4 ulp relative.
                double tolerance = name == "exp" ? 2.4e-7 * want : Math.Max(3e-7, 4.8e-7 * Math.Abs(want));
                Assert.True(Math.Abs(got - want) <= tolerance + 1e-38, $"{name}({v:R}) = {got:R}, exact {want:R}");
            }
    }

    [Fact]
    public void Hand_computed_values()
    {
        Assert.Equal(1f, StableMath.ExpScalar(0f));
        Assert.Equal(MathF.E, StableMath.ExpScalar(1f), 1e-6f);
        Assert.Equal(0.5f, StableMath.SigmoidScalar(0f));
        Assert.Equal(0f, StableMath.TanhScalar(0f));
        Assert.Equal(0.7615942f, StableMath.TanhScalar(1f), 2e-7f);
        Assert.Equal(-0.7615942f, StableMath.TanhScalar(-1f), 2e-7f);
        // Saturation instead of overflow: huge arguments give the limits, not infinities or NaN.
        Assert.Equal(1f, StableMath.SigmoidScalar(1e9f));
        Assert.InRange(StableMath.SigmoidScalar(-1e9f), 0f, 1e-38f);
        Assert.Equal((1f, -1f), (StableMath.TanhScalar(1e9f), StableMath.TanhScalar(-1e9f)));
        Assert.True(float.IsFinite(StableMath.ExpScalar(1e9f)));
        Assert.Throws<ArgumentException>(() => StableMath.Exp(new float[3], new float[2]));
    }

    [Fact]
    public void Tanh_is_odd_and_sigmoid_is_symmetric()
    {
        var x = Inputs(new Seeded(7), 300);
        foreach (float v in x)
        {
            Assert.Equal(-StableMath.TanhScalar(v), StableMath.TanhScalar(-v));
            Assert.Equal(1f, StableMath.SigmoidScalar(v) + StableMath.SigmoidScalar(-v), 2e-7f);
        }
    }

    [Fact]
    public void The_span_functions_and_the_fused_gru_step_allocate_nothing()
    {
        float[] x = new float[100], y = new float[100];
        var p = new PdlfFast.Kernel.Recurrent.GruParameters(3, 128);
        var state = new PdlfFast.Kernel.Recurrent.GruState(p);
        float[] input = [0.5f, -1f, 1f];
        void Work()
        {
            StableMath.Exp(x, y);
            StableMath.Sigmoid(x, y);
            StableMath.Tanh(x, y);
            PdlfFast.Kernel.Recurrent.Gru.Step(state, p, input);
        }
        // Past tiered compilation's call-counting delay first (see PlasticSnnTests.A_step_allocates_nothing).
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 200) Work();
        long allocated = -1;
        for (int window = 0; window < 3 && allocated != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) Work();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }
}
