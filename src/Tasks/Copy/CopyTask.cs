using PdlfFast.Kernel.Random;

namespace PdlfFast.Tasks.Copy;

/// <summary>
/// The working-memory copy task (docs/design.md, "Tasks"). Three input channels per step: (bit, presenting flag, recall
/// flag). The network sees a random binary sequence of <see cref="Length"/> bits, then <see cref="Latency"/> empty
/// steps, then the recall flag for <see cref="Length"/> + 1 steps; its output on the last <see cref="Length"/> of
/// those (the first recall step is the cue) must reproduce the bits in order. Accuracy is the fraction of recalled
/// bits whose output sign matches; chance is 0.5.
/// Bits are presented as +1 / -1 on the bit channel (a 0/1 code would make every 0 bit silent and invisible to a
/// memory held in synapses); the target for bit b is +1 or -1 likewise.
/// </summary>
public sealed record CopyTask
{
    public const int Channels = 3;
    public const int MaxLength = 1024;

    public CopyTask(int length, int latency)
    {
        if (length < 1 || length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Sequence length must be in 1..{MaxLength}.");
        if (latency < 0 || latency > 16 * MaxLength)
            throw new ArgumentOutOfRangeException(nameof(latency), latency, $"Latency must be in 0..{16 * MaxLength}.");
        Length = length;
        Latency = latency;
    }

    public int Length { get; }
    public int Latency { get; }

    /// <summary>Steps of one episode: presentation, delay, cue, recall.</summary>
    public int Steps => Length + Latency + 1 + Length;
    /// <summary>First step whose output is scored.</summary>
    public int FirstRecallStep => Length + Latency + 1;
    public bool IsDelayStep(int step) => step >= Length && step < Length + Latency;

    /// <summary>Draws an episode's bits (+1 / -1) from the stream; the caller chooses the stream (train or test).</summary>
    public void DrawSequence(ref RandomStream random, Span<float> bits)
    {
        if (bits.Length != Length) throw new ArgumentException($"Bits span has {bits.Length} values; the task has length {Length}.", nameof(bits));
        for (int i = 0; i < bits.Length; i++) bits[i] = random.NextBool() ? 1f : -1f;
    }

    /// <summary>The input of one step into a span of <see cref="Channels"/> values.</summary>
    public void Input(ReadOnlySpan<float> bits, int step, Span<float> input)
    {
        if ((uint)step >= (uint)Steps) throw new ArgumentOutOfRangeException(nameof(step), step, $"Step must be in 0..{Steps - 1}.");
        input[0] = step < Length ? bits[step] : 0f;
        input[1] = step < Length ? 1f : 0f;
        input[2] = step >= Length + Latency ? 1f : 0f;
    }

    /// <summary>The target (+1 / -1) of a recall step, or 0 where the output is not scored.</summary>
    public float Target(ReadOnlySpan<float> bits, int step) => step >= FirstRecallStep && step < Steps ? bits[step - FirstRecallStep] : 0f;

    public override string ToString() => $"copy Len {Length} Lat {Latency}";
}

/// <summary>Accumulates one or more episodes' recall accuracy and a smooth error for evolution.</summary>
public struct CopyScore
{
    public int Recalled { get; private set; }
    public int Correct { get; private set; }
    public double SquaredError { get; private set; }

    /// <summary>Scores one recall step: correct when the output has the target's sign (0 counts as wrong).</summary>
    public void Add(float output, float target)
    {
        Recalled++;
        if (IsCorrect(output, target)) Correct++;
        double e = Math.Tanh(output) - target;
        SquaredError += e * e;
    }

    /// <summary>A recall is correct when the output has the target's sign; 0 counts as wrong.</summary>
    public static bool IsCorrect(float output, float target) => output * target > 0f;

    public readonly double Accuracy => Recalled == 0 ? double.NaN : (double)Correct / Recalled;
    /// <summary>Fitness for evolution: accuracy plus a small smooth term so ties between equal accuracies still rank.</summary>
    public readonly float Fitness => Recalled == 0 ? float.NaN : (float)(Accuracy - 0.01 * SquaredError / Recalled);
    /// <summary>Minus the mean squared error of tanh(output): graded even where a bit's sign does not change.</summary>
    public readonly float NegativeSquaredError => Recalled == 0 ? float.NaN : (float)(-SquaredError / Recalled);

    public readonly float FitnessBy(CopyFitness kind) => kind == CopyFitness.SquaredError ? NegativeSquaredError : Fitness;
}

/// <summary>What evolution maximises on the copy task.</summary>
public enum CopyFitness
{
    /// <summary>Recall accuracy (with a 1 % squared-error tie-break): the reported metric itself.</summary>
    Accuracy,
    /// <summary>Minus the mean squared error of tanh(output) against the +-1 targets.</summary>
    SquaredError,
}
