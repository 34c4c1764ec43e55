using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Observation;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>Which kind of policy network a locomotion run evolves (docs/design.md, "Network and neuron model").</summary>
public enum LocomotionPolicyKind
{
    /// <summary>PDLF: weights start at zero every episode and follow the evolved rule.</summary>
    Pdlf,
    /// <summary>The "Opt_Weight" baseline: the same shapes with weights and biases evolved directly.</summary>
    DirectWeight,
    /// <summary>
    /// SpikePropamine's plastic SNN (docs/design.md, "SpikePropamine plastic layers"): observation -> recurrent LIF
    /// neurons with synapses <c>W + alpha (.) H</c> -> linear readout of their spike traces. W, alpha, eta, the
    /// modulation and the readout are the evolved genome; the plastic traces H start at zero every episode.
    /// </summary>
    SpikePropamine,
}

/// <summary>Which network runs which task: the parameter vector's meaning and length follow from it.</summary>
/// <remarks>
/// The policy is observation -> <paramref name="Hidden"/> LIF neurons -> actions, with observation size
/// <see cref="LocomotionTask.ObservationSize"/> (state part plus target) and action size
/// <see cref="LocomotionTask.ActionSize"/>; e.g. ant_dir with PDLF ABCD is 28-128-8, 5 x 4,608 = 23,040 parameters.
/// </remarks>
/// <param name="Task">The locomotion task.</param>
/// <param name="Policy">PDLF (evolved rule, weights from zero), the direct-weight baseline or SpikePropamine's plastic SNN.</param>
/// <param name="Terms">Terms of the PDLF rule (ignored by the other policies).</param>
/// <param name="Hidden">LIF neurons of the hidden layer.</param>
/// <param name="EpisodeSteps">Control steps per episode (the reference's 1,000, fewer for reduced budgets).</param>
/// <param name="TraceRule">SpikePropamine's plasticity (null: <see cref="TraceRuleVariant.Hebbian"/>); ignored by the other policies.</param>
public sealed record LocomotionSetup(LocomotionTask Task, LocomotionPolicyKind Policy, PdlfTermSet Terms = PdlfTermSet.Abcd,
    int Hidden = 128, int EpisodeSteps = LocomotionTask.EpisodeSteps, TraceRuleVariant? TraceRule = null)
{
    // Computed, not stored: a stored value would survive `with` and go stale.
    /// <summary>The PDLF or direct-weight network's shape: observation size, hidden size, action size, variant.</summary>
    /// <exception cref="InvalidOperationException">A SpikePropamine policy (its network is <see cref="PlasticSpec"/>).</exception>
    public NetworkSpec Spec => Policy switch
    {
        LocomotionPolicyKind.Pdlf => new(Task.ObservationSize, Hidden, Task.ActionSize, NetworkVariant.Pdlf),
        LocomotionPolicyKind.DirectWeight => new(Task.ObservationSize, Hidden, Task.ActionSize, NetworkVariant.DirectWeight),
        _ => throw new InvalidOperationException("A SpikePropamine policy is a plastic SNN: see PlasticSpec."),
    };

    /// <summary>The SpikePropamine network: observation -> <see cref="Hidden"/> recurrent LIF neurons -> actions, with <see cref="TraceRule"/>.</summary>
    /// <exception cref="InvalidOperationException">Not a SpikePropamine policy.</exception>
    public PlasticSnnSpec PlasticSpec => Policy == LocomotionPolicyKind.SpikePropamine
        ? (TraceRule ?? TraceRuleVariant.Hebbian).Spec(Task.ObservationSize, Hidden, Task.ActionSize)
        : throw new InvalidOperationException($"A {Policy} policy has no plastic SNN: see Spec.");

    /// <summary>The output layer a permanent injury blocks synapses of: layer 2, or SpikePropamine's readout (Hidden x actions, unpadded).</summary>
    public LayerShape OutputLayer => Policy == LocomotionPolicyKind.SpikePropamine ? LayerShape.Dense(Hidden, Task.ActionSize) : Spec.Output;

    /// <summary>Whether the policy's synapses learn within an episode (PDLF, or SpikePropamine with a trace rule other than none).</summary>
    public bool Plastic => Policy switch
    {
        LocomotionPolicyKind.Pdlf => true,
        LocomotionPolicyKind.SpikePropamine => (TraceRule ?? TraceRuleVariant.Hebbian).Plastic,
        _ => false,
    };

    /// <summary>
    /// Whether <see cref="Injury.Temporary"/> means anything here: it zeroes the plastic weights (PDLF), the plastic
    /// traces (SpikePropamine) or the evolved weights (baseline); a SpikePropamine network with trace rule none has no
    /// plastic state to zero.
    /// </summary>
    public bool TemporaryInjuryApplies => Policy != LocomotionPolicyKind.SpikePropamine || Plastic;

    /// <summary>Parameters the ES searches: the rule's (PDLF), the weights and biases (baseline) or the plastic SNN's (SpikePropamine).</summary>
    public int Dimension => Policy switch
    {
        LocomotionPolicyKind.Pdlf => PdlfCoefficients.GenomeLength(Spec, Terms),
        LocomotionPolicyKind.DirectWeight => DirectWeightParameters.GenomeLength(Spec),
        _ => new PlasticSnnLayout(PlasticSpec).Length,
    };

    /// <summary>
    /// The ES's starting mean. PDLF and the baseline start from zeros (null), as the reference does. A SpikePropamine
    /// network at zero would never spike, so it starts from <see cref="PlasticSnnLayout.Initial"/>: weights
    /// ~ N(0, (c / sqrt(fan-in))^2) drawn from <paramref name="seed"/> by the counter-based generator, alpha 0.1
    /// where plastic (0 for <c>none</c>), eta 0.1, modulation fan-out 1, biases 0.
    /// </summary>
    /// <param name="seed">The run's seed.</param>
    /// <returns>A new vector of <see cref="Dimension"/> values, or null for all zeros.</returns>
    public float[]? InitialParameters(ulong seed) =>
        Policy == LocomotionPolicyKind.SpikePropamine ? new PlasticSnnLayout(PlasticSpec).Initial(seed) : null;

    /// <summary>Short label for logs and plots, e.g. "pdlf-abcd", "direct-weight" or "spikepropamine-hebbian".</summary>
    public string Label => Policy switch
    {
        LocomotionPolicyKind.Pdlf => $"pdlf-{Terms.ToString().ToLowerInvariant()}",
        LocomotionPolicyKind.DirectWeight => "direct-weight",
        _ => $"spikepropamine-{(TraceRule ?? TraceRuleVariant.Hebbian).Name}",
    };
}

