using PdlfFast.Training.Gradient;

namespace PdlfFast.Tests.Support;

public static class SequenceLossChecks
{
    /// <summary>A task's dLoss/dOutputs against central differences (step 1e-2) at every output, to 3 decimals.</summary>
    public static void GradientMatchesFiniteDifferences<TTask>(TTask task, float[] outputs, float[] targets) where TTask : struct, ISequenceTask
    {
        var gradient = new float[outputs.Length];
        task.Loss(outputs, targets, gradient, out _);
        for (int k = 0; k < outputs.Length; k++)
        {
            var plus = outputs.ToArray();
            var minus = outputs.ToArray();
            plus[k] += 1e-2f;
            minus[k] -= 1e-2f;
            double numeric = (task.Loss(plus, targets, new float[outputs.Length], out _) - task.Loss(minus, targets, new float[outputs.Length], out _)) / (plus[k] - minus[k]);
            Assert.Equal(numeric, gradient[k], 3);
        }
    }
}
