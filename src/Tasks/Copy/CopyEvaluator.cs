using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Copy;

/// <summary>Per-worker scratch: one network (parameters), a lock-step batch of sequences, and a single-sequence state.</summary>
/// <remarks>
/// Made by <see cref="CopyEvaluator.CreateWorker"/>, one per thread; never shared between threads. Hosts read it after
/// <see cref="CopyEvaluator.RunSequence"/> (the bits drawn, the state for plots); the batch scratch is the evaluator's.
/// </remarks>
public sealed class CopyWorker
{
    internal CopyWorker(WorkingMemoryNetwork network, CopyTask task, int batch)
    {
        Network = network;
        State = new WorkingMemoryState(network);
        Batch = new WorkingMemoryBatch(network, batch);
        Bits = new float[task.Length];
        BatchBits = new float[batch * task.Length];
    }

    /// <summary>This worker's copy of the network; every evaluation loads the genome it scores into it.</summary>
    public WorkingMemoryNetwork Network { get; }
    /// <summary>The single-sequence state <see cref="CopyEvaluator.RunSequence"/> steps (and hands to its recorder).</summary>
    public WorkingMemoryState State { get; }
    /// <summary>The lock-step batch that training and test evaluations run (one row per sequence).</summary>
    internal WorkingMemoryBatch Batch { get; }
    /// <summary>The bits (+1 / -1, Len values) of the sequence <see cref="CopyEvaluator.RunSequence"/> ran last.</summary>
    public float[] Bits { get; }
    /// <summary>Batch x Len bits of the batch in flight.</summary>
    internal float[] BatchBits { get; }
    /// <summary>One step's input for <see cref="CopyEvaluator.RunSequence"/>.</summary>
    internal float[] Input { get; } = new float[CopyTask.Channels];
}

