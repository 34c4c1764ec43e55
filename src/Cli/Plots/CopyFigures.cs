using PdlfFast.Tasks.Runs;
using PdlfFast.Kernel.Random;
using PdlfFast.Tasks.Copy;

namespace PdlfFast.Cli.Plots;

/// <summary>The figures of a trained copy-task model: fast-weight snapshots and activity rasters.</summary>
public static class CopyFigures
{
    public static IReadOnlyList<string> Write(CopyConfig config, float[] mean, string directory)
    {
        var files = new List<string>();
        var evaluator = config.Evaluator();
        var worker = evaluator.CreateWorker(0);
        worker.Network.Load(mean);
        var task = config.Task;
        if (worker.State.Snn is not null && worker.Network.Rule is not null) // fast weights exist only with plasticity
        {
            // Fast weights at the end of the delay for a few held-out sequences: what the synapses remember.
            var snapshots = new List<(string, double[,])>();
            for (uint s = 0; s < 3; s++)
            {
                var recorder = new SnapshotRecorder(task.Length + task.Latency - 1);
                var random = new RandomStream(CopyRun.TestSeed, new StreamId(0, 0, s, 0x46494753)); // "FIGS"
                var score = new CopyScore();
                evaluator.RunSequence(worker, ref random, CopyProbe.None, ref score, recorder);
                string bits = string.Concat(worker.Bits.Select(b => b > 0 ? '1' : '0'));
                snapshots.Add(($"after sequence {bits}", recorder.Weights!));
            }
            // The sequence-specific part is small next to what every sequence writes: show the common part once, then
            // each snapshot's deviation from it.
            int rows = snapshots[0].Item2.GetLength(0), cols = snapshots[0].Item2.GetLength(1);
            var common = new double[rows, cols];
            foreach (var (_, w) in snapshots)
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) common[i, j] += w[i, j] / snapshots.Count;
            var weightPanels = new List<(string, double[,])> { ("mean over the sequences", common) };
            foreach (var (label, w) in snapshots)
            {
                var deviation = new double[rows, cols];
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) deviation[i, j] = w[i, j] - common[i, j];
                weightPanels.Add(($"{label}, minus the mean", deviation));
            }
            string path = Path.Combine(directory, "weights.png");
            CopyPlots.WeightSnapshots(weightPanels, $"{config.Task}: layer-1 fast weights at the end of the delay (rows: bit, present, recall channels)", path);
            files.Add(path);
        }
        var panels = new List<(string, double[,], double[], double[], int, int)>();
        foreach (bool reset in new[] { false, true })
        {
            var recorder = new ActivityRecorder(task.Steps, config.Hidden);
            var random = new RandomStream(CopyRun.TestSeed, new StreamId(0, 0, 0, 0x46494753));
            var score = new CopyScore();
            evaluator.RunSequence(worker, ref random, reset ? CopyProbe.WipeDuringDelay : CopyProbe.None, ref score, recorder);
            var target = Enumerable.Range(0, task.Steps).Select(t => (double)task.Target(worker.Bits, t)).ToArray();
            string what = worker.State.Snn is not null ? "LIF membranes" : "GRU state";
            panels.Add(($"{what}, {(reset ? "activity reset during the delay" : "no reset")} (accuracy {score.Accuracy:F2})", recorder.Membranes,
                recorder.Output, target, task.Length, task.Length + task.Latency));
        }
        string raster = Path.Combine(directory, "activity.png");
        CopyPlots.ActivityRaster(panels, raster);
        files.Add(raster);
        string positions = Path.Combine(directory, "recall-by-position.png");
        CopyPlots.RecallByPosition(
            [("no reset", RecallByPosition(evaluator, worker, config, mean, resetDuringDelay: false)),
             ("activity reset during the delay", RecallByPosition(evaluator, worker, config, mean, resetDuringDelay: true))],
            $"{config.Task}: which bits the {config.Model} model recalls ({config.TestSequences} held-out sequences)", positions);
        files.Add(positions);
        return files;
    }

    /// <summary>Test accuracy of each sequence position on the run's held-out sequences.</summary>
    private static double[] RecallByPosition(CopyEvaluator evaluator, CopyWorker worker, CopyConfig config, float[] mean, bool resetDuringDelay)
    {
        var correct = new int[config.Length];
        evaluator.Test(worker, mean, config.TestSequences, CopyRun.TestSeed, resetDuringDelay ? CopyProbe.WipeDuringDelay : CopyProbe.None, correct);
        return correct.Select(c => (double)c / config.TestSequences).ToArray();
    }

    private sealed class SnapshotRecorder(int step) : ICopyRecorder
    {
        public double[,]? Weights { get; private set; }

        public void Record(int t, ReadOnlySpan<float> input, float output, WorkingMemoryState state)
        {
            if (t != step || state.Snn is null) return;
            var spec = state.Snn.Spec;
            var dense = new float[spec.Input.Synapses];
            state.Snn.CopyEffectiveWeights(1, dense);
            Weights = new double[spec.InputSize, spec.HiddenSize];
            for (int i = 0; i < spec.InputSize; i++)
                for (int j = 0; j < spec.HiddenSize; j++) Weights[i, j] = dense[i * spec.HiddenSize + j];
        }
    }

    private sealed class ActivityRecorder(int steps, int hidden) : ICopyRecorder
    {
        public double[,] Membranes { get; } = new double[hidden, steps];
        public double[] Output { get; } = new double[steps];

        public void Record(int t, ReadOnlySpan<float> input, float output, WorkingMemoryState state)
        {
            Output[t] = output;
            if (state.Snn is not null)
                for (int j = 0; j < hidden; j++) Membranes[j, t] = state.Snn.Membrane[j];
            else if (state.Gru is not null)
                for (int j = 0; j < hidden; j++) Membranes[j, t] = state.Gru.Hidden[j];
        }
    }
}
