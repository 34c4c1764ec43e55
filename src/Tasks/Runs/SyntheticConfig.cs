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
public sealed record SyntheticConfig
{
    public int Inputs { get; init; } = 28;
    public int Hidden { get; init; } = 128;
    public int Outputs { get; init; } = 8;
    public int EpisodeSteps { get; init; } = 1000;
    public int Population { get; init; } = 64;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    [JsonIgnore] public NetworkSpec Spec => new(Inputs, Hidden, Outputs);

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

    public SyntheticPdlfEvaluator Evaluator() => new(Spec, PdlfTermSet.Abcd, EpisodeSteps, Seed);

    public IEvolutionStrategy CreateStrategy() => new Pgpe(Evaluator().Dimension, new PgpeOptions(Population, Seed: Seed));

    public EvaluationOptions EvaluationOptions(int threads) => new(EpisodesPerMember: 1, Threads: threads, CommonRandomNumbers: true, Seed: Seed);

    /// <summary>A session on this process's threads (no checkpoints or test: a benchmark workload).</summary>
    public EvolutionSession<SyntheticPdlfEvaluator, SyntheticPdlfWorker> CreateSession()
    {
        Validated();
        string json = ToJson();
        return new EvolutionSession<SyntheticPdlfEvaluator, SyntheticPdlfWorker>(CreateStrategy(), Evaluator(), EvaluationOptions(Threads), json,
            () => System.Text.Encoding.UTF8.GetBytes(json), _ => double.NaN);
    }

    public string ToJson() => JsonSerializer.Serialize(this, SyntheticJson.Default.SyntheticConfig);

    public static SyntheticConfig FromJson(string json, string source) => ConfigFiles.Parse(json, SyntheticJson.Default.SyntheticConfig, "synthetic config", source);
}

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(SyntheticConfig))]
internal sealed partial class SyntheticJson : JsonSerializerContext;
