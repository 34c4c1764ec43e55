using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;
using PdlfFast.Tasks.Runs;

namespace PdlfHost;

/// <summary>
/// (c) A locomotion policy trained by <c>pdlf train TASK</c> (e.g. swimmer_dir), loaded from its checkpoint and run
/// on MuJoCo: one episode per training target, with the observation statistics the policy was trained with.
/// </summary>
internal static class CheckpointScenario
{
    public static int Run(string path)
    {
        if (Checks.Checkpoint(path) is not { } checkpoint) return Checks.UsageError;

        // Physics needs Linux, Debian's libmujoco2.2.2 and the shim the PdlfFast.Tasks package carries
        // (runtimes/linux-x64/native). Ask first, so the host can say what is missing instead of failing later.
        if (MuJoCoAvailability.Diagnose() is { } problem)
        {
            Console.Error.WriteLine($"error: MuJoCo is not usable: {problem}");
            return 1;
        }
        if (!LocomotionRun.IsLocomotionCheckpoint(checkpoint))
        {
            Console.Error.WriteLine($"error: not a locomotion checkpoint (written by pdlf train copy?) ({checkpoint})");
            return Checks.UsageError;
        }

        // The trained policy: its config, the strategy's mean (the genome) and frozen observation statistics.
        TrainedPolicy policy = LocomotionRun.Load(checkpoint);
        LocomotionSetup setup = policy.Config.Setup();
        Console.WriteLine($"checkpoint: {setup.Task.Name}, {setup.Label}, {setup.Spec.InputSize}-{setup.Spec.HiddenSize}-{setup.Spec.OutputSize}, " +
                          $"{policy.Parameters.Length} parameters, {policy.Generation} generations, {setup.EpisodeSteps} steps per episode");

        // One read-only model, one worker (its own MuJoCo data, network state and rule) per thread.
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model);
        double sum = 0;
        for (int k = 0; k < setup.Task.TrainingTargetCount; k++)
        {
            float target = setup.Task.TrainingTarget(k);
            // Test episode 0 of target k starts from reset seed TestSeed + k: the episodes of the training log's test.
            ulong seed = LocomotionRun.TestSeed + (ulong)k;
            var recorder = new EpisodeRecorder();
            double episodeReturn = worker.RunEpisode(policy.Parameters, target, seed, policy.Normaliser, collect: null, ref recorder);
            sum += episodeReturn;
            Console.WriteLine($"  target {target,7:F3}: return {episodeReturn,9:F4} over {recorder.Steps} steps, " +
                              $"mean |action| {recorder.ActionSum / Math.Max(1, recorder.Steps * setup.Spec.OutputSize):F3}" +
                              (recorder.Unstable ? " (unstable)" : ""));
        }
        double mean = sum / setup.Task.TrainingTargetCount;
        Console.WriteLine($"checkpoint: mean return over the {setup.Task.TrainingTargetCount} training targets {mean:F4}");
        return double.IsFinite(mean) ? 0 : 1;
    }

    /// <summary>Sees every step of an episode (a struct: the worker's episode loop is compiled for it, no boxing).</summary>
    private struct EpisodeRecorder : ILocomotionRecorder
    {
        public int Steps;
        public double ActionSum;
        public bool Unstable;

        public readonly void BeforeStep(int step, LocomotionWorker worker) { }

        public void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result)
        {
            Steps = step;
            foreach (float a in worker.Action) ActionSum += Math.Abs(a);
            Unstable |= result.Unstable;
        }
    }
}
