using PdlfFast.Kernel.Random;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Tasks.Cue;

/// <summary>
/// Cue-reward association with noise (after Backpropamine, with the PDLF code's noise grid). Each episode draws
/// <see cref="Cues"/> random binary cues of <see cref="Bits"/> bits (+-1); one of them is rewarded. For
/// <see cref="Length"/> presentations a random cue is shown (each for <see cref="Hold"/> steps), with the reward
/// channel at 1 whenever it is the rewarded one. Then every cue is shown once more, in random order, with the query
/// flag on: the network's single output at the last step of each query must be high for the rewarded cue and low
/// for the others. Gaussian noise of <see cref="Noise"/> is added to
/// every cue bit. An episode counts as correct when the highest query output is the rewarded cue's (chance
/// 1 / <see cref="Cues"/>). Inputs: cue bits, reward channel, query flag.
/// </summary>
/// <remarks>
/// docs/design.md, "Tasks" (cue-reward association). With the defaults an episode is (16 + 4) x 2 = 40 steps of
/// 22 inputs (20 cue bits, reward, query) and 1 output; chance is 0.25. The Backpropamine version differs (two cues
/// per trial, 120 steps); README, <c>pdlf train cue</c>, describes this variant. Immutable; its methods depend only
/// on their arguments, so trainer workers call them concurrently. An episode is a pure function of its random stream.
/// </remarks>
public readonly struct CueTask : ISequenceTask
{
    /// <summary>The input-noise grid of the PDLF code, {0, 0.3, 0.38, 0.48, 0.59} (standard deviations; docs/design.md, "Tasks"), the values <c>pdlf sweep cue --noises</c> defaults to. Treat as read-only.</summary>
    public static readonly float[] NoiseLevels = [0f, 0.3f, 0.38f, 0.48f, 0.59f];
    /// <summary>A grid of presentation counts, {16, 32, 48, 64}, for sweeps over the sequence length. Treat as read-only.</summary>
    public static readonly int[] Lengths = [16, 32, 48, 64];

    /// <summary>A cue task; the defaults are <c>pdlf train cue</c>'s.</summary>
    /// <param name="length">Cue presentations before the queries, 1..100,000.</param>
    /// <param name="noise">Standard deviation of the Gaussian noise on every cue bit, 0..10.</param>
    /// <param name="cues">Distinct cues per episode (one rewarded), 2..64.</param>
    /// <param name="bits">Bits per cue (+-1 each), 1..1024.</param>
    /// <param name="hold">Steps each presentation and query lasts, 1..100.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public CueTask(int length = 16, float noise = 0.38f, int cues = 4, int bits = 20, int hold = 2)
    {
        if (hold is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(hold), hold, "Hold must be in 1..100 steps.");
        Hold = hold;
        if (length is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(length), length, "Sequence length must be in 1..100000.");
        if (!(noise >= 0 && noise <= 10)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "Noise must be in 0..10.");
        if (cues is < 2 or > 64) throw new ArgumentOutOfRangeException(nameof(cues), cues, "Cues must be in 2..64.");
        if (bits is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Bits must be in 1..1024.");
        Length = length;
        Noise = noise;
        Cues = cues;
        Bits = bits;
    }

    /// <summary>Cue presentations before the queries.</summary>
    public int Length { get; }
    /// <summary>Standard deviation of the Gaussian noise added to every cue bit (presentations and queries).</summary>
    public float Noise { get; }
    /// <summary>Distinct cues per episode; one of them is rewarded.</summary>
    public int Cues { get; }
    /// <summary>Bits per cue.</summary>
    public int Bits { get; }
    /// <summary>Steps each cue stays on (spiking neurons need more than one step to integrate a stimulus).</summary>
    public int Hold { get; }
    /// <summary>Inputs per step: <see cref="Bits"/> cue bits, then the reward channel, then the query flag.</summary>
    public int Inputs => Bits + 2;
    /// <summary>One readout: high for the rewarded cue at its query.</summary>
    public int Outputs => 1;
    /// <summary>Steps per episode: (<see cref="Length"/> + <see cref="Cues"/>) x <see cref="Hold"/>.</summary>
    public int Steps => (Length + Cues) * Hold;
    /// <summary>Targets: +1 / -1 per query step (the rewarded cue's step is +1).</summary>
    public int TargetLength => Cues;
    /// <summary>Accuracy of guessing: 1 / <see cref="Cues"/>.</summary>
    public float Chance => 1f / Cues;

    /// <summary>Draws an episode: its cues, the rewarded one, the presentation order and the query order, all from <paramref name="random"/>.</summary>
    /// <param name="random">Stream the episode comes from.</param>
    /// <param name="inputs">Receives <see cref="Steps"/> x <see cref="Inputs"/> values, step-major (cleared first).</param>
    /// <param name="targets">Receives <see cref="Cues"/> values: +1 for the query of the rewarded cue, -1 for the others.</param>
    public void Sample(ref RandomStream random, Span<float> inputs, Span<float> targets)
    {
        inputs[..(Steps * Inputs)].Clear();
        Span<float> patterns = stackalloc float[Cues * Bits];
        for (int i = 0; i < patterns.Length; i++) patterns[i] = random.NextBool() ? 1f : -1f;
        int rewarded = random.NextInt(Cues);
        for (int n = 0; n < Length; n++)
        {
            int cue = random.NextInt(Cues);
            for (int k = 0; k < Hold; k++)
            {
                var row = inputs.Slice((n * Hold + k) * Inputs, Inputs);
                WriteCue(ref random, patterns.Slice(cue * Bits, Bits), row);
                row[Bits] = cue == rewarded ? 1f : 0f;
            }
        }
        // Query order: a random permutation of the cues.
        Span<int> order = stackalloc int[Cues];
        for (int k = 0; k < Cues; k++) order[k] = k;
        for (int k = Cues - 1; k > 0; k--)
        {
            int j = random.NextInt(k + 1);
            (order[k], order[j]) = (order[j], order[k]);
        }
        for (int q = 0; q < Cues; q++)
        {
            for (int k = 0; k < Hold; k++)
            {
                var row = inputs.Slice(((Length + q) * Hold + k) * Inputs, Inputs);
                WriteCue(ref random, patterns.Slice(order[q] * Bits, Bits), row);
                row[Bits + 1] = 1f;
            }
            targets[q] = order[q] == rewarded ? 1f : -1f;
        }
    }

    private void WriteCue(ref RandomStream random, ReadOnlySpan<float> pattern, Span<float> row)
    {
        for (int b = 0; b < Bits; b++) row[b] = pattern[b] + (Noise > 0 ? Noise * random.NextGaussian() : 0f);
    }

    /// <summary>Step whose output answers query q: the last step of its hold.</summary>
    /// <param name="q">0-based query, below <see cref="Cues"/>.</param>
    public int AnswerStep(int q) => (Length + q + 1) * Hold - 1;

    /// <summary>Logistic loss on the query answers, averaged over them; other steps carry no loss.</summary>
    /// <param name="outputs">The episode's <see cref="Steps"/> readouts.</param>
    /// <param name="targets">The <see cref="Cues"/> targets from <see cref="Sample"/>.</param>
    /// <param name="outputGradient">Receives dLoss/dOutput per step (nonzero only at the answer steps).</param>
    /// <param name="accuracy">1 when the highest answer is the rewarded cue's, else 0.</param>
    /// <returns>The loss averaged over the queries.</returns>
    public float Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> outputGradient, out float accuracy)
    {
        outputGradient[..Steps].Clear();
        float loss = 0f, best = float.NegativeInfinity;
        int bestQuery = -1;
        for (int q = 0; q < Cues; q++)
        {
            float o = outputs[AnswerStep(q)], y = targets[q];
            float margin = y * o;
            loss += LogisticLoss.Of(margin);
            outputGradient[AnswerStep(q)] = -y / (1f + MathF.Exp(margin)) / Cues;
            if (o > best)
            {
                best = o;
                bestQuery = q;
            }
        }
        accuracy = bestQuery >= 0 && targets[bestQuery] > 0 ? 1f : 0f;
        return loss / Cues;
    }
}
