using PdlfFast.Kernel.Network;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Analysis;

namespace PdlfFast.Tests.Tasks;

/// <summary>The rule analysis: reading one synapse's rule out of a genome, and its spike-timing window.</summary>
public class RuleAnalysisTests
{
    [Fact]
    public void A_synapses_rule_is_read_from_its_place_in_the_genome()
    {
        var spec = new NetworkSpec(3, 4, 2);
        int length = PdlfCoefficients.GenomeLength(spec, PdlfTermSet.Acd);
        var genome = Enumerable.Range(0, length).Select(i => (float)i).ToArray();
        // ACD: eta, A, C, D blocks of 12 (layer 1) then of 8 (layer 2); synapse (pre 1, post 3) of layer 1 is index 7.
        Assert.Equal(new SynapseRule(7, 19, 0, 31, 43), RuleAnalysis.Rule(genome, spec, PdlfTermSet.Acd, new SynapseAddress(1, 1, 3)));
        // Layer 2 starts at 48; synapse (pre 2, post 1) is index 5 of each block of 8.
        Assert.Equal(new SynapseRule(53, 61, 0, 69, 77), RuleAnalysis.Rule(genome, spec, PdlfTermSet.Acd, new SynapseAddress(2, 2, 1)));
        Assert.Throws<ArgumentException>(() => RuleAnalysis.Rule(genome, spec, PdlfTermSet.Acd, new SynapseAddress(2, 4, 0)));
        Assert.Throws<ArgumentException>(() => RuleAnalysis.Rule(genome, spec, PdlfTermSet.Abcd, new SynapseAddress(1, 0, 0)));
        var salient = RuleAnalysis.Salient(genome, spec, PdlfTermSet.Acd, 2);
        Assert.Equal([new SynapseAddress(1, 2, 3), new SynapseAddress(1, 2, 2), new SynapseAddress(2, 3, 1), new SynapseAddress(2, 3, 0)], salient);
    }

    [Fact]
    public void A_pure_cooperation_rule_is_symmetric_and_matches_the_traces_by_hand()
    {
        var (window, atRest) = RuleAnalysis.Window(new SynapseRule(1f, 1f, 0f, 0f, 0f), range: 10);
        Assert.Equal(0.0, atRest);
        for (int k = 1; k <= 10; k++) Assert.Equal(window[10 + k], window[10 - k], 6);
        // Both spike at once: x = y = (1 - 1/e) e^-k afterwards, so dW = (1 - 1/e)^2 sum e^-2k (30 terms reach float precision).
        double expected = 0, jump = 1 - 1 / Math.E;
        for (int k = 0; k < 30; k++) expected += jump * jump * Math.Exp(-2 * k);
        Assert.Equal(expected, window[10], 4);
        Assert.True(window[10] > window[11] && window[11] > window[15], "the change falls off with the interval");
        Assert.StartsWith("symmetric Hebbian", RuleAnalysis.Describe(window, atRest));
    }

    [Fact]
    public void A_threshold_makes_the_order_of_spikes_matter_and_drift_alone_is_timing_blind()
    {
        // x (y - C) with C > 0: a presynaptic trace meeting no postsynaptic one is depressed, so the pairing's timing
        // decides the sign; D alone changes the weight by the same amount whatever the spikes do.
        var (window, atRest) = RuleAnalysis.Window(new SynapseRule(1f, 1f, 0f, 0.05f, 0f), range: 10);
        Assert.NotEqual(window[5], window[15]);
        var (drift, driftAtRest) = RuleAnalysis.Window(new SynapseRule(0.1f, 0f, 0f, 0f, 1f), range: 10);
        Assert.All(drift, dw => Assert.Equal(driftAtRest, dw, 9));
        Assert.StartsWith("timing-blind", RuleAnalysis.Describe(drift, driftAtRest));
    }
}
