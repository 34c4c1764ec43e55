using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Observation;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

public enum LocomotionPolicyKind
{
    /// <summary>PDLF: weights start at zero every episode and follow the evolved rule.</summary>
    Pdlf,
    /// <summary>The "Opt_Weight" baseline: the same shapes with weights and biases evolved directly.</summary>
    DirectWeight,
}

/// <summary>Which network runs which task: the parameter vector's meaning and length follow from it.</summary>
public sealed record LocomotionSetup(LocomotionTask Task, LocomotionPolicyKind Policy, PdlfTermSet Terms = PdlfTermSet.Abcd,
    int Hidden = 128, int EpisodeSteps = LocomotionTask.EpisodeSteps)
{
    // Computed, not stored: a stored value would survive `with` and go stale.
    public NetworkSpec Spec => new(Task.ObservationSize, Hidden, Task.ActionSize,
        Policy == LocomotionPolicyKind.Pdlf ? NetworkVariant.Pdlf : NetworkVariant.DirectWeight);

    public int Dimension => Policy == LocomotionPolicyKind.Pdlf
        ? PdlfCoefficients.GenomeLength(Spec, Terms)
        : DirectWeightParameters.GenomeLength(Spec);

    /// <summary>Short label for logs and plots, e.g. "pdlf-abcd" or "direct-weight".</summary>
    public string Label => Policy == LocomotionPolicyKind.Pdlf ? $"pdlf-{Terms.ToString().ToLowerInvariant()}" : "direct-weight";
}

/// <summary>Observes an episode step by step (plots, path tracing); a struct so the no-op case costs nothing.</summary>
public interface ILocomotionRecorder
{
    /// <summary>Called before the policy sees step <paramref name="step"/> (1-based); may change the target (steering).</summary>
    void BeforeStep(int step, LocomotionWorker worker);
    void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result);
}

public struct NoRecorder : ILocomotionRecorder
{
    public readonly void BeforeStep(int step, LocomotionWorker worker) { }
    public readonly void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result) { }
}

/// <summary>
/// A worker's scratch for locomotion episodes: its own simulation data, network state, rule or weights, and
/// observation/action buffers. Nothing is allocated per episode or step.
/// </summary>
public sealed class LocomotionWorker : IDisposable
{
    private const uint ResetNoisePurpose = 11;
    private readonly float[] _observation, _networkInput, _action;
    private Injury _injury = Injury.None;
    private int[] _blocked = [];

    public LocomotionWorker(LocomotionSetup setup, MuJoCoModel model)
    {
        Setup = setup ?? throw new ArgumentNullException(nameof(setup));
        Environment = new LocomotionEnvironment(setup.Task, model) { EpisodeSteps = setup.EpisodeSteps };
        State = new NetworkState(setup.Spec);
        if (setup.Policy == LocomotionPolicyKind.Pdlf) Rule = new PdlfCoefficients(setup.Spec, setup.Terms);
        else Weights = new DirectWeightParameters(setup.Spec);
        _observation = new float[setup.Task.ObservationSize];
        _networkInput = new float[setup.Task.ObservationSize];
        _action = new float[setup.Task.ActionSize];
    }

    public LocomotionSetup Setup { get; }
    public LocomotionEnvironment Environment { get; }
    public NetworkState State { get; }
    public PdlfCoefficients? Rule { get; }
    public DirectWeightParameters? Weights { get; }
    /// <summary>The last raw observation (state part then target) and the last action.</summary>
    public ReadOnlySpan<float> Observation => _observation;
    public ReadOnlySpan<float> Action => _action;

    /// <summary>Injury applied to the following episodes.</summary>
    public Injury Injury
    {
        get => _injury;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _injury = value;
            _blocked = value.BlockedSynapses(Setup.Spec.Output);
        }
    }

    /// <summary>Storage indices of the output-layer synapses the current injury blocks.</summary>
    public ReadOnlySpan<int> BlockedOutputSynapses => _blocked;

    /// <summary>
    /// Runs one episode towards <paramref name="target"/> and returns its return. Observations are normalised with
    /// <paramref name="normaliser"/> (only read); when <paramref name="collect"/> is set, raw state observations are
    /// added to it. Reset noise comes from <paramref name="seed"/> alone.
    /// </summary>
    public double RunEpisode<TRecorder>(ReadOnlySpan<float> parameters, float target, ulong seed,
        ObservationNormaliser normaliser, ObservationNormaliser? collect, ref TRecorder recorder)
        where TRecorder : struct, ILocomotionRecorder
    {
        var task = Setup.Task;
        int stateSize = task.StateObservationSize;
        LoadParameters(parameters);
        State.Reset();
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
        if (Rule is not null) Rule.Load(parameters);
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
    /// (PDLF) or the evolved weights (baseline) are zeroed; after it the baseline gets its genome back.
    /// </summary>
    public void InjureBeforeStep(int step, ReadOnlySpan<float> parameters)
    {
        if (_injury.Kind != InjuryKind.Temporary) return;
        if (_injury.WipesAt(step))
        {
            if (Rule is not null)
            {
                State.InputWeights.Clear();
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
        else if (step == _injury.LastStep + 1 && Rule is null)
        {
            // Evolved weights are the genome: the injury ends when they are restored.
            LoadParameters(parameters);
        }
    }

    private void StepPolicy()
    {
        if (Rule is not null)
        {
            PdlfNetwork.Step(State, Rule, _networkInput, _action);
            if (_blocked.Length > 0)
            {
                var weights = State.OutputWeights;
                foreach (int i in _blocked) weights[i] = 0;
            }
        }
        else DirectWeightNetwork.Step(State, Weights!, _networkInput, _action);
    }

    public void Dispose() => Environment.Dispose();
}
