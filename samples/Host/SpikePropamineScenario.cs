using PdlfFast.Kernel.Random;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Cue;
using PdlfFast.Tasks.Runs;

namespace PdlfHost;

/// <summary>
/// (d) A SpikePropamine network trained by <c>pdlf train cue</c>, loaded from its checkpoint and stepped one input at
/// a time by the inference-only <see cref="PlasticSnn"/> on cue-task episodes the host draws itself.
/// </summary>
internal static class SpikePropamineScenario
{
    public static int Run(string path)
    {
        if (Checks.Checkpoint(path) is not { } checkpoint) return Checks.UsageError;

        // The run's options and trained parameters travel inside the checkpoint (BPTT or ES alike).
        TrainedPlasticSnn trained = SequenceRun.Load(checkpoint);
        SpikePropamineConfig config = trained.Config;
        if (config.Task != "cue")
        {
            Console.Error.WriteLine($"error: a {config.Task} checkpoint; this scenario runs the cue task (pdlf train cue) ({checkpoint})");
            return Checks.UsageError;
        }
        PlasticSnnSpec spec = trained.Spec;
        CueTask task = config.CueTask;
        float[] parameters = trained.Parameters;

        PlasticSnn network = trained.CreateNetwork();   // one per thread or stream; Reset() starts an episode
        Console.WriteLine($"spikepropamine: {config.Label}, {config.Trainer}, {spec.Inputs}-{spec.Hidden}-{spec.Outputs}, {parameters.Length} parameters; " +
                          $"cue task: {task.Cues} cues of {task.Bits} bits, {task.Length} presentations, noise {task.Noise}, {task.Steps} steps");

        // Episodes drawn by the host from its own random stream (purpose 1000: any stream the host likes).
        var inputs = new float[task.Steps * task.Inputs];
        var targets = new float[task.TargetLength];
        var outputs = new float[task.Steps * task.Outputs];
        var gradient = new float[task.Steps * task.Outputs];
        const int Episodes = 200;
        int correct = 0;
        for (int e = 0; e < Episodes; e++)
        {
            var random = new RandomStream(seed: 2026, new StreamId(Generation: 0, Member: 0, Episode: (uint)e, Purpose: 1000));
            task.Sample(ref random, inputs, targets);
            network.Reset();   // a new episode: activity and plastic traces back to zero
            for (int t = 0; t < task.Steps; t++)
                network.Step(inputs.AsSpan(t * task.Inputs, task.Inputs), outputs.AsSpan(t * task.Outputs, task.Outputs));

            // The decision: the query whose answer step reads highest is the cue the network calls rewarded.
            int decision = 0;
            for (int q = 1; q < task.Cues; q++)
                if (outputs[task.AnswerStep(q)] > outputs[task.AnswerStep(decision)]) decision = q;
            bool right = targets[decision] > 0;
            correct += right ? 1 : 0;

            if (e == 0)
            {
                float loss = task.Loss(outputs, targets, gradient, out float accuracy);
                int rewarded = Array.IndexOf(targets, 1f);
                Console.WriteLine($"  episode 0: answers {string.Join(" ", Enumerable.Range(0, task.Cues).Select(q => outputs[task.AnswerStep(q)].ToString("F3")))}; " +
                                  $"rewarded query {rewarded}, decision {decision} ({(right ? "right" : "wrong")}), loss {loss:F4}, " +
                                  $"plastic trace |H_in| max {MaxAbs(network.InputPlasticTrace):F4}");
            }
        }
        double hostAccuracy = (double)correct / Episodes;
        Console.WriteLine($"spikepropamine: accuracy {hostAccuracy:F3} on {Episodes} host episodes (chance {task.Chance:F2})");
        return 0;
    }

    private static float MaxAbs(ReadOnlySpan<float> values)
    {
        float max = 0f;
        foreach (float v in values) max = MathF.Max(max, MathF.Abs(v));
        return max;
    }
}
