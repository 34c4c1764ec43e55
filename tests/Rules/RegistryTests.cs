using PdlfFast.Rules.Pdlf;
using PdlfFast.Rules.SpikePropamine;

namespace PdlfFast.Tests.Rules;

/// <summary>The name -> enum -> operator struct registries: complete, round-tripping, and loud about unknowns.</summary>
public class RegistryTests
{
    private readonly struct TermsOf : IPdlfTermsAction<PdlfTermSet>
    {
        public PdlfTermSet Invoke<TTerms>() where TTerms : struct, IPdlfTerms => TTerms.Terms;
    }

    private readonly struct RuleOf : ITraceRuleAction<TraceRule>
    {
        public TraceRule Invoke<TRule>() where TRule : struct, ITraceRule => TRule.Rule;
    }

    [Fact]
    public void Every_term_set_has_a_name_and_dispatches_to_its_own_struct()
    {
        var values = Enum.GetValues<PdlfTermSet>();
        Assert.Equal(values.Length, PdlfTermSets.Names.Count);
        foreach (var terms in values)
        {
            var action = new TermsOf();
            Assert.Equal(terms, PdlfTermSets.Dispatch<TermsOf, PdlfTermSet>(terms, ref action));
            Assert.Equal(terms, PdlfTermSets.Parse(PdlfTermSets.Name(terms)));
            Assert.Equal(terms.Parameters().Length, PdlfTermSets.Name(terms).Length + 1); // eta plus one per letter
        }
        Assert.Equal(["abcd", "acd", "bd"], PdlfTermSets.Names);
    }

    [Fact]
    public void Every_trace_rule_has_a_name_and_dispatches_to_its_own_struct()
    {
        var values = Enum.GetValues<TraceRule>();
        Assert.Equal(values.Length, TraceRules.Names.Count);
        foreach (var rule in values)
        {
            var action = new RuleOf();
            Assert.Equal(rule, TraceRules.Dispatch<RuleOf, TraceRule>(rule, ref action));
            Assert.Equal(rule, TraceRules.Parse(TraceRules.Name(rule)));
        }
    }

    [Fact]
    public void Unknown_names_and_values_are_errors_that_list_the_known_ones()
    {
        var terms = Assert.Throws<ArgumentException>(() => PdlfTermSets.Parse("abc"));
        Assert.Contains("abcd, acd, bd", terms.Message);
        Assert.False(PdlfTermSets.TryParse("ABCD", out _));
        Assert.False(PdlfTermSets.TryParse(null, out _));
        var action = new TermsOf();
        Assert.Throws<ArgumentOutOfRangeException>(() => PdlfTermSets.Dispatch<TermsOf, PdlfTermSet>((PdlfTermSet)17, ref action));
        Assert.Throws<ArgumentOutOfRangeException>(() => PdlfTermSets.Name((PdlfTermSet)17));

        var rule = Assert.Throws<ArgumentException>(() => TraceRules.Parse("stdp"));
        Assert.Contains("hebbian, oja, bcm", rule.Message);
        var ruleAction = new RuleOf();
        Assert.Throws<ArgumentOutOfRangeException>(() => TraceRules.Dispatch<RuleOf, TraceRule>((TraceRule)9, ref ruleAction));
    }
}
