using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Random;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;

namespace PdlfFast.Tasks.Synthetic;

/// <summary>Network sizes the step bench reports (docs/design.md, "Benchmark workloads").</summary>
/// <remarks>The large size runs short episodes so a quick round still completes several of them on the scalar twin.</remarks>
public sealed record BenchSize(string Name, int Input, int Hidden, int Output, int EpisodeSteps = 1000)
{
    public static IReadOnlyList<BenchSize> All { get; } =
    [
        new("ant_dir", 28, 128, 8),
        new("copy", 3, 128, 1),
        new("large", 256, 1024, 64, EpisodeSteps: 50),
    ];

    public NetworkSpec Spec => new(Input, Hidden, Output);
    public override string ToString() => $"{Name} {Input}-{Hidden}-{Output}";
}

/// <summary>
/// One PDLF policy running episodes of synthetic observations, as W1 measures it (docs/design.md, "Benchmark workloads"). The rule
/// is a random genome with the ES's initial spread (sigma 0.04 around zero) scaled up so the network is active.
/// </summary>
public sealed class PolicyWorkload
{
    private const int DistinctObservations = 256;

    private readonly PdlfCoefficients _rule;
    private readonly NetworkState _state;
    private readonly float[] _observations;
    private readonly float[] _action;
    private readonly int _inputSize;
    private readonly int _episodeSteps;

    public PolicyWorkload(BenchSize size, ulong seed, uint worker)
    {
        var spec = size.Spec;
        _inputSize = spec.InputSize;
        _episodeSteps = size.EpisodeSteps;
        _rule = new PdlfCoefficients(spec, PdlfTermSet.Abcd);
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

    public int Synapses => _state.Spec.Synapses;
    public int StateBytes => _state.Bytes;

    /// <summary>Runs one step, starting a new episode every EpisodeSteps steps; returns the first action value.</summary>
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
}
