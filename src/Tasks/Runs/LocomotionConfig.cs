using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// Everything that defines a locomotion training run. Defaults are the built-in reduced budget of
/// <c>pdlf train TASK</c> on a 2-core machine; the reference budget is population 256, 8 episodes per target and
/// 1000-step episodes (see README). Setters, not init, for the JSON source generator (see <see cref="CopyConfig"/>).
/// </summary>
public sealed record LocomotionConfig
{
    public string Task { get; set; } = "halfcheetah_vel";
    public string Policy { get; set; } = "pdlf";
    public string Rule { get; set; } = "abcd";
    public int Hidden { get; set; } = 128;
    public string Strategy { get; set; } = "pgpe";
    public int Population { get; set; } = 32;
    public int Generations { get; set; } = 100;
    public int EpisodesPerTarget { get; set; } = 1;
    public int EpisodeSteps { get; set; } = LocomotionTask.EpisodeSteps;
    public double LearningRate { get; set; } = 0.01;
    public float Sigma { get; set; } = 0.04f;
    public int TestEvery { get; set; } = 10;
    public int CheckpointEvery { get; set; } = 5;
    public ulong Seed { get; set; } = 1;
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    public static readonly string[] Policies = ["pdlf", "direct-weight"];

    [JsonIgnore]
    public LocomotionTask TaskDefinition => LocomotionTasks.Find(Task) ?? throw new ConfigException(UnknownTask(Task));

    [JsonIgnore]
    public PdlfTermSet Terms => TermSets.Parse(Rule);

    [JsonIgnore]
    public int EpisodesPerMember => EpisodesPerTarget * LocomotionTask.TrainingTargetCount;

    public LocomotionSetup Setup() => new(TaskDefinition, PolicyKind, Terms, Hidden, EpisodeSteps);

    [JsonIgnore]
    public LocomotionPolicyKind PolicyKind => Policy switch
    {
        "pdlf" => LocomotionPolicyKind.Pdlf,
        "direct-weight" => LocomotionPolicyKind.DirectWeight,
        _ => throw new ConfigException($"--policy must be one of {string.Join(", ", Policies)} (got '{Policy}')"),
    };

    /// <summary>Label of the run in plots and logs: "PDLF", "PDLF (ACD)", "direct-weight baseline".</summary>
    [JsonIgnore]
    public string Label => Policy == "pdlf" ? Rule == "abcd" ? "PDLF" : $"PDLF ({Rule.ToUpperInvariant()})" : "direct-weight baseline";

    public static string UnknownTask(string task) =>
        $"--task must be one of {string.Join(", ", LocomotionTasks.Names)} (got '{task}').";

    public IReadOnlyList<string> Problems()
    {
        var checks = new OptionChecks();
        if (LocomotionTasks.Find(Task) is null) checks.Add(UnknownTask(Task));
        return checks
            .OneOf("--policy", Policy, Policies)
            .OneOf("--rule", Rule, TermSets.Names)
            .OneOf("--strategy", Strategy, Training.Evolution.Strategies.Names)
            .Range("--hidden", Hidden, 1, 4096)
            .EvenPopulation(Population)
            .Range("--generations", Generations, 1, 10_000_000)
            .Range("--episodes-per-target", EpisodesPerTarget, 1, 1024)
            .Range("--episode-steps", EpisodeSteps, 1, 100_000)
            .Range("--learning-rate", LearningRate, 1e-6, 10)
            .Range("--sigma", Sigma, 1e-6, 10)
            .Range("--test-every", TestEvery, 1, 1_000_000)
            .Range("--checkpoint-every", CheckpointEvery, 1, 1_000_000)
            .Range("--threads", Threads, 1, 1024)
            .Problems;
    }

    /// <summary>Parameters the ES searches, computed without building the policy.</summary>
    [JsonIgnore]
    public long Dimension => Setup().Dimension;

    /// <summary>
    /// Bytes a run needs, roughly: the population matrix, the strategy's per-parameter state, one observation-statistics
    /// slot per episode, and each worker's network state and MuJoCo data (a few MB with our models' sizes).
    /// </summary>
    public double EstimateBytes()
    {
        var task = TaskDefinition;
        double synapses = (double)(task.ObservationSize + task.ActionSize) * Hidden;
        return 4.0 * Dimension * (Population + 12) + 24.0 * task.ObservationSize * Population * EpisodesPerMember
               + Threads * (8.0 * Dimension + 16.0 * synapses + (4 << 20));
    }

    /// <summary>Validates the values and that a run fits in memory; throws <see cref="ConfigException"/>.</summary>
    public LocomotionConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        MemoryBudget.EnsurePopulation(Population, Dimension);
        MemoryBudget.Ensure(EstimateBytes(), $"the {Task} run (population {Population} x {Dimension:N0} parameters, {Threads} threads)");
        return this;
    }

    public static LocomotionConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    public static LocomotionConfig FromJson(string json, string source) => ConfigFiles.Parse(json, LocomotionJson.Default.LocomotionConfig, "locomotion config", source);

    public string ToJson() => JsonSerializer.Serialize(this, LocomotionJson.Default.LocomotionConfig);
}

/// <summary>What a locomotion checkpoint carries besides the strategy: the config and the observation statistics.</summary>
public sealed record LocomotionCheckpoint(string Kind, LocomotionConfig Config, double[] ObservationStatistics)
{
    public const string KindName = "locomotion";
}

/// <summary>One line of a locomotion run's JSONL log; returns are means over the 8 training targets.</summary>
public sealed record LocomotionLog(int Generation, float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite,
    long Instabilities, double Seconds, double EvaluationsPerSecond, double? TestReturn, double ElapsedSeconds);

/// <summary>The outcome of a locomotion run, written as summary.json.</summary>
public sealed record LocomotionSummary(string Task, string Label, int Generations, int Population, int EpisodesPerTarget, int EpisodeSteps,
    double TestReturn, double[] TestReturnPerTarget, long Instabilities, double WallSeconds, string Checkpoint);

// Source-generated serialisation: no reflection, so it works under native AOT.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(LocomotionConfig))]
[JsonSerializable(typeof(LocomotionCheckpoint))]
[JsonSerializable(typeof(LocomotionLog))]
[JsonSerializable(typeof(LocomotionSummary))]
internal sealed partial class LocomotionJson : JsonSerializerContext;