/// <summary>
/// Fitness of a working-memory network on the copy task: each evaluation runs
/// <see cref="SequencesPerEvaluation"/> independent sequences (fast weights and activity reset before each: the
/// per-sequence deviation of docs/design.md, "Network and neuron model"), drawn from the episode seed so all members of a generation see the same sequences.
/// A held-out test set comes from a separate stream that training never touches.
/// </summary>
/// <remarks>
/// An immutable struct (the ES driver is specialised for it): a training evaluation's score depends only on the
/// genome and <see cref="EpisodeContext.Seed"/>, never on the worker or thread, so results are the same bits for any
/// thread count and vector width. Sequence b of an evaluation is drawn from stream (seed, 0, 0, b, "COPT"); test
/// sequences from (testSeed, 0, 0, b, "COPX").
/// </remarks>
/// <param name="task">Sequence length and delay.</param>
/// <param name="model">Which working-memory model is evolved.</param>
/// <param name="hiddenSize">H of the plastic path and the GRU.</param>
/// <param name="terms">Terms of the PDLF rule (ignored by the GRU baseline).</param>
/// <param name="sequencesPerEvaluation">Sequences averaged per fitness evaluation (the reference uses 512), at least 1.</param>
/// <param name="trainResetFraction">Share of training sequences run under the activity-reset probe, 0..1.</param>
/// <param name="fitness">What the evaluation returns as fitness.</param>
public readonly struct CopyEvaluator(CopyTask task, MemoryModel model, int hiddenSize, PdlfTermSet terms, int sequencesPerEvaluation,
    float trainResetFraction = 0f, CopyFitness fitness = CopyFitness.Accuracy) : IFitnessEvaluator<CopyWorker>
{
    private const uint TrainPurpose = 0x434f5054; // "COPT"
    private const uint TestPurpose = 0x434f5058;  // "COPX"

    /// <summary>Sequence length and delay.</summary>
    public CopyTask Task { get; } = task;
    /// <summary>Which working-memory model is evolved.</summary>
    public MemoryModel Model { get; } = model;
    /// <summary>H of the plastic path and the GRU.</summary>
    public int HiddenSize { get; } = hiddenSize;
    /// <summary>Terms of the PDLF rule.</summary>
    public PdlfTermSet Terms { get; } = terms;
    /// <summary>Sequences per fitness evaluation (run in lock-step as one batch); each starts with zero fast weights.</summary>
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
    /// <summary>What <see cref="Evaluate"/> returns: accuracy with a tie-break, or minus the squared error.</summary>
    public CopyFitness Fitness { get; } = fitness;

    /// <summary>Genome length the ES searches (builds a network to ask it; use <see cref="WorkingMemoryNetwork.GenomeLengthOf"/> to avoid the allocation).</summary>
    public int Dimension => new WorkingMemoryNetwork(Model, HiddenSize, Terms).GenomeLength;

    /// <summary>A worker's scratch: its own network copy, a batch of <see cref="SequencesPerEvaluation"/> sequences and a single-sequence state.</summary>
    /// <param name="worker">Index of the worker thread (unused: workers are interchangeable).</param>
    public CopyWorker CreateWorker(int worker) => new(new WorkingMemoryNetwork(Model, HiddenSize, Terms), Task, SequencesPerEvaluation);

    /// <summary>
    /// One fitness evaluation: loads <paramref name="parameters"/> into the worker's network and runs
    /// <see cref="SequencesPerEvaluation"/> training sequences drawn from <paramref name="episode"/>'s seed (the first
    /// <see cref="TrainResetSequences"/> under the activity-reset probe). Allocates nothing.
    /// </summary>
    /// <param name="worker">The calling thread's scratch.</param>
    /// <param name="parameters">The genome, <see cref="Dimension"/> values.</param>
    /// <param name="episode">Which evaluation; only its seed matters (shared by a generation under common random numbers).</param>
    /// <returns>The fitness chosen by <see cref="Fitness"/>; higher is better.</returns>
    public float Evaluate(CopyWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        worker.Network.Load(parameters);
        var score = new CopyScore();
        RunBatch(worker, episode.Seed, TrainPurpose, 0, SequencesPerEvaluation, TrainResetSequences, ref score);
        return score.FitnessBy(Fitness);
    }

    /// <summary>
    /// Scores a genome on <paramref name="sequences"/> held-out sequences (the same ones for any genome), intact or under
    /// one of the working-memory probes (docs/design.md, "Paper probes"). If <paramref name="correctByPosition"/> is
    /// given (one counter per bit of the sequence), it also counts the correct recalls of each position, which shows
    /// which bits a model remembers.
    /// </summary>
    /// <param name="worker">Scratch from <see cref="CreateWorker"/>; its network is overwritten.</param>
    /// <param name="parameters">The genome to score (e.g. the ES mean).</param>
    /// <param name="sequences">Held-out sequences to score, at least 1.</param>
    /// <param name="testSeed">Seed of the test stream; runs use <see cref="PdlfFast.Tasks.Runs.CopyRun.TestSeed"/>.</param>
    /// <param name="probe">What is reset, and when.</param>
    /// <param name="correctByPosition">Empty, or Len counters that are incremented (not cleared) per correct recall.</param>
    /// <exception cref="ArgumentException"><paramref name="correctByPosition"/> is neither empty nor Len long.</exception>
    public CopyScore Test(CopyWorker worker, ReadOnlySpan<float> parameters, int sequences, ulong testSeed, CopyProbe probe,
        Span<int> correctByPosition = default)
    {
        if (!correctByPosition.IsEmpty && correctByPosition.Length != Task.Length)
            throw new ArgumentException($"Need one counter per position ({Task.Length}), got {correctByPosition.Length}.", nameof(correctByPosition));
        worker.Network.Load(parameters);
        var score = new CopyScore();
        for (int first = 0; first < sequences; first += worker.Batch.Batch)
        {
            int count = Math.Min(worker.Batch.Batch, sequences - first);
            RunBatch(worker, testSeed, TestPurpose, first, count, probe == CopyProbe.WipeDuringDelay ? count : 0, ref score, correctByPosition,
                resetMembranesAfterInput: probe == CopyProbe.ResetMembranesAfterInput);
        }
        return score;
    }

    /// <summary>
    /// Runs sequences first .. first+count-1 of a stream family in lock-step; each sequence's numbers are exactly what
    /// <see cref="RunSequence"/> computes for it alone; the first <paramref name="resetCount"/> of them have their activity
    /// wiped at every delay step. Allocates nothing.
    /// </summary>
    private void RunBatch(CopyWorker worker, ulong seed, uint purpose, int first, int count, int resetCount, ref CopyScore score,
        Span<int> correctByPosition = default, bool resetMembranesAfterInput = false)
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
            if (resetMembranesAfterInput && t == task.Length) batch.ResetMembranes(count);
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
    /// <remarks>
    /// Uses the worker's single-sequence state and whatever genome its network holds (load one with
    /// <c>worker.Network.Load</c> first); the bits drawn are left in <see cref="CopyWorker.Bits"/>. Gives the same
    /// outputs as the batched training path for the same sequence.
    /// </remarks>
    /// <param name="worker">Scratch from <see cref="CreateWorker"/>, with the genome loaded.</param>
    /// <param name="random">Stream the sequence's bits are drawn from (advanced by Len draws).</param>
    /// <param name="probe">The working-memory probe to apply, or <see cref="CopyProbe.None"/>.</param>
    /// <param name="score">Receives the sequence's Len recall steps.</param>
    /// <param name="recorder">Sees every step, or null.</param>
    public void RunSequence(CopyWorker worker, ref RandomStream random, CopyProbe probe, ref CopyScore score, ICopyRecorder? recorder)
    {
        var task = Task;
        task.DrawSequence(ref random, worker.Bits);
        var state = worker.State;
        state.Reset();
        for (int t = 0; t < task.Steps; t++)
        {
            if (probe == CopyProbe.WipeDuringDelay && task.IsDelayStep(t)) state.ResetActivity();
            if (probe == CopyProbe.ResetMembranesAfterInput && t == task.Length) state.Snn?.Membrane.Clear();
            task.Input(worker.Bits, t, worker.Input);
            float output = state.Step(worker.Input);
            recorder?.Record(t, worker.Input, output, state);
            if (t >= task.FirstRecallStep) score.Add(output, task.Target(worker.Bits, t));
        }
    }
}

/// <summary>The working-memory probes of the copy task (docs/design.md, "Paper probes").</summary>
public enum CopyProbe
{
    /// <summary>Intact: nothing is reset.</summary>
    None,
    /// <summary>Ours, the stricter one: membranes, spike traces and GRU state zeroed at every delay step (synapses kept).</summary>
    WipeDuringDelay,
    /// <summary>
    /// The paper's (Fig. 2D): LIF membrane potentials set to 0 once, right after the last input bit (before step Len);
    /// spike traces, fast weights and the GRU state are kept (a GRU has no membrane).
    /// </summary>
    ResetMembranesAfterInput,
}

/// <summary>Receives every step of a recorded sequence (membranes, spikes, fast weights for plots).</summary>
public interface ICopyRecorder
{
    /// <summary>Called after each step of <see cref="CopyEvaluator.RunSequence"/>, with the state as the step left it.</summary>
    /// <param name="step">0-based step of the episode.</param>
    /// <param name="input">The step's <see cref="CopyTask.Channels"/> inputs.</param>
    /// <param name="output">The summed readout.</param>
    /// <param name="state">The live state (valid only during the call; copy what you keep).</param>
    void Record(int step, ReadOnlySpan<float> input, float output, WorkingMemoryState state);
}