/// <summary>Observes an episode step by step (plots, path tracing); a struct so the no-op case costs nothing.</summary>
public interface ILocomotionRecorder
{
    /// <summary>Called before the policy sees step <paramref name="step"/> (1-based); may change the target (steering).</summary>
    /// <param name="step">1-based control step about to run.</param>
    /// <param name="worker">The running worker; set <c>worker.Environment.Target</c> to steer.</param>
    void BeforeStep(int step, LocomotionWorker worker);
    /// <summary>Called after step <paramref name="step"/> with its result; the worker's observation, action, network state and environment are as the step left them.</summary>
    /// <param name="step">1-based control step just run.</param>
    /// <param name="worker">The running worker (valid during the call only; copy what you keep).</param>
    /// <param name="result">The step's reward and termination.</param>
    void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result);
}

/// <summary>The recorder that records nothing: the training and test path (the JIT removes its calls).</summary>
public struct NoRecorder : ILocomotionRecorder
{
    /// <summary>Does nothing.</summary>
    /// <param name="step">Ignored.</param>
    /// <param name="worker">Ignored.</param>
    public readonly void BeforeStep(int step, LocomotionWorker worker) { }
    /// <summary>Does nothing.</summary>
    /// <param name="step">Ignored.</param>
    /// <param name="worker">Ignored.</param>
    /// <param name="result">Ignored.</param>
    public readonly void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result) { }
}

/// <summary>
/// A worker's scratch for locomotion episodes: its own simulation data, network state, rule, weights or plastic
/// SNN, and observation/action buffers. Nothing is allocated per episode or step.
/// </summary>
/// <remarks>
/// Needs MuJoCo. Mutable and single-threaded: one per thread, sharing the read-only model. An episode's return
/// depends only on the parameters, target, seed, normaliser and <see cref="Injury"/>, never on earlier episodes.
/// Dispose frees the worker's simulation data.
/// </remarks>
public sealed class LocomotionWorker : IDisposable
{
    private const uint ResetNoisePurpose = 11;
    private readonly float[] _observation, _networkInput, _action;
    private Injury _injury = Injury.None;
    private int[] _blocked = [];
    // SpikePropamine under a permanent injury: the genome with the blocked readout weights zeroed.
    private float[] _blockedGenome = [];

