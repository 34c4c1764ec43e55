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

    /// <summary>Most episodes one <see cref="StepLockstep"/> call takes (its per-episode accumulators live on the stack).</summary>
    public const int MaxLockstepEpisodes = 256;

    /// <summary>
    /// Runs one step of K episodes of the same individual side by side ("lock-step"): every episode's step is exactly
    /// <see cref="Step(NetworkState, PdlfCoefficients, ReadOnlySpan{float}, Span{float}, SimdWidth)"/>'s, bit for bit,
    /// but each layer's plasticity pass reads a block of rule coefficients once for all K episodes (from L1 for all
    /// but the first), so the coefficients - 16 of the 24 bytes a synapse moves per step - cost 1/K per episode, and
    /// it updates the episodes two at a time, loading each coefficient vector once for the pair.
    /// Allocates nothing.
    /// </summary>
    /// <param name="states">K = 1..<see cref="MaxLockstepEpisodes"/> distinct episode states, all of <paramref name="rule"/>'s spec.</param>
    /// <param name="rule">The individual's folded rule (read only).</param>
    /// <param name="observations">K x <see cref="NetworkSpec.InputSize"/> values, episode after episode, already normalised.</param>
    /// <param name="actions">At least K x <see cref="NetworkSpec.OutputSize"/> values; episode e's readout goes to
    /// <c>[e * OutputSize, (e + 1) * OutputSize)</c>.</param>
    /// <param name="width">Vector width; <see cref="SimdWidth.Auto"/> is the widest fast one.</param>
    /// <exception cref="ArgumentException">No states or more than <see cref="MaxLockstepEpisodes"/>, a state twice, a
    /// spec mismatch, or span lengths that do not fit K episodes.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rule"/> has an undefined term set.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static void StepLockstep(ReadOnlySpan<NetworkState> states, PdlfCoefficients rule, ReadOnlySpan<float> observations,
        Span<float> actions, SimdWidth width = SimdWidth.Auto)
    {
        var step = new LockstepAction(states, rule, observations, actions, width);
        PdlfTermSets.Dispatch<LockstepAction, bool>(rule.Terms, ref step);
    }

    private readonly ref struct LockstepAction(ReadOnlySpan<NetworkState> states, PdlfCoefficients rule,
        ReadOnlySpan<float> observations, Span<float> actions, SimdWidth width) : IPdlfTermsAction<bool>
    {
        private readonly ReadOnlySpan<NetworkState> _states = states;
        private readonly ReadOnlySpan<float> _observations = observations;
        private readonly Span<float> _actions = actions;

        public bool Invoke<TTerms>() where TTerms : struct, IPdlfTerms
        {
            StepLockstep<TTerms>(_states, rule, _observations, _actions, width);
            return true;
        }
    }

    /// <summary><see cref="StepLockstep"/> with the term set fixed at compile time (see <see cref="Step{TTerms}"/>).</summary>
    /// <exception cref="ArgumentException">As <see cref="StepLockstep"/>.</exception>
    public static void StepLockstep<TTerms>(ReadOnlySpan<NetworkState> states, PdlfCoefficients rule,
        ReadOnlySpan<float> observations, Span<float> actions, SimdWidth width = SimdWidth.Auto) where TTerms : struct, IPdlfTerms
    {
        var spec = CheckLockstep(states, rule, observations, actions);
        int inputs = spec.InputSize, outputs = spec.OutputSize;
        if (states.Length == 1)
        {
            Step<TTerms>(states[0], rule, observations, actions[..outputs], width);
            return;
        }
        // Propagation and the LIF step share nothing between episodes; only the plasticity passes run in lock-step.
        for (int e = 0; e < states.Length; e++)
        {
            var state = states[e];
            Span<float> x = state.Input, trace = state.Trace, output = state.Output;
            observations.Slice(e * inputs, inputs).CopyTo(x);
            Propagation.Dense(x, state.InputWeights, spec.Input, state.InputScale, state.HiddenCurrent, width);
            state.HiddenSpikeCount = Lif.Step(state.Membrane, state.HiddenCurrent, state.Spikes, trace, LifParameters.Pdlf, width);
            Propagation.Spikes(state.Spikes, state.OutputWeights, spec.Output, state.OutputScale, output, width);
            output[..outputs].CopyTo(actions.Slice(e * outputs, outputs));
        }
        PdlfRule.ApplyLockstep<TTerms>(states, outputLayer: false, rule.Input, width);
        PdlfRule.ApplyLockstep<TTerms>(states, outputLayer: true, rule.Output, width);
    }

    private static NetworkSpec CheckLockstep(ReadOnlySpan<NetworkState> states, PdlfCoefficients rule,
        ReadOnlySpan<float> observations, Span<float> actions)
    {
        if (states.IsEmpty || states.Length > MaxLockstepEpisodes)
            throw new ArgumentException($"A lock-step call takes 1 to {MaxLockstepEpisodes} episode states; got {states.Length}.", nameof(states));
        var spec = rule.Spec;
        for (int e = 0; e < states.Length; e++)
        {
            var state = states[e] ?? throw new ArgumentException($"Episode state {e} is null.", nameof(states));
            if (!ReferenceEquals(state.Spec, spec) && state.Spec != spec)
                throw new ArgumentException($"Rule was built for {spec}, episode state {e} is {state.Spec}.", nameof(rule));
            for (int other = 0; other < e; other++)
                if (ReferenceEquals(states[other], state))
                    throw new ArgumentException($"Episode states {other} and {e} are the same object; each episode needs its own.", nameof(states));
        }
        if (observations.Length != states.Length * spec.InputSize)
            throw new ArgumentException($"Observations hold {observations.Length} values; {states.Length} episodes of {spec.InputSize} inputs need {states.Length * spec.InputSize}.", nameof(observations));
        if (actions.Length < states.Length * spec.OutputSize)
            throw new ArgumentException($"Actions hold {actions.Length} values; {states.Length} episodes of {spec.OutputSize} outputs need {states.Length * spec.OutputSize}.", nameof(actions));
        return spec;
    }

    private static NetworkSpec Check(NetworkState state, PdlfCoefficients rule, ReadOnlySpan<float> observation, Span<float> action)
    {
        state.CheckStep(rule.Spec, "Rule was", nameof(rule), observation, action);
        return state.Spec;
    }
}
