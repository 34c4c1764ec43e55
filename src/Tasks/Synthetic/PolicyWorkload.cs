using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;

namespace PdlfFast.Tasks.Synthetic;

/// <summary>Network sizes the step bench reports (docs/design.md, "Benchmark workloads").</summary>
/// <remarks>The large size runs short episodes so a quick round still completes several of them on the scalar twin.</remarks>
/// <param name="Name">Name on the command line (<c>pdlf bench --size</c>) and in reports.</param>
/// <param name="Input">Observation size (presynaptic neurons of layer 1).</param>
/// <param name="Hidden">LIF neurons.</param>
/// <param name="Output">Action size.</param>
/// <param name="EpisodeSteps">Steps before the workload starts a new episode (state reset).</param>
public sealed record BenchSize(string Name, int Input, int Hidden, int Output, int EpisodeSteps = 1000)
{
    /// <summary>ant_dir 28-128-8 (4,608 synapses, the headline size), copy 3-128-1 (odd widths exercise tails), large 256-1024-64 (does not fit in L2; 50-step episodes).</summary>
    public static IReadOnlyList<BenchSize> All { get; } =
    [
        new("ant_dir", 28, 128, 8),
        new("copy", 3, 128, 1),
        new("large", 256, 1024, 64, EpisodeSteps: 50),
    ];

    /// <summary>The PDLF network shape Input-Hidden-Output.</summary>
    public NetworkSpec Spec => new(Input, Hidden, Output);
    /// <summary>"name in-hidden-out", e.g. "ant_dir 28-128-8".</summary>
    public override string ToString() => $"{Name} {Input}-{Hidden}-{Output}";
}

/// <summary>
/// One PDLF policy running episodes of synthetic observations, as W1 measures it (docs/design.md, "Benchmark workloads"). The rule
/// is a random genome with the ES's initial spread (sigma 0.04 around zero) scaled up so the network is active.
/// </summary>
/// <remarks>
/// The genome is Gaussian with standard deviation 0.5 and the observations uniform in [-3, 3], from a 256-entry table
/// cycled through; both come from (seed, worker), so workloads are reproducible and distinct per worker. Mutable and
/// single-threaded: one per benchmark thread. <see cref="Step"/> and <see cref="RunEpisode"/> allocate nothing.
/// </remarks>
public sealed class PolicyWorkload
{
    private const int DistinctObservations = 256;

    private readonly PdlfCoefficients _rule;
    private readonly NetworkState _state;
    private readonly float[] _observations;
    private readonly float[] _action;
    private readonly int _inputSize;
    private readonly int _episodeSteps;

    /// <summary>Builds the rule, observation table and episode state of one benchmark thread.</summary>
    /// <param name="size">Network shape and episode length.</param>
    /// <param name="seed">Seed of the genome and observations.</param>
    /// <param name="worker">Benchmark thread index; gives each thread its own genome and observations.</param>
    public PolicyWorkload(BenchSize size, ulong seed, uint worker) : this(size, seed, worker, CoefficientPrecision.Single) { }

