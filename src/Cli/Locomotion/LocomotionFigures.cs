using PdlfFast.Tasks.Runs;
using PdlfFast.Cli.Plots;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Cli.Locomotion;

/// <summary>Return on one target; <see cref="Trained"/> marks the 8 training targets.</summary>
public readonly record struct GeneralisationPoint(float Target, double Return, bool Trained);

/// <summary>Evaluations behind the locomotion figures (injury, generalisation).</summary>
public static class LocomotionFigures
{
    /// <summary>Runs the policy on the training targets and <paramref name="count"/> unseen ones (one episode each).</summary>
    public static IReadOnlyList<GeneralisationPoint> Generalisation(TrainedPolicy policy, int count)
    {
        var setup = policy.Config.Setup();
        var task = setup.Task;
        using var model = MuJoCoModel.FromEmbedded(task.ModelName);
        var targets = Enumerable.Range(0, count).Select(i => (Target: task.GeneralisationTarget(i, count), Trained: false))
            .Concat(Enumerable.Range(0, setup.Task.TrainingTargetCount).Select(k => (Target: task.TrainingTarget(k), Trained: true)))
            .OrderBy(t => t.Target).ToArray();
        var results = new GeneralisationPoint[targets.Length];
        // Episodes are independent: one worker (own simulation data) per thread, results by index.
        Parallel.For(0, targets.Length, () => new LocomotionWorker(setup, model), (i, _, worker) =>
        {
            var recorder = new NoRecorder();
            double r = worker.RunEpisode(policy.Parameters, targets[i].Target, LocomotionRun.TestSeed + (ulong)i,
                policy.Normaliser, null, ref recorder);
            results[i] = new GeneralisationPoint(targets[i].Target, r, targets[i].Trained);
            return worker;
        }, worker => worker.Dispose());
        return results;
    }

    /// <summary>
    /// Temporary injury: reward per step, mean over the training targets, with and without the injury; output
    /// weights before, during and after it; return against the permanently injured fraction; and the PCA embedding
    /// of hidden traces.
    /// </summary>
    public static IReadOnlyList<string> WriteFigures(TrainedPolicy policy, MuJoCoModel model, string directory)
    {
        var setup = policy.Config.Setup();
        int steps = setup.EpisodeSteps;
        var files = new List<string>();
        var temporary = Injury.TemporaryFor(steps);
        if (steps > temporary.LastStep && setup.TemporaryInjuryApplies)
        {
            var healthy = RewardTrace(policy, model, Injury.None, null);
            // Output weights change within an episode only under PDLF (SpikePropamine's readout is fixed, its H is not an output layer).
            var weights = setup.Policy == LocomotionPolicyKind.Pdlf
                ? new WeightRecorder(setup.Spec.Output, [temporary.FirstStep - 1, temporary.LastStep, temporary.LastStep + 50, steps])
                : null;
            var injured = RewardTrace(policy, model, temporary, weights);
            string curve = Path.Combine(directory, "injury-temporary.png");
            LocomotionPlots.InjuryRecovery($"{policy.Config.Label} on {setup.Task.Name}: temporary injury", healthy, injured,
                temporary.FirstStep, temporary.LastStep, curve);
            files.Add(curve);
            if (weights is not null)
            {
                string heat = Path.Combine(directory, "injury-weights.png");
                LocomotionPlots.WeightSnapshots(weights.Snapshots, $"{setup.Task.Name}, target {setup.Task.TrainingTarget(0):F2}: output weights", heat);
                files.Add(heat);
            }
        }
        var fractions = new[] { 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95 };
        var points = new (double, double)[fractions.Length];
        Parallel.For(0, fractions.Length, i =>
        {
            using var worker = new LocomotionWorker(setup, model) { Injury = Injury.Permanent(fractions[i]) };
            var perTarget = new double[setup.Task.TrainingTargetCount];
            points[i] = (fractions[i], LocomotionRun.TestTrainingTargets(worker, policy.Parameters, policy.Normaliser, perTarget));
        });
        string permanent = Path.Combine(directory, "injury-permanent.png");
        LocomotionPlots.PermanentInjury($"{policy.Config.Label} on {setup.Task.Name}: permanent injury", points, permanent);
        files.Add(permanent);
        files.Add(WriteEmbedding(policy, model, directory));
        return files;
    }

