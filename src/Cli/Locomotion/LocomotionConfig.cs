using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Cli.Copy;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Locomotion;

namespace PdlfFast.Cli.Locomotion;

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
    public PdlfTermSet Terms => Rule switch { "abcd" => PdlfTermSet.Abcd, "acd" => PdlfTermSet.Acd, _ => PdlfTermSet.Bd };

    [JsonIgnore]
    public int EpisodesPerMember => EpisodesPerTarget * LocomotionTask.TrainingTargetCount;

    public LocomotionSetup Setup() => new(TaskDefinition,
        Policy == "pdlf" ? LocomotionPolicyKind.Pdlf : LocomotionPolicyKind.DirectWeight, Terms, Hidden, EpisodeSteps);

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
            .OneOf("--rule", Rule, CopyConfig.Rules)
            .OneOf("--strategy", Strategy, CopyConfig.Strategies)
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

    public LocomotionConfig Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new ConfigException(string.Join(Environment.NewLine, problems));
    }

    public static LocomotionConfig FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read config '{path}': {e.Message}");
        }
        try
        {
            return JsonSerializer.Deserialize(text, CliJson.Default.LocomotionConfig) ?? throw new ConfigException($"config '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"config '{path}' is not a valid locomotion config: {e.Message}");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.LocomotionConfig);
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
