using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Kernel.Network;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Synthetic;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// The synthetic workload of <c>pdlf bench</c> as a run kind: a PDLF (ABCD) policy stepped through episodes of
/// synthetic observations, no physics. Lets the cluster be measured on pure policy compute at any network size.
/// </summary>
/// <remarks>
/// Serialised with kebab-case keys (<c>episode-steps</c>, ...) when a cluster coordinator hands the run to its workers
/// (<see cref="RunKinds.Synthetic"/>); unknown keys are an error. Properties are init-only, unlike the training
/// configs (see <see cref="CopyConfig"/>'s note on the JSON source generator): documents should give every key, as
/// <see cref="ToJson"/> does. Defaults are ant_dir's size (28-128-8). Needs no MuJoCo.
/// </remarks>
public sealed record SyntheticConfig
{
    /// <summary>Key <c>inputs</c>: observation size, 1..4096. Default 28 (ant_dir's).</summary>
    public int Inputs { get; init; } = 28;
    /// <summary>Key <c>hidden</c>: LIF neurons, 1..4096. Default 128.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>Key <c>outputs</c>: action size, 1..4096. Default 8 (ant_dir's).</summary>
    public int Outputs { get; init; } = 8;
    /// <summary>Key <c>episode-steps</c>: policy steps per episode, 1..100,000. Default 1000.</summary>
    public int EpisodeSteps { get; init; } = 1000;
    /// <summary>Key <c>population</c>: PGPE members per generation, even, 2..65536. Default 64.</summary>
    public int Population { get; init; } = 64;
    /// <summary>Key <c>seed</c>: seed of the observation table, the strategy and the episodes. Default 1.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Key <c>threads</c>: worker threads of a local session, 1..1024 (remote workers choose their own); results do not depend on it. Default: the processor count.</summary>
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>The network shape Inputs-Hidden-Outputs.</summary>
    [JsonIgnore] public NetworkSpec Spec => new(Inputs, Hidden, Outputs);

    /// <summary>Validates the values; throws <see cref="ConfigException"/> listing every problem.</summary>
    /// <returns>This config, for chaining.</returns>
    public SyntheticConfig Validated()
    {
        var problems = new OptionChecks()
            .Range("inputs", Inputs, 1, 4096)
            .Range("hidden", Hidden, 1, 4096)
            .Range("outputs", Outputs, 1, 4096)
            .Range("episode-steps", EpisodeSteps, 1, 100_000)
            .EvenPopulation(Population)
            .Range("threads", Threads, 1, 1024)
            .Problems;
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        return this;
    }

    /// <summary>The workload's evaluator: an ABCD PDLF policy of <see cref="Spec"/> on synthetic observations.</summary>
    public SyntheticPdlfEvaluator Evaluator() => new(Spec, PdlfTermSet.Abcd, EpisodeSteps, Seed);

    /// <summary>PGPE with the reference's defaults and this population and seed, over the rule's parameters.</summary>
    public IEvolutionStrategy CreateStrategy() => new Pgpe(Evaluator().Dimension, new PgpeOptions(Population, Seed: Seed));

    /// <summary>One episode per member, common random numbers, this config's seed.</summary>
    /// <param name="threads">Worker threads to evaluate on.</param>
    public EvaluationOptions EvaluationOptions(int threads) => new(EpisodesPerMember: 1, Threads: threads, CommonRandomNumbers: true, Seed: Seed);

    /// <summary>A session on this process's threads (no checkpoints or test: a benchmark workload).</summary>
    public EvolutionSession<SyntheticPdlfEvaluator, SyntheticPdlfWorker> CreateSession()
    {
        Validated();
        string json = ToJson();
        return new EvolutionSession<SyntheticPdlfEvaluator, SyntheticPdlfWorker>(CreateStrategy(), Evaluator(), EvaluationOptions(Threads), json,
            () => System.Text.Encoding.UTF8.GetBytes(json), _ => double.NaN);
    }

    /// <summary>The config as the coordinator sends it: compact JSON, kebab-case keys, every key present.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SyntheticJson.Default.SyntheticConfig);

    /// <summary>Parses a config document (unknown keys are an error).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the JSON came from, for the error message.</param>
    /// <exception cref="ConfigException">Not a valid synthetic config.</exception>
    public static SyntheticConfig FromJson(string json, string source) => ConfigFiles.Parse(json, SyntheticJson.Default.SyntheticConfig, "synthetic config", source);
}

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(SyntheticConfig))]
internal sealed partial class SyntheticJson : JsonSerializerContext;