    /// <summary>Builds the rule, observation table and episode state of one benchmark thread, the rule stored at <paramref name="precision"/>.</summary>
    /// <param name="size">Network shape and episode length.</param>
    /// <param name="seed">Seed of the genome and observations.</param>
    /// <param name="worker">Benchmark thread index; gives each thread its own genome and observations.</param>
    /// <param name="precision">How the rule's coefficients are stored (the same genome either way).</param>
    public PolicyWorkload(BenchSize size, ulong seed, uint worker, CoefficientPrecision precision)
    {
        var spec = size.Spec;
        _inputSize = spec.InputSize;
        _episodeSteps = size.EpisodeSteps;
        _rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd, precision);
        var genome = new float[_rule.GenomeLength()];
        var random = new RandomStream(seed, new StreamId(0, worker, 0, Purpose: 1));
        random.FillGaussian(genome, 0f, 0.5f);
        _rule.Load(genome);
        _observations = new float[DistinctObservations * spec.InputSize];
        random.FillUniform(_observations, -3f, 3f);
        _state = new NetworkState(spec);
        _action = new float[spec.OutputSize];
    }

    private int _step;

    /// <summary>Synapses updated per step (both layers, without padding): the unit of synapse-updates/s.</summary>
    public int Synapses => _state.Spec.Synapses;
    /// <summary>Bytes of one episode's state (membranes, traces, weights), to compare with the L2 cache size.</summary>
    public int StateBytes => _state.Bytes;

    /// <summary>Runs one step, starting a new episode every EpisodeSteps steps; returns the first action value.</summary>
    /// <param name="width"><see cref="SimdWidth.Scalar"/> runs the scalar twin; any other width the vector path at that width.</param>
    /// <returns>The first action value (returned so the benchmark's work cannot be optimised away).</returns>
    public float Step(SimdWidth width)
    {
        if (_step == _episodeSteps)
        {
            _state.Reset();
            _step = 0;
        }
        var x = _observations.AsSpan((_step++ % DistinctObservations) * _inputSize, _inputSize);
        if (width == SimdWidth.Scalar) PdlfNetwork.StepScalar<AbcdTerms>(_state, _rule, x, _action);
        else PdlfNetwork.Step<AbcdTerms>(_state, _rule, x, _action, width);
        return _action[0];
    }

    /// <summary>Runs one episode and returns its step count. Scalar uses the scalar twins; other widths the vector paths.</summary>
    /// <param name="width"><see cref="SimdWidth.Scalar"/> or a vector width.</param>
    public int RunEpisode(SimdWidth width)
    {
        _state.Reset();
        ReadOnlySpan<float> observations = _observations;
        for (int t = 0; t < _episodeSteps; t++)
        {
            var x = observations.Slice((t % DistinctObservations) * _inputSize, _inputSize);
            if (width == SimdWidth.Scalar) PdlfNetwork.StepScalar<AbcdTerms>(_state, _rule, x, _action);
            else PdlfNetwork.Step<AbcdTerms>(_state, _rule, x, _action, width);
        }
        return _episodeSteps;
    }
    private NetworkState[] _lockstepStates = [];
    private float[] _lockstepObservations = [], _lockstepActions = [];

    /// <summary>
    /// Runs one episode of each of <paramref name="episodes"/> states side by side with
    /// <see cref="PdlfNetwork.StepLockstep{TTerms}"/> (episode e sees the observation table shifted by e steps) and
    /// returns the episode-steps run (episodes x EpisodeSteps). The first call for a K builds its states and
    /// observation blocks; later calls allocate nothing.
    /// </summary>
    /// <param name="episodes">K, 1..<see cref="PdlfNetwork.MaxLockstepEpisodes"/>.</param>
    /// <param name="width">Vector width (<see cref="SimdWidth.Scalar"/> runs the episodes one after another, scalar).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="episodes"/> is out of range.</exception>
    public int RunLockstepEpisodes(int episodes, SimdWidth width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(episodes, PdlfNetwork.MaxLockstepEpisodes);
        if (_lockstepStates.Length != episodes) PrepareLockstep(episodes);
        foreach (var state in _lockstepStates) state.Reset();
        int block = episodes * _inputSize;
        ReadOnlySpan<float> observations = _lockstepObservations;
        for (int t = 0; t < _episodeSteps; t++)
        {
            var x = observations.Slice((t % DistinctObservations) * block, block);
            PdlfNetwork.StepLockstep<AbcdTerms>(_lockstepStates, _rule, x, _lockstepActions, width);
        }
        return episodes * _episodeSteps;
    }

    private void PrepareLockstep(int episodes)
    {
        var spec = _state.Spec;
        _lockstepStates = new NetworkState[episodes];
        for (int e = 0; e < episodes; e++) _lockstepStates[e] = new NetworkState(spec);
        _lockstepActions = new float[episodes * spec.OutputSize];
        // Step t's block holds every episode's observation of that step: episode e at table row (t + e) mod 256.
        _lockstepObservations = new float[DistinctObservations * episodes * _inputSize];
        for (int t = 0; t < DistinctObservations; t++)
            for (int e = 0; e < episodes; e++)
                _observations.AsSpan(((t + e) % DistinctObservations) * _inputSize, _inputSize)
                    .CopyTo(_lockstepObservations.AsSpan((t * episodes + e) * _inputSize));
    }
}
