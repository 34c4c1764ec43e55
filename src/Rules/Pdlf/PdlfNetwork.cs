using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Neurons;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// One policy step of a PDLF network, as the reference runs it (docs/design.md, "Network and neuron model"):
/// <code>
/// I   = x . W1                      x: normalised observation
/// s   = LIF(I)                      hidden spikes (ternary), hidden trace tr updated
/// out = s . W2                      action = out (linear readout)
/// W1 &lt;- normalise(W1 + dW(pre = x,  post = tr))
/// W2 &lt;- normalise(W2 + dW(pre = tr, post = out))
/// </code>
/// Weights in <see cref="NetworkState"/> start at zero every episode (<see cref="NetworkState.Reset"/>).
/// </summary>
public static class PdlfNetwork
{
    /// <summary>
    /// Runs one step with the term set the coefficients were built for: writes <see cref="NetworkSpec.OutputSize"/>
    /// actions, advances the hidden layer and applies both layers' plasticity to the state's weights. Allocates nothing;
    /// <paramref name="width"/> changes only the speed (bit-identical results).
    /// </summary>
    /// <param name="state">The episode's state; its spec must equal <paramref name="rule"/>'s.</param>
    /// <param name="rule">The individual's folded rule (read only).</param>
    /// <param name="observation">Exactly <see cref="NetworkSpec.InputSize"/> values, already normalised.</param>
    /// <param name="action">At least <see cref="NetworkSpec.OutputSize"/> values; receives the raw linear readout.</param>
    /// <param name="width">Vector width; <see cref="SimdWidth.Auto"/> is the widest fast one.</param>
    /// <exception cref="ArgumentException">Spec mismatch or span lengths (see <see cref="NetworkState.CheckStep"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rule"/> has an undefined term set.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static void Step(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation, Span<float> action,
        SimdWidth width = SimdWidth.Auto)
    {
        var step = new StepAction(state, rule, observation, action, width, scalar: false);
        PdlfTermSets.Dispatch<StepAction, bool>(rule.Terms, ref step);
    }

    /// <summary>Scalar twin of <see cref="Step(NetworkState, PdlfCoefficients, ReadOnlySpan{float}, Span{float}, SimdWidth)"/>.</summary>
    public static void StepScalar(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation, Span<float> action)
    {
        var step = new StepAction(state, rule, observation, action, SimdWidth.Scalar, scalar: true);
        PdlfTermSets.Dispatch<StepAction, bool>(rule.Terms, ref step);
    }

    private readonly ref struct StepAction(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation,
        Span<float> action, SimdWidth width, bool scalar) : IPdlfTermsAction<bool>
    {
        private readonly ReadOnlySpan<float> _observation = observation;
        private readonly Span<float> _action = action;

        public bool Invoke<TTerms>() where TTerms : struct, IPdlfTerms
        {
            if (scalar) StepScalar<TTerms>(state, rule, _observation, _action);
            else Step<TTerms>(state, rule, _observation, _action, width);
            return true;
        }
    }

    /// <summary>
    /// <see cref="Step"/> with the term set fixed at compile time, so the JIT drops unused terms from the plasticity
    /// pass. <typeparamref name="TTerms"/> should match <see cref="PdlfCoefficients.Terms"/>; this is not checked, and
    /// a mismatch silently drops terms the genome set (coefficients it did not set are zero and add nothing).
    /// </summary>
    /// <exception cref="ArgumentException">Spec mismatch or span lengths.</exception>
    public static void Step<TTerms>(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation,
        Span<float> action, SimdWidth width = SimdWidth.Auto) where TTerms : struct, IPdlfTerms
    {
        var spec = Check(state, rule, observation, action);
        Span<float> x = state.Input, trace = state.Trace, output = state.Output;
        observation.CopyTo(x);
        Propagation.Dense(x, state.InputWeights, spec.Input, state.InputScale, state.HiddenCurrent, width);
        state.HiddenSpikeCount = Lif.Step(state.Membrane, state.HiddenCurrent, state.Spikes, trace, LifParameters.Pdlf, width);
        Propagation.Spikes(state.Spikes, state.OutputWeights, spec.Output, state.OutputScale, output, width);
        output[..spec.OutputSize].CopyTo(action);
        state.InputScale = PdlfRule.NormalisingScale(
            PdlfRule.Apply<TTerms>(state.InputWeights, rule.Input, x, trace, state.InputScale, width));
        state.OutputScale = PdlfRule.NormalisingScale(
            PdlfRule.Apply<TTerms>(state.OutputWeights, rule.Output, trace, output, state.OutputScale, width));
    }

    /// <summary>Plain scalar twin of <see cref="Step{TTerms}"/>: the same step built from every kernel's scalar twin.</summary>
    public static void StepScalar<TTerms>(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation,
        Span<float> action) where TTerms : struct, IPdlfTerms
    {
        var spec = Check(state, rule, observation, action);
        Span<float> x = state.Input, trace = state.Trace, output = state.Output;
        observation.CopyTo(x);
        Propagation.DenseScalar(x, state.InputWeights, spec.Input, state.InputScale, state.HiddenCurrent);
        state.HiddenSpikeCount = Lif.StepScalar(state.Membrane, state.HiddenCurrent, state.Spikes, trace, LifParameters.Pdlf);
        Propagation.SpikesScalar(state.Spikes, state.OutputWeights, spec.Output, state.OutputScale, output);
        output[..spec.OutputSize].CopyTo(action);
        state.InputScale = PdlfRule.NormalisingScale(
            PdlfRule.ApplyScalar<TTerms>(state.InputWeights, rule.Input, x, trace, state.InputScale));
        state.OutputScale = PdlfRule.NormalisingScale(
            PdlfRule.ApplyScalar<TTerms>(state.OutputWeights, rule.Output, trace, output, state.OutputScale));
    }

    private static NetworkSpec Check(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation, Span<float> action)
    {
        state.CheckStep(rule.Spec, "Rule was", nameof(rule), observation, action);
        return state.Spec;
    }
}
