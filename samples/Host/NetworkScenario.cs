using CommunityToolkit.HighPerformance;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Observation;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;

namespace PdlfHost;

/// <summary>
/// (a) A PDLF network stepped on the host's own observation stream: weights start at zero and are written by the
/// plasticity rule every step; observations are normalised as the policy expects (running mean/variance, clip +-5).
/// </summary>
internal static class NetworkScenario
{
    public static int Run()
    {
        // 3 inputs -> 32 LIF neurons -> 2 outputs, PDLF variant; the rule uses all terms A, B, C, D.
        var spec = new NetworkSpec(inputSize: 3, hiddenSize: 32, outputSize: 2);
        var rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
        // The genome: eta, A, B, C, D per synapse, layer 1 then layer 2 (the reference's layout). Random here; an
        // evolved one comes from a strategy's mean (see evolve) or a checkpoint.
        var genome = new float[rule.GenomeLength()];
        var random = new RandomStream(seed: 42, new StreamId(Generation: 0, Member: 0, Episode: 0));
        random.FillGaussian(genome, mean: 0f, stdDev: 0.5f);
        rule.Load(genome);

        var state = new NetworkState(spec);     // one episode: membranes, traces, fast weights
        state.Reset();                          // weights start at zero every episode
        var normaliser = new ObservationNormaliser(spec.InputSize);   // running mean/variance, clip +-5
        float[] raw = new float[spec.InputSize], observation = new float[spec.InputSize], action = new float[spec.OutputSize];

        Console.WriteLine($"network {spec.InputSize}-{spec.HiddenSize}-{spec.OutputSize}, {spec.Synapses} plastic synapses, genome {genome.Length} floats");
        Console.WriteLine("  step  |W1|      |W2|      W1[0,0]   W1[2,5]   spikes  action");
        Report(0, state, action);
        for (int t = 1; t <= 2000; t++)
        {
            // The host's own sensors: offsets and scales far from N(0, 1), which the normaliser takes out.
            raw[0] = 20f + 5f * MathF.Sin(0.05f * t);
            raw[1] = 0.01f * MathF.Cos(0.13f * t);
            raw[2] = 100f * MathF.Sin(0.05f * t) * MathF.Cos(0.011f * t);
            normaliser.Update(raw);
            normaliser.Normalise(raw, observation);
            PdlfNetwork.Step(state, rule, observation, action);   // forward pass + plasticity; allocates nothing
            if (t is 1 or 10 or 100 or 1000 or 2000) Report(t, state, action);
        }
        Console.WriteLine($"normaliser: {normaliser.Count} observations, mean {normaliser.Mean[0]:F2} {normaliser.Mean[1]:F4} {normaliser.Mean[2]:F2}, " +
                          $"last normalised input {observation[0]:F2} {observation[1]:F2} {observation[2]:F2}");

        float final = EffectiveNorm(state.InputWeights2D, state.InputScale);
        if (!(final > 0f) || !float.IsFinite(final))
        {
            Console.Error.WriteLine("error: the input weights did not change from zero");
            return 1;
        }
        Console.WriteLine("network: weights started at zero and were written by the plasticity rule");
        return 0;
    }

    private static void Report(int step, NetworkState state, float[] action)
    {
        // InputWeights2D is an InputSize x HiddenSize view of the stored weights (padding skipped); the effective
        // weight is stored x InputScale (the layer's 1 / max|W| from the last plasticity pass).
        Span2D<float> w1 = state.InputWeights2D;
        float scale = state.InputScale;
        Console.WriteLine($"  {step,4}  {EffectiveNorm(w1, scale),-8:F4}  {EffectiveNorm(state.OutputWeights2D, state.OutputScale),-8:F4}  " +
                          $"{w1[0, 0] * scale,8:F4}  {w1[2, 5] * scale,8:F4}  {state.HiddenSpikeCount,6}  {action[0],7:F3} {action[1],7:F3}");
    }

    /// <summary>Frobenius norm of a layer's effective weights.</summary>
    private static float EffectiveNorm(Span2D<float> weights, float scale)
    {
        double sum = 0;
        for (int i = 0; i < weights.Height; i++)
            foreach (float w in weights.GetRowSpan(i)) sum += (double)w * w;
        return (float)Math.Sqrt(sum) * scale;
    }
}