    /// <summary>A worker for <paramref name="setup"/> on <paramref name="model"/>.</summary>
    /// <param name="setup">Task, policy and network size.</param>
    /// <param name="model">The task's model, shared with other workers; must outlive this worker.</param>
    /// <exception cref="ArgumentException">The model does not fit the task.</exception>
    public LocomotionWorker(LocomotionSetup setup, MuJoCoModel model)
    {
        Setup = setup ?? throw new ArgumentNullException(nameof(setup));
        Environment = new LocomotionEnvironment(setup.Task, model) { EpisodeSteps = setup.EpisodeSteps };
        switch (setup.Policy)
        {
            case LocomotionPolicyKind.SpikePropamine:
                Network = new PlasticSnn(setup.PlasticSpec, new float[setup.Dimension]);
                break;
            case LocomotionPolicyKind.Pdlf:
                State = new NetworkState(setup.Spec);
                Rule = new PdlfCoefficients(setup.Spec, setup.Terms);
                break;
            default:
                State = new NetworkState(setup.Spec);
                Weights = new DirectWeightParameters(setup.Spec);
                break;
        }
        _observation = new float[setup.Task.ObservationSize];
        _networkInput = new float[setup.Task.ObservationSize];
        _action = new float[setup.Task.ActionSize];
    }

    /// <summary>Task, policy and network size.</summary>
    public LocomotionSetup Setup { get; }
    /// <summary>This worker's environment (its own simulation data).</summary>
    public LocomotionEnvironment Environment { get; }
    /// <summary>The PDLF or baseline policy's membranes, traces and (PDLF) plastic weights, for recorders and plots; null for SpikePropamine.</summary>
    public NetworkState? State { get; }
    /// <summary>The PDLF rule loaded from the parameters; null for the other policies.</summary>
    public PdlfCoefficients? Rule { get; }
    /// <summary>The baseline's evolved weights and biases; null for the other policies.</summary>
    public DirectWeightParameters? Weights { get; }
    /// <summary>SpikePropamine's plastic SNN with the episode's genome and state (W, alpha, plastic traces H); null for the other policies.</summary>
    public PlasticSnn? Network { get; }
    /// <summary>The hidden layer's spike traces after the last step (<see cref="LocomotionSetup.Hidden"/> values), whatever the policy.</summary>
    public ReadOnlySpan<float> HiddenTrace => Network is not null ? Network.Trace : State!.Trace[..Setup.Hidden];
    /// <summary>The last raw observation (state part then target): <see cref="LocomotionTask.ObservationSize"/> floats.</summary>
    public ReadOnlySpan<float> Observation => _observation;
    /// <summary>The last action the policy produced, before clipping: <see cref="LocomotionTask.ActionSize"/> floats.</summary>
    public ReadOnlySpan<float> Action => _action;

