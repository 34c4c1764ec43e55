using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Copy;

/// <summary>Per-worker scratch: one network (parameters) and one sequence state.</summary>
public sealed class CopyWorker
{
    public CopyWorker(WorkingMemoryNetwork network, CopyTask task)
    {
        Network = network;
        State = new WorkingMemoryState(network);
        Bits = new float[task.Length];
    }

    public WorkingMemoryNetwork Network { get; }
    public WorkingMemoryState State { get; }
    public float[] Bits { get; }
    public float[] Input { get; } = new float[CopyTask.Channels];
}

/// <summary>
/// Fitness of a working-memory network on the copy task: each evaluation runs
/// <see cref="SequencesPerEvaluation"/> independent sequences (fast weights and activity reset before each, DESIGN.md's
/// per-sequence deviation), drawn from the episode seed so all members of a generation see the same sequences.
/// A held-out test set comes from a separate stream that training never touches.
/// </summary>
public readonly struct CopyEvaluator(CopyTask task, MemoryModel model, int hiddenSize, PdlfTermSet terms, int sequencesPerEvaluation,
    bool resetDuringDelay = false) : IFitnessEvaluator<CopyWorker>
{
    private const uint TrainPurpose = 0x434f5054; // "COPT"
    private const uint TestPurpose = 0x434f5058;  // "COPX"

    public CopyTask Task { get; } = task;
    public MemoryModel Model { get; } = model;
    public int HiddenSize { get; } = hiddenSize;
    public PdlfTermSet Terms { get; } = terms;
    public int SequencesPerEvaluation { get; } = sequencesPerEvaluation > 0 ? sequencesPerEvaluation
        : throw new ArgumentOutOfRangeException(nameof(sequencesPerEvaluation), sequencesPerEvaluation, "Sequences per evaluation must be positive.");
    public bool ResetDuringDelay { get; } = resetDuringDelay;

    public int Dimension => new WorkingMemoryNetwork(Model, HiddenSize, Terms).GenomeLength;

    public CopyWorker CreateWorker(int worker) => new(new WorkingMemoryNetwork(Model, HiddenSize, Terms), Task);

    public float Evaluate(CopyWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        worker.Network.Load(parameters);
        var score = new CopyScore();
        for (int s = 0; s < SequencesPerEvaluation; s++)
        {
            var random = new RandomStream(episode.Seed, new StreamId(0, 0, (uint)s, TrainPurpose));
            RunSequence(worker, ref random, ResetDuringDelay, ref score, recorder: null);
        }
        return score.Fitness;
    }

    /// <summary>Scores a genome on <paramref name="sequences"/> held-out sequences (the same ones for any genome).</summary>
    public CopyScore Test(CopyWorker worker, ReadOnlySpan<float> parameters, int sequences, ulong testSeed, bool resetDuringDelay)
    {
        worker.Network.Load(parameters);
        var score = new CopyScore();
        for (int s = 0; s < sequences; s++)
        {
            var random = new RandomStream(testSeed, new StreamId(0, 0, (uint)s, TestPurpose));
            RunSequence(worker, ref random, resetDuringDelay, ref score, recorder: null);
        }
        return score;
    }

    /// <summary>Runs one sequence, optionally recording every step (for plots).</summary>
    public void RunSequence(CopyWorker worker, ref RandomStream random, bool resetDuringDelay, ref CopyScore score, ICopyRecorder? recorder)
    {
        var task = Task;
        task.DrawSequence(ref random, worker.Bits);
        var state = worker.State;
        state.Reset();
        for (int t = 0; t < task.Steps; t++)
        {
            if (resetDuringDelay && task.IsDelayStep(t)) state.ResetActivity();
            task.Input(worker.Bits, t, worker.Input);
            float output = state.Step(worker.Input);
            recorder?.Record(t, worker.Input, output, state);
            if (t >= task.FirstRecallStep) score.Add(output, task.Target(worker.Bits, t));
        }
    }
}

/// <summary>Receives every step of a recorded sequence (membranes, spikes, fast weights for plots).</summary>
public interface ICopyRecorder
{
    void Record(int step, ReadOnlySpan<float> input, float output, WorkingMemoryState state);
}
