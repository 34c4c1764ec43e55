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
/// <remarks>
/// Example: Len 8 / Lat 8 has 8 + 8 + 1 + 8 = 25 steps, the first scored one being step 17. The paper's grid is Len in
/// {8, 16, 32, 64} x Lat in {0, 8, 16, 32}. An immutable value: every method depends only on its arguments, so one
/// instance serves any number of threads. Randomness comes from the caller's <see cref="RandomStream"/>, so a
/// sequence is a pure function of its stream.
/// </remarks>
public sealed record CopyTask
{
    /// <summary>Input channels per step: bit (+1 / -1 while presenting, else 0), presenting flag, recall flag.</summary>
    public const int Channels = 3;
    /// <summary>Longest sequence accepted (bits); the latency may be up to 16 times this.</summary>
    public const int MaxLength = 1024;

    /// <summary>A copy task of <paramref name="length"/> bits recalled after <paramref name="latency"/> empty steps.</summary>
    /// <param name="length">Len: bits per sequence, 1..<see cref="MaxLength"/>.</param>
    /// <param name="latency">Lat: empty delay steps between presentation and the recall cue, 0..16 x <see cref="MaxLength"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public CopyTask(int length, int latency)
    {
        if (length < 1 || length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Sequence length must be in 1..{MaxLength}.");
        if (latency < 0 || latency > 16 * MaxLength)
            throw new ArgumentOutOfRangeException(nameof(latency), latency, $"Latency must be in 0..{16 * MaxLength}.");
        Length = length;
        Latency = latency;
    }

    /// <summary>Len: bits presented, and recalled, per sequence.</summary>
    public int Length { get; }
    /// <summary>Lat: empty steps between the last presented bit and the recall cue (the delay the memory must bridge).</summary>
    public int Latency { get; }

    /// <summary>Steps of one episode: presentation, delay, cue, recall.</summary>
    public int Steps => Length + Latency + 1 + Length;
    /// <summary>First step whose output is scored.</summary>
    public int FirstRecallStep => Length + Latency + 1;
    /// <summary>True for the <see cref="Latency"/> empty steps after the presentation (0-based steps <see cref="Length"/>..Len + Lat - 1): where the activity-reset probe wipes activity.</summary>
    /// <param name="step">0-based step of the episode.</param>
    public bool IsDelayStep(int step) => step >= Length && step < Length + Latency;

    /// <summary>Draws an episode's bits (+1 / -1) from the stream; the caller chooses the stream (train or test).</summary>
    /// <param name="random">Advanced by <see cref="Length"/> draws.</param>
    /// <param name="bits">Receives the bits: exactly <see cref="Length"/> values.</param>
    public void DrawSequence(ref RandomStream random, Span<float> bits)
    {
        if (bits.Length != Length) throw new ArgumentException($"Bits span has {bits.Length} values; the task has length {Length}.", nameof(bits));
        for (int i = 0; i < bits.Length; i++) bits[i] = random.NextBool() ? 1f : -1f;
    }

    /// <summary>The input of one step into a span of <see cref="Channels"/> values.</summary>
    /// <param name="bits">The episode's bits from <see cref="DrawSequence"/>.</param>
    /// <param name="step">0-based step, below <see cref="Steps"/>.</param>
    /// <param name="input">Receives (bit, presenting, recall) for the step: at least <see cref="Channels"/> values.</param>
    public void Input(ReadOnlySpan<float> bits, int step, Span<float> input)
    {
        if ((uint)step >= (uint)Steps) throw new ArgumentOutOfRangeException(nameof(step), step, $"Step must be in 0..{Steps - 1}.");
        input[0] = step < Length ? bits[step] : 0f;
        input[1] = step < Length ? 1f : 0f;
        input[2] = step >= Length + Latency ? 1f : 0f;
    }

    /// <summary>The target (+1 / -1) of a recall step, or 0 where the output is not scored.</summary>
    /// <param name="bits">The episode's bits.</param>
    /// <param name="step">0-based step; recall step <see cref="FirstRecallStep"/> + k asks for bit k.</param>
    public float Target(ReadOnlySpan<float> bits, int step) => step >= FirstRecallStep && step < Steps ? bits[step - FirstRecallStep] : 0f;

    /// <summary>"copy Len L Lat D", the paper's naming of a grid cell.</summary>
    public override string ToString() => $"copy Len {Length} Lat {Latency}";
}

/// <summary>Accumulates one or more episodes' recall accuracy and a smooth error for evolution.</summary>
/// <remarks>A mutable struct: pass it by <c>ref</c>; start from <c>default</c>. Sums are in a fixed order (the order of <see cref="Add"/> calls), so scores are reproducible.</remarks>
public struct CopyScore
{
    /// <summary>Recall steps scored so far (Len per sequence).</summary>
    public int Recalled { get; private set; }
    /// <summary>Recall steps whose output had the target's sign.</summary>
    public int Correct { get; private set; }
    /// <summary>Sum over recall steps of (tanh(output) - target)^2.</summary>
    public double SquaredError { get; private set; }

    /// <summary>Scores one recall step: correct when the output has the target's sign (0 counts as wrong).</summary>
    /// <param name="output">The network's readout at the step.</param>
    /// <param name="target">The bit to recall, +1 or -1.</param>
    public void Add(float output, float target)
    {
        Recalled++;
        if (IsCorrect(output, target)) Correct++;
        double e = Math.Tanh(output) - target;
        SquaredError += e * e;
    }

    /// <summary>A recall is correct when the output has the target's sign; 0 counts as wrong.</summary>
    /// <param name="output">The network's readout.</param>
    /// <param name="target">The bit to recall, +1 or -1.</param>
    public static bool IsCorrect(float output, float target) => output * target > 0f;

    /// <summary>Fraction of recall steps correct, in [0, 1] (chance 0.5); NaN before anything was scored.</summary>
    public readonly double Accuracy => Recalled == 0 ? double.NaN : (double)Correct / Recalled;
    /// <summary>Fitness for evolution: accuracy plus a small smooth term so ties between equal accuracies still rank.</summary>
    public readonly float Fitness => Recalled == 0 ? float.NaN : (float)(Accuracy - 0.01 * SquaredError / Recalled);
    /// <summary>Minus the mean squared error of tanh(output): graded even where a bit's sign does not change.</summary>
    public readonly float NegativeSquaredError => Recalled == 0 ? float.NaN : (float)(-SquaredError / Recalled);

    /// <summary>The fitness evolution maximises under <paramref name="kind"/>: <see cref="Fitness"/> or <see cref="NegativeSquaredError"/>.</summary>
    /// <param name="kind">The run's objective (<see cref="PdlfFast.Tasks.Runs.CopyConfig.FitnessKind"/>).</param>
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
