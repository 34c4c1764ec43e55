using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Neurons;
using PdlfFast.Rules.Pdlf;

namespace PdlfFast.Tasks.Analysis;

/// <summary>One synapse's evolved PDLF rule, <c>dW = eta (A x (y - C) + B y + D)</c> (terms a set leaves out are 0).</summary>
/// <param name="Eta">Learning rate.</param>
/// <param name="A">Cooperation gain of the <c>x (y - C)</c> term.</param>
/// <param name="B">Postsynaptic term.</param>
/// <param name="C">Postsynaptic threshold of the cooperation term.</param>
/// <param name="D">Constant drift.</param>
public readonly record struct SynapseRule(float Eta, float A, float B, float C, float D);

/// <summary>Where a synapse is: layer 1 (input -> hidden) or 2 (hidden -> output), presynaptic and postsynaptic index.</summary>
/// <param name="Layer">1 or 2.</param>
/// <param name="Pre">Presynaptic neuron (input, or hidden for layer 2).</param>
/// <param name="Post">Postsynaptic neuron (hidden, or output for layer 2).</param>
public readonly record struct SynapseAddress(int Layer, int Pre, int Post);

/// <summary>
/// The rule analysis of PDLF's Fig. 3D-F (docs/design.md, "Paper probes"): a synapse's rule read out of a genome, and
/// the weight change it makes as a function of the interval between a presynaptic and a postsynaptic spike, with
/// both neurons run through the real LIF kernel (PDLF constants, spike traces as the rule's x and y) and the change
/// through the rule's own per-synapse function.
/// </summary>
public static class RuleAnalysis
{
    /// <summary>The rule of synapse <paramref name="at"/> in a PDLF genome of <paramref name="spec"/> and <paramref name="terms"/>.</summary>
    /// <exception cref="ArgumentException">The genome's length does not fit, or the address is outside the network.</exception>
    public static SynapseRule Rule(ReadOnlySpan<float> genome, NetworkSpec spec, PdlfTermSet terms, SynapseAddress at)
    {
        var parameters = terms.Parameters();
        int n1 = spec.InputSize * spec.HiddenSize, n2 = spec.HiddenSize * spec.OutputSize;
        if (genome.Length != parameters.Length * (n1 + n2))
            throw new ArgumentException($"Genome has {genome.Length} values; {spec} with {terms} terms needs {parameters.Length * (n1 + n2)}.", nameof(genome));
        (int rows, int columns, int n, int layerStart) = at.Layer switch
        {
            1 => (spec.InputSize, spec.HiddenSize, n1, 0),
            2 => (spec.HiddenSize, spec.OutputSize, n2, parameters.Length * n1),
            _ => throw new ArgumentException($"Layer must be 1 or 2 (got {at.Layer}).", nameof(at)),
        };
        if ((uint)at.Pre >= (uint)rows || (uint)at.Post >= (uint)columns)
            throw new ArgumentException($"Synapse {at.Pre} -> {at.Post} is outside layer {at.Layer} ({rows} x {columns}).", nameof(at));
        int synapse = at.Pre * columns + at.Post;
        float eta = 0, a = 0, b = 0, c = 0, d = 0;
        for (int p = 0; p < parameters.Length; p++)
        {
            float value = genome[layerStart + p * n + synapse];
            switch (parameters[p])
            {
                case PdlfParameter.Eta: eta = value; break;
                case PdlfParameter.A: a = value; break;
                case PdlfParameter.B: b = value; break;
                case PdlfParameter.C: c = value; break;
                default: d = value; break;
            }
        }
        return new SynapseRule(eta, a, b, c, d);
    }

    /// <summary>The <paramref name="count"/> synapses of each layer whose rule moves weights most (largest |eta|), layer 1 first.</summary>
    public static IReadOnlyList<SynapseAddress> Salient(ReadOnlySpan<float> genome, NetworkSpec spec, PdlfTermSet terms, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var chosen = new List<SynapseAddress>();
        foreach (var (layer, rows, columns) in new[] { (1, spec.InputSize, spec.HiddenSize), (2, spec.HiddenSize, spec.OutputSize) })
        {
            var all = new List<(float Eta, SynapseAddress At)>();
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                {
                    var at = new SynapseAddress(layer, i, j);
                    all.Add((MathF.Abs(Rule(genome, spec, terms, at).Eta), at));
                }
            chosen.AddRange(all.OrderByDescending(x => x.Eta).ThenBy(x => x.At.Pre).ThenBy(x => x.At.Post).Take(count).Select(x => x.At));
        }
        return chosen;
    }

