namespace PdlfFast.Training.Evolution;

/// <summary>
/// Adam (Kingma and Ba 2015) on a parameter vector, minimising, as jax.example_libraries.optimizers.adam applies
/// it: <c>m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; x -= lr * m_hat / (sqrt(v_hat) + eps)</c>.
/// State is explicit (<see cref="FirstMoment"/>, <see cref="SecondMoment"/>, <see cref="Steps"/>) so it can be
/// checkpointed. Element-wise in double precision, single-threaded: the same bits on any machine.
/// </summary>
public sealed class Adam
{
    public Adam(int dimension, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a positive finite number.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        FirstMoment = new float[dimension];
        SecondMoment = new float[dimension];
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public float[] FirstMoment { get; }
    public float[] SecondMoment { get; }
    public long Steps { get; set; }

    /// <summary>One descent step of <paramref name="parameters"/> along <paramref name="gradient"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        if (parameters.Length != FirstMoment.Length || gradient.Length != FirstMoment.Length)
            throw new ArgumentException($"Adam has dimension {FirstMoment.Length}; got {parameters.Length} parameters and {gradient.Length} gradients.");
        Advance();
        Update(parameters, gradient, 0, parameters.Length);
    }

    /// <summary>Starts a step: <see cref="Update"/> then applies step <see cref="Steps"/> to any range of parameters.</summary>
    public void Advance() => Steps++;

    /// <summary>
    /// Applies the current step to parameters [start, end). Element-wise, so disjoint ranges may run on different
    /// threads and the result does not depend on how the range was split.
    /// </summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradient, int start, int end)
    {
        if (Steps < 1) throw new InvalidOperationException("Call Advance before Update.");
        double correction1 = 1 - Math.Pow(Beta1, Steps), correction2 = 1 - Math.Pow(Beta2, Steps);
        for (int i = start; i < end; i++)
        {
            double g = gradient[i];
            double m = Beta1 * FirstMoment[i] + (1 - Beta1) * g;
            double v = Beta2 * SecondMoment[i] + (1 - Beta2) * g * g;
            FirstMoment[i] = (float)m;
            SecondMoment[i] = (float)v;
            parameters[i] = (float)(parameters[i] - LearningRate * (m / correction1) / (Math.Sqrt(v / correction2) + Epsilon));
        }
    }

    public void WriteState(BinaryWriter writer)
    {
        StrategyChecks.WriteFloats(writer, FirstMoment);
        StrategyChecks.WriteFloats(writer, SecondMoment);
        writer.Write(Steps);
    }

    public void ReadState(BinaryReader reader)
    {
        StrategyChecks.ReadFloats(reader, FirstMoment, "Adam first moment");
        StrategyChecks.ReadFloats(reader, SecondMoment, "Adam second moment");
        Steps = reader.ReadInt64();
    }

    public void Reset()
    {
        Array.Clear(FirstMoment);
        Array.Clear(SecondMoment);
        Steps = 0;
    }
}