    /// <summary>Injury applied to the following episodes (default <see cref="Injury.None"/>).</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The injury does not validate.</exception>
    /// <exception cref="ArgumentException">A temporary injury of a policy it does not apply to (<see cref="LocomotionSetup.TemporaryInjuryApplies"/>).</exception>
    public Injury Injury
    {
        get => _injury;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            if (value.Kind == InjuryKind.Temporary && !Setup.TemporaryInjuryApplies)
                throw new ArgumentException("The temporary injury zeroes plastic traces; this SpikePropamine policy has none (trace rule none).", nameof(value));
            _injury = value;
            _blocked = value.BlockedSynapses(Setup.OutputLayer);
            if (Network is not null && _blocked.Length > 0 && _blockedGenome.Length == 0) _blockedGenome = new float[Setup.Dimension];
        }
    }

    /// <summary>Storage indices of the output-layer synapses the current injury blocks.</summary>
    public ReadOnlySpan<int> BlockedOutputSynapses => _blocked;

    /// <summary>
    /// Runs one episode towards <paramref name="target"/> and returns its return. Observations are normalised with
    /// <paramref name="normaliser"/> (only read); when <paramref name="collect"/> is set, raw state observations are
    /// added to it. Reset noise comes from <paramref name="seed"/> alone.
    /// </summary>
    /// <typeparam name="TRecorder">A struct recorder; <see cref="NoRecorder"/> costs nothing.</typeparam>
    /// <param name="parameters">The policy's genome, <see cref="LocomotionSetup.Dimension"/> values.</param>
    /// <param name="target">The episode's target (direction, speed or goal distance).</param>
    /// <param name="seed">Seed of the reset noise (and of a reaching task's goals).</param>
    /// <param name="normaliser">Statistics the state observation is normalised with (read only).</param>
    /// <param name="collect">Receives every raw state observation, or null.</param>
    /// <param name="recorder">Sees every step.</param>
    /// <returns>The sum of the episode's rewards (up to <see cref="LocomotionSetup.EpisodeSteps"/> steps, fewer if it terminated).</returns>
    public double RunEpisode<TRecorder>(ReadOnlySpan<float> parameters, float target, ulong seed,
        ObservationNormaliser normaliser, ObservationNormaliser? collect, ref TRecorder recorder)
        where TRecorder : struct, ILocomotionRecorder
    {
        var task = Setup.Task;
        int stateSize = task.StateObservationSize;
        LoadParameters(parameters); // SpikePropamine: also clears the plastic traces H, the genome stays
        State?.Reset();
        var noise = new RandomStream(seed, new StreamId(0, 0, 0, ResetNoisePurpose));
        Environment.Reset(target, ref noise);
        double total = 0;
        for (int step = 1; step <= Setup.EpisodeSteps; step++)
        {
            recorder.BeforeStep(step, this);
            Environment.Observe(_observation);
            var state = _observation.AsSpan(0, stateSize);
            collect?.Update(state);
            normaliser.Normalise(state, _networkInput.AsSpan(0, stateSize));
            _observation.AsSpan(stateSize).CopyTo(_networkInput.AsSpan(stateSize));
            InjureBeforeStep(step, parameters);
            StepPolicy();
            var result = Environment.Step(_action);
            total += result.Reward;
            recorder.AfterStep(step, this, result);
            if (result.Terminated) break;
        }
        return total;
    }

    private void LoadParameters(ReadOnlySpan<float> parameters)
    {
        if (Network is not null)
        {
            if (_blocked.Length == 0)
            {
                Network.Load(parameters);
                return;
            }
            // Blocked readout synapses: zero in the genome, and the readout is not plastic, so they stay zero.
            parameters.CopyTo(_blockedGenome);
            var readout = Network.Layout.Of(_blockedGenome.AsSpan(), PlasticSnnPart.OutputWeights);
            foreach (int i in _blocked) readout[i] = 0;
            Network.Load(_blockedGenome);
        }
        else if (Rule is not null) Rule.Load(parameters);
        else
        {
            Weights!.Load(parameters);
            BlockDirectWeights();
        }
    }

    private void BlockDirectWeights()
    {
        var weights = Weights!.OutputWeights;
        foreach (int i in _blocked) weights[i] = 0;
    }

    /// <summary>
    /// Applies the temporary injury before policy step <paramref name="step"/>: inside the window the plastic weights
    /// (PDLF), the plastic and eligibility traces (SpikePropamine: W and alpha, the genome, stay) or the evolved
    /// weights (baseline) are zeroed; after it the baseline gets its genome back, the plastic policies learn again.
    /// </summary>
    internal void InjureBeforeStep(int step, ReadOnlySpan<float> parameters)
    {
        if (_injury.Kind != InjuryKind.Temporary) return;
        if (_injury.WipesAt(step))
        {
            if (Network is not null) Network.ClearPlasticTraces();
            else if (Rule is not null)
            {
                State!.InputWeights.Clear();
                State.OutputWeights.Clear();
                State.InputScale = 1f;
                State.OutputScale = 1f;
            }
            else
            {
                Weights!.InputWeights.Clear();
                Weights.OutputWeights.Clear();
            }
        }
        else if (step == _injury.LastStep + 1 && Weights is not null)
        {
            // Evolved weights are the genome: the injury ends when they are restored.
            LoadParameters(parameters);
        }
    }

    private void StepPolicy()
    {
        if (Network is not null) Network.Step(_networkInput, _action);
        else if (Rule is not null)
        {
            PdlfNetwork.Step(State!, Rule, _networkInput, _action);
            if (_blocked.Length > 0)
            {
                var weights = State!.OutputWeights;
                foreach (int i in _blocked) weights[i] = 0;
            }
        }
        else DirectWeightNetwork.Step(State!, Weights!, _networkInput, _action);
    }

    /// <summary>Frees the worker's simulation data (not the shared model).</summary>
    public void Dispose() => Environment.Dispose();
}
