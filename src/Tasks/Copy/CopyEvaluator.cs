using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Copy;

/// <summary>Per-worker scratch: one network (parameters), a lock-step batch of sequences, and a single-sequence state.</summary>
public sealed class CopyWorker
{
    public CopyWorker(WorkingMemoryNetwork network, CopyTask task, int batch)
    {
        Network = network;
        State = new WorkingMemoryState(network);
        Batch = new WorkingMemoryBatch(network, batch);
        Bits = new float[task.Length];
        BatchBits = new float[batch * task.Length];
    }

    public WorkingMemoryNetwork Network { get; }
    public WorkingMemoryState State { get; }
    public WorkingMemoryBatch Batch { get; }
    public float[] Bits { get; }
    public float[] BatchBits { get; }
    public float[] Input { get; } = new float[CopyTask.Channels];
}

/// <summary>
/// Fitness of a working-memory network on the copy task: each evaluation runs
/// <see cref="SequencesPerEvaluation"/> independent sequences (fast weights and activity reset before each: the
/// per-sequence deviation of docs/design.md, "Network and neuron model"), drawn from the episode seed so all members of a generation see the same sequences.
/// A held-out test set comes from a separate stream that training never touches.
/// </summary>
public readonly struct CopyEvaluator(CopyTask task, MemoryModel model, int hiddenSize, PdlfTermSet terms, int sequencesPerEvaluation,
    float trainResetFraction = 0f, CopyFitness fitness = CopyFitness.Accuracy) : IFitnessEvaluator<CopyWorker>
{
    private const uint TrainPurpose = 0x434f5054; // "COPT"
    private const uint TestPurpose = 0x434f5058;  // "COPX"

    public CopyTask Task { get; } = task;
    public MemoryModel Model { get; } = model;
    public int HiddenSize { get; } = hiddenSize;
    public PdlfTermSet Terms { get; } = terms;
    public int SequencesPerEvaluation { get; } = sequencesPerEvaluation > 0 ? sequencesPerEvaluation
        : throw new ArgumentOutOfRangeException(nameof(sequencesPerEvaluation), sequencesPerEvaluation, "Sequences per evaluation must be positive.");
    /// <summary>
    /// Fraction of each training evaluation's sequences whose activity is wiped during the delay (0 = none, 1 = all):
    /// only a memory held in the plastic synapses scores on those.
    /// </summary>
    public float TrainResetFraction { get; } = trainResetFraction is >= 0f and <= 1f ? trainResetFraction
        : throw new ArgumentOutOfRangeException(nameof(trainResetFraction), trainResetFraction, "The training reset fraction must be in 0..1.");
    /// <summary>Training sequences per evaluation that run with the reset: the first ones, whose bits are as random as any.</summary>
    public int TrainResetSequences => (int)Math.Round(TrainResetFraction * SequencesPerEvaluation, MidpointRounding.AwayFromZero);
    public CopyFitness Fitness { get; } = fitness;

    public int Dimension => new WorkingMemoryNetwork(Model, HiddenSize, Terms).GenomeLength;

    public CopyWorker CreateWorker(int worker) => new(new WorkingMemoryNetwork(Model, HiddenSize, Terms), Task, SequencesPerEvaluation);

    public float Evaluate(CopyWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        worker.Network.Load(parameters);
        var score = new CopyScore();
        RunBatch(worker, episode.Seed, TrainPurpose, 0, SequencesPerEvaluation, TrainResetSequences, ref score);
        return score.FitnessBy(Fitness);
    }

    /// <summary>
    /// Scores a genome on <paramref name="sequences"/> held-out sequences (the same ones for any genome). If
    /// <paramref name="correctByPosition"/> is given (one counter per bit of the sequence), it also counts the correct
    /// recalls of each position, which shows which bits a model remembers.
    /// </summary>
    public CopyScore Test(CopyWorker worker, ReadOnlySpan<float> parameters, int sequences, ulong testSeed, bool resetDuringDelay,
        Span<int> correctByPosition = default)
    {
        if (!correctByPosition.IsEmpty && correctByPosition.Length != Task.Length)
            throw new ArgumentException($"Need one counter per position ({Task.Length}), got {correctByPosition.Length}.", nameof(correctByPosition));
        worker.Network.Load(parameters);
        var score = new CopyScore();
        for (int first = 0; first < sequences; first += worker.Batch.Batch)
        {
            int count = Math.Min(worker.Batch.Batch, sequences - first);
            RunBatch(worker, testSeed, TestPurpose, first, count, resetDuringDelay ? count : 0, ref score, correctByPosition);
        }
        return score;
    }

    /// <summary>
    /// Runs sequences first .. first+count-1 of a stream family in lock-step; each sequence's numbers are exactly what
    /// <see cref="RunSequence"/> computes for it alone; the first <paramref name="resetCount"/> of them have their activity
    /// wiped at every delay step. Allocates nothing.
    /// </summary>
    private void RunBatch(CopyWorker worker, ulong seed, uint purpose, int first, int count, int resetCount, ref CopyScore score,
        Span<int> correctByPosition = default)
    {
        var task = Task;
        var batch = worker.Batch;
        int length = task.Length, channels = CopyTask.Channels;
        var bits = worker.BatchBits.AsSpan(0, batch.Batch * length);
        bits.Clear();
        for (int b = 0; b < count; b++)
        {
            var random = new RandomStream(seed, new StreamId(0, 0, (uint)(first + b), purpose));
            task.DrawSequence(ref random, bits.Slice(b * length, length));
        }
        batch.Reset();
        for (int t = 0; t < task.Steps; t++)
        {
            if (resetCount > 0 && task.IsDelayStep(t)) batch.ResetActivity(resetCount);
            for (int b = 0; b < batch.Batch; b++)
                task.Input(bits.Slice(b * length, length), t, batch.Inputs.AsSpan(b * channels, channels));
            batch.Step();
            if (t < task.FirstRecallStep) continue;
            for (int b = 0; b < count; b++)
            {
                float target = task.Target(bits.Slice(b * length, length), t);
                score.Add(batch.Outputs[b], target);
                if (!correctByPosition.IsEmpty && CopyScore.IsCorrect(batch.Outputs[b], target)) correctByPosition[t - task.FirstRecallStep]++;
            }
        }
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
