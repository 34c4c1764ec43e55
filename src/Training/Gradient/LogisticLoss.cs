namespace PdlfFast.Training.Gradient;

/// <summary>The logistic loss of a signed answer, shared by the sequence tasks.</summary>
/// <remarks>Pure and thread-safe. Its derivative with respect to the margin is <c>-1 / (1 + exp(margin))</c>.</remarks>
public static class LogisticLoss
{
    /// <summary><c>log(1 + exp(-margin))</c> for margin = target x output, stable for large |margin|.</summary>
    public static float Of(float margin) =>
        margin > 0 ? MathF.Log(1f + MathF.Exp(-margin)) : -margin + MathF.Log(1f + MathF.Exp(margin));
}
