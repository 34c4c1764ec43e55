using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Training.Evolution;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Training;

public class AdamTests
{
    [Property(MaxTest = 150, EndSize = 300)]
    public void Vectorised_update_gives_the_scalar_loops_bits(int seed, PositiveInt length, PositiveInt steps, NonNegativeInt cut)
    {
        // Odd sizes and a range that starts anywhere reach the vector body and the scalar tail; moments and gradients
        // span several magnitudes so the divisions and the square root see more than one exponent.
        int n = length.Get % 203 + 1, start = cut.Get % n;
        var data = new Seeded(seed);
        var adam = new Adam(n, 0.01);
        var twin = new Adam(n, 0.01);
        float[] parameters = data.Uniform(n, -3f, 3f), twinParameters = [.. parameters];
        for (int step = 0; step < steps.Get % 7 + 1; step++)
        {
            var gradient = data.Uniform(n, -1f, 1f).Select((g, i) => g * MathF.Pow(10, i % 5 - 2)).ToArray();
            adam.Advance();
            twin.Advance();
            adam.Update(parameters, gradient, start, n);
            adam.Update(parameters, gradient, 0, start);
            double correction1 = 1 - Math.Pow(twin.Beta1, twin.Steps), correction2 = 1 - Math.Pow(twin.Beta2, twin.Steps);
            twin.UpdateScalar(twinParameters, gradient, twin.FirstMoment, twin.SecondMoment, correction1, correction2);
            Bits.Equal(twinParameters, parameters, $"parameters after step {step + 1}");
            Bits.Equal(twin.FirstMoment, adam.FirstMoment, $"first moment after step {step + 1}");
            Bits.Equal(twin.SecondMoment, adam.SecondMoment, $"second moment after step {step + 1}");
        }
    }

    [Fact]
    public void First_step_moves_each_parameter_by_the_learning_rate_against_its_gradient()
    {
        // Step 1: m = 0.1 g, v = 0.001 g^2, so m_hat = g, v_hat = g^2 and x -= lr g / (|g| + eps) = lr sign(g) for
        // |g| >> eps; a zero gradient leaves its parameter where it is. 17 parameters: a vector body and a tail.
        var gradient = new float[17];
        for (int i = 0; i < gradient.Length; i++) gradient[i] = i % 3 == 0 ? 0f : (i % 2 == 0 ? 2f : -0.5f) * (i + 1);
        var parameters = Enumerable.Repeat(1f, gradient.Length).ToArray();
        var adam = new Adam(gradient.Length, 0.01);
        adam.Step(parameters, gradient);
        for (int i = 0; i < gradient.Length; i++)
        {
            float expected = gradient[i] == 0 ? 1f : 1f - 0.01f * MathF.Sign(gradient[i]);
            Assert.Equal(expected, parameters[i], 6);
            Assert.Equal(0.1f * gradient[i], adam.FirstMoment[i], 6);
            Assert.Equal(0.001f * gradient[i] * gradient[i], adam.SecondMoment[i], 6);
        }
    }

    [Fact]
    public void Updating_allocates_nothing()
    {
        var adam = new Adam(1_001, 0.01);
        var parameters = new float[1_001];
        var gradient = new Seeded(5).Uniform(1_001, -1f, 1f);
        Assert.Equal(0, Allocations.OfWarmedUp(() =>
        {
            adam.Advance();
            adam.Update(parameters, gradient, 0, 1_001);
        }));
    }

    [Fact]
    public void Update_before_advance_is_refused()
    {
        var adam = new Adam(4, 0.01);
        Assert.Throws<InvalidOperationException>(() => adam.Update(new float[4], new float[4], 0, 4));
    }
}
