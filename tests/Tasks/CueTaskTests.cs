using FsCheck;
using FsCheck.Xunit;
using PdlfFast.Kernel.Random;
using PdlfFast.Tasks.Cue;
using PdlfFast.Tests.Support;

namespace PdlfFast.Tests.Tasks;

public class CueTaskTests
{
    [Property(MaxTest = 60, EndSize = 300)]
    public void Episodes_have_the_documented_structure(NonNegativeInt seed, NonNegativeInt lengthRaw)
    {
        var task = new CueTask(length: Seeded.Size(lengthRaw.Get, 40), noise: 0f, cues: 4, bits: 6, hold: 2);
        var random = new RandomStream((ulong)seed.Get, new StreamId(0, 0, 0, 1));
        var inputs = new float[task.Steps * task.Inputs];
        var targets = new float[task.TargetLength];
        task.Sample(ref random, inputs, targets);
        Assert.Equal((task.Length + 4) * 2, task.Steps);
        Assert.Equal(1, targets.Count(t => t == 1f));
        Assert.Equal(3, targets.Count(t => t == -1f));
        string Pattern(int step) => string.Join(",", inputs.Skip(step * task.Inputs).Take(task.Bits));
        var rewardedPatterns = new HashSet<string>();
        for (int t = 0; t < task.Steps; t++)
        {
            var row = inputs.AsSpan(t * task.Inputs, task.Inputs);
            Assert.All(row[..task.Bits].ToArray(), b => Assert.True(b is 1f or -1f));
            bool query = t >= task.Length * task.Hold;
            Assert.Equal(query ? 1f : 0f, row[task.Bits + 1]);
            if (query) Assert.Equal(0f, row[task.Bits]);
            else if (row[task.Bits] == 1f) rewardedPatterns.Add(Pattern(t));
            if (t % task.Hold == 1) Assert.Equal(Pattern(t - 1), Pattern(t)); // each cue is held
        }
        // The reward marks one cue only, and it is the one the query's +1 target points at.
        Assert.True(rewardedPatterns.Count <= 1);
        int answer = Array.IndexOf(targets, 1f);
        if (rewardedPatterns.Count == 1) Assert.Equal(rewardedPatterns.Single(), Pattern(task.AnswerStep(answer)));
    }

    [Fact]
    public void Noise_is_added_to_the_cue_bits_only()
    {
        var task = new CueTask(length: 50, noise: 0.5f, bits: 20);
        var random = new RandomStream(3, new StreamId(0, 0, 0, 1));
        var inputs = new float[task.Steps * task.Inputs];
        task.Sample(ref random, inputs, new float[4]);
        var deviations = Enumerable.Range(0, task.Steps).SelectMany(t => inputs.Skip(t * task.Inputs).Take(task.Bits))
            .Select(b => b - MathF.Sign(b)).ToArray();
        double sd = Math.Sqrt(deviations.Average(d => d * d));
        Assert.InRange(sd, 0.4, 0.6);
        Assert.All(Enumerable.Range(0, task.Steps), t => Assert.True(inputs[t * task.Inputs + task.Bits] is 0f or 1f));
    }

    [Fact]
    public void The_loss_gradient_matches_finite_differences_and_a_constant_answer_is_right_one_time_in_four()
    {
        var task = new CueTask(length: 3, noise: 0f);
        var data = new Seeded(2);
        var outputs = data.Uniform(task.Steps, -2f, 2f);
        float[] targets = [-1, 1, -1, -1];
        var gradient = new float[task.Steps];
        task.Loss(outputs, targets, gradient, out float accuracy);
        Assert.Equal(outputs[task.AnswerStep(1)] == outputs.Where((_, i) => Enumerable.Range(0, 4).Select(task.AnswerStep).Contains(i)).Max() ? 1f : 0f, accuracy);
        SequenceLossChecks.GradientMatchesFiniteDifferences(task, outputs, targets);
        // A network that answers the same for every cue picks the first query: right when that is the rewarded cue.
        int right = 0;
        for (uint e = 0; e < 2000; e++)
        {
            var random = new RandomStream(5, new StreamId(0, 0, e, 1));
            var episodeTargets = new float[4];
            task.Sample(ref random, new float[task.Steps * task.Inputs], episodeTargets);
            task.Loss(new float[task.Steps], episodeTargets, gradient, out float ok);
            if (ok == 1f) right++;
        }
        Assert.InRange(right / 2000.0, 0.22, 0.28);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CueTask(length: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CueTask(noise: -1f));
    }
}
