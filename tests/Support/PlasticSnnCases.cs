using PdlfFast.Rules.SpikePropamine;

namespace PdlfFast.Tests.Support;

/// <summary>Shared inputs of the SpikePropamine network tests.</summary>
public static class PlasticSnnCases
{
    /// <summary>Every rule plain and neuromodulated, and the one retroactive form (Hebbian only).</summary>
    public static readonly (TraceRule Rule, TraceModulation Modulation)[] Variants =
    [
        (TraceRule.Hebbian, TraceModulation.None), (TraceRule.Hebbian, TraceModulation.Neuromodulated), (TraceRule.Hebbian, TraceModulation.Retroactive),
        (TraceRule.Oja, TraceModulation.None), (TraceRule.Oja, TraceModulation.Neuromodulated),
        (TraceRule.Bcm, TraceModulation.None), (TraceRule.Bcm, TraceModulation.Neuromodulated),
    ];

    /// <summary>The layout's initial parameters from <paramref name="seed"/>, each moved by uniform noise in +-<paramref name="spread"/>.</summary>
    public static float[] PerturbedParameters(PlasticSnnLayout layout, ulong seed, Seeded data, float spread)
    {
        var p = layout.Initial(seed);
        var noise = data.Uniform(p.Length, -spread, spread);
        for (int i = 0; i < p.Length; i++) p[i] += noise[i];
        return p;
    }
}