    /// <summary>
    /// Hidden-layer traces of one episode per training target (every 10th step after the first 100), projected on
    /// their first two principal components and coloured by target: does the network represent the task?
    /// </summary>
    public static string WriteEmbedding(TrainedPolicy policy, MuJoCoModel model, string directory)
    {
        var setup = policy.Config.Setup();
        var samples = new List<double[]>();
        var labels = new List<int>();
        using var worker = new LocomotionWorker(setup, model);
        for (int k = 0; k < setup.Task.TrainingTargetCount; k++)
        {
            var recorder = new TraceRecorder(samples, labels, k);
            worker.RunEpisode(policy.Parameters, setup.Task.TrainingTarget(k), LocomotionRun.TestSeed + (ulong)k, policy.Normaliser, null, ref recorder);
        }
        string file = Path.Combine(directory, "embedding.png");
        if (samples.Count < 2) return file;
        var projected = Pca.Project(samples);
        var groups = Enumerable.Range(0, setup.Task.TrainingTargetCount)
            .Select(k => ($"target {setup.Task.TrainingTarget(k):F2}", projected.Where((_, i) => labels[i] == k).ToArray()))
            .ToArray();
        LocomotionPlots.Embedding($"{policy.Config.Label} on {setup.Task.Name}: hidden traces (PCA)", groups, file);
        return file;
    }

    private readonly struct TraceRecorder(List<double[]> samples, List<int> labels, int label) : ILocomotionRecorder
    {
        public void BeforeStep(int step, LocomotionWorker worker) { }

        public void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result)
        {
            if (step <= 100 || step % 10 != 0) return;
            var trace = worker.HiddenTrace;
            var row = new double[trace.Length];
            for (int i = 0; i < row.Length; i++) row[i] = trace[i];
            samples.Add(row);
            labels.Add(label);
        }
    }

    private static double[] RewardTrace(TrainedPolicy policy, MuJoCoModel model, Injury injury, WeightRecorder? weights)
    {
        var setup = policy.Config.Setup();
        var sum = new double[setup.EpisodeSteps];
        using var worker = new LocomotionWorker(setup, model) { Injury = injury };
        for (int k = 0; k < setup.Task.TrainingTargetCount; k++)
        {
            var recorder = new RewardRecorder(sum, k == 0 ? weights : null);
            worker.RunEpisode(policy.Parameters, setup.Task.TrainingTarget(k), LocomotionRun.TestSeed + (ulong)k,
                policy.Normaliser, null, ref recorder);
        }
        for (int t = 0; t < sum.Length; t++) sum[t] /= setup.Task.TrainingTargetCount;
        return sum;
    }

    private struct RewardRecorder(double[] sum, WeightRecorder? weights) : ILocomotionRecorder
    {
        public readonly void BeforeStep(int step, LocomotionWorker worker) { }

        public readonly void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result)
        {
            sum[step - 1] += result.Reward;
            weights?.After(step, worker);
        }
    }

    private sealed class WeightRecorder(Kernel.Layers.LayerShape shape, int[] steps)
    {
        public List<(string Label, double[,] Weights)> Snapshots { get; } = [];

        public void After(int step, LocomotionWorker worker)
        {
            if (!steps.Contains(step)) return;
            var dense = new float[shape.Rows * shape.Columns];
            worker.State!.CopyEffectiveWeights(2, dense);
            var map = new double[shape.Columns, shape.Rows];
            for (int i = 0; i < shape.Rows; i++)
                for (int j = 0; j < shape.Columns; j++) map[j, i] = dense[i * shape.Columns + j];
            Snapshots.Add(($"after step {step}", map));
        }
    }
}
