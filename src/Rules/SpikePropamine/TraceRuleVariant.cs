namespace PdlfFast.Rules.SpikePropamine;

/// <summary>
/// A plasticity setting of a SpikePropamine network as the command line and config files name it: the rule of H,
/// where its rate comes from, or <c>none</c> (the same network with plasticity switched off). Names are the rule
/// (<c>hebbian</c>, <c>oja</c>, <c>bcm</c>), the rule with <c>-neuromod</c> (rate = the modulatory signal M(t)),
/// <c>hebbian-retroactive</c> (M(t) gating an eligibility trace), and <c>none</c>.
/// </summary>
/// <param name="Rule">The rule of H (Hebbian for <c>none</c>, whose layout it keeps).</param>
/// <param name="Modulation">Where the rule's rate comes from.</param>
/// <param name="Plastic">False for <c>none</c>: no layer has a plastic trace, alpha is unused.</param>
public readonly record struct TraceRuleVariant(TraceRule Rule, TraceModulation Modulation, bool Plastic)
{
    /// <summary>Plain Hebbian with a learned eta: the default.</summary>
    public static TraceRuleVariant Hebbian => new(TraceRule.Hebbian, TraceModulation.None, true);

    /// <summary>No plasticity: the non-plastic control (Hebbian layout, no plastic layer).</summary>
    public static TraceRuleVariant None => new(TraceRule.Hebbian, TraceModulation.None, false);

    /// <summary>Every name, in this order: none, the rules, the rules with -neuromod, hebbian-retroactive.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "none",
        .. TraceRules.Names,
        .. TraceRules.Names.Select(rule => rule + "-neuromod"),
        // Retroactive modulation gates a Hebbian eligibility trace only (PlasticSnnSpec.Validate).
        TraceRules.Name(TraceRule.Hebbian) + "-retroactive",
    ];

    /// <summary>The name of this variant (one of <see cref="Names"/>).</summary>
    public string Name => !Plastic ? "none" : Modulation switch
    {
        TraceModulation.None => TraceRules.Name(Rule),
        TraceModulation.Neuromodulated => TraceRules.Name(Rule) + "-neuromod",
        _ => TraceRules.Name(Rule) + "-retroactive",
    };

    /// <summary>Looks a variant up by its name (exact, lower case); false when <paramref name="name"/> is not one of <see cref="Names"/>.</summary>
    public static bool TryParse(string? name, out TraceRuleVariant variant)
    {
        variant = None;
        if (name is null || !Names.Contains(name)) return false;
        if (name == "none") return true;
        var parts = name.Split('-');
        var modulation = parts.Length < 2 ? TraceModulation.None
            : parts[1] == "retroactive" ? TraceModulation.Retroactive : TraceModulation.Neuromodulated;
        variant = new TraceRuleVariant(TraceRules.Parse(parts[0]), modulation, true);
        return true;
    }

    /// <summary>
    /// A network of these sizes with this variant's rule and modulation (both layers plastic unless <c>none</c>),
    /// with the constants our SpikePropamine tasks share: threshold 0.5, membrane and trace decay 0.5, surrogate
    /// slope 1 (the slope matters only to BPTT).
    /// </summary>
    /// <param name="inputs">Input channels.</param>
    /// <param name="hidden">Recurrent LIF neurons.</param>
    /// <param name="outputs">Linear readouts.</param>
    public PlasticSnnSpec Spec(int inputs, int hidden, int outputs) =>
        new(inputs, hidden, outputs, Rule, Modulation, Plastic, Plastic)
        {
            SurrogateSlope = 1f, Threshold = 0.5f, MembraneDecay = 0.5f, TraceDecay = 0.5f,
        };

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