    /// <summary>
    /// Total weight change of one synapse under a spike pair: the presynaptic neuron fires at step 0 and the
    /// postsynaptic one at step <c>interval</c> (negative: the postsynaptic spike comes first), inside a window of
    /// 2 * <paramref name="range"/> + 40 steps; both are LIF neurons with PDLF's constants driven over threshold once,
    /// their spike traces are the rule's x and y, and dW is summed over the window. Index k of the result is interval
    /// <c>k - range</c>. Also returns the change with no spikes at all (the drift of the B and D terms at rest).
    /// </summary>
    public static (double[] Window, double AtRest) Window(SynapseRule rule, int range = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(range, 1);
        var window = new double[2 * range + 1];
        for (int k = 0; k < window.Length; k++) window[k] = Pair(rule, range, k - range, spikes: true);
        return (window, Pair(rule, range, 0, spikes: false));
    }

    private static double Pair(SynapseRule rule, int range, int interval, bool spikes)
    {
        int steps = 2 * range + 40, preAt = range + 10, postAt = preAt + interval;
        // Folded as PdlfCoefficients folds them: dW = x (etaA y + negEtaAC) + etaB y + etaD.
        float etaA = rule.Eta * rule.A, negEtaAC = -rule.Eta * rule.A * rule.C, etaB = rule.Eta * rule.B, etaD = rule.Eta * rule.D;
        Span<float> membrane = stackalloc float[2], current = stackalloc float[2], spike = stackalloc float[2], trace = stackalloc float[2];
        membrane.Clear();
        trace.Clear();
        double total = 0;
        for (int t = 0; t < steps; t++)
        {
            current[0] = spikes && t == preAt ? 1f : 0f;   // 1 >> the threshold 0.1: one spike that step
            current[1] = spikes && t == postAt ? 1f : 0f;
            Lif.StepScalar(membrane, current, spike, trace, LifParameters.Pdlf);
            total += AbcdTerms.Delta(trace[0], trace[1], etaA, negEtaAC, etaB, etaD);
        }
        return total;
    }

    /// <summary>
    /// A short reading of a window: which order of spikes potentiates. Compares the mean change for pre-before-post
    /// intervals (1..range) with post-before-pre (-range..-1), both relative to the change at rest.
    /// </summary>
    public static string Describe(double[] window, double atRest)
    {
        int range = window.Length / 2;
        double preFirst = 0, postFirst = 0;
        for (int k = 1; k <= range; k++)
        {
            preFirst += window[range + k] - atRest;
            postFirst += window[range - k] - atRest;
        }
        preFirst /= range;
        postFirst /= range;
        double scale = Math.Max(Math.Abs(preFirst), Math.Abs(postFirst));
        if (scale <= 1e-9 * Math.Max(1, Math.Abs(atRest))) return "timing-blind: the change does not depend on the spikes";
        string Sign(double v) => Math.Abs(v) < 0.2 * scale ? "little change" : v > 0 ? "potentiation" : "depression";
        string pre = Sign(preFirst), post = Sign(postFirst);
        string kind = (pre, post) switch
        {
            ("potentiation", "depression") => "STDP-like (Hebbian, causal order strengthens)",
            ("depression", "potentiation") => "anti-STDP (causal order weakens)",
            ("potentiation", "potentiation") => "symmetric Hebbian (any pairing strengthens)",
            ("depression", "depression") => "symmetric anti-Hebbian (any pairing weakens)",
            _ => "one-sided",
        };
        return $"{kind}: pre before post {pre} ({preFirst:+0.###e0;-0.###e0}), post before pre {post} ({postFirst:+0.###e0;-0.###e0}), drift at rest {atRest:+0.###e0;-0.###e0}";
    }
}
