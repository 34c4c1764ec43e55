using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Copy;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// Everything that defines a copy-task training run. Defaults are the built-in budget of <c>pdlf train copy</c>.
/// Read from an optional JSON file, overridden by flags, validated with errors that name the option and its range.
/// Properties have setters, not init: the JSON source generator sets init-only properties all at once in an object
/// initializer, which would replace the defaults of keys a file leaves out with zero.
/// </summary>
public sealed record CopyConfig
{
    public string Model { get; set; } = "pdlf";
    public int Length { get; set; } = 8;
    public int Latency { get; set; } = 8;
    public int Hidden { get; set; } = 128;
    public string Rule { get; set; } = "abcd";
    public string Strategy { get; set; } = "pgpe";
    public int Population { get; set; } = 256;
    public int Generations { get; set; } = 2000;
    public int Sequences { get; set; } = 32;
    public double LearningRate { get; set; } = 0.01;
    public float Sigma { get; set; } = 0.04f;
    public int TestSequences { get; set; } = 512;
    public int TestEvery { get; set; } = 20;
    public int CheckpointEvery { get; set; } = 20;
    public ulong Seed { get; set; } = 1;
    public string Fitness { get; set; } = "auto";
    public float TrainResetFraction { get; set; }
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    [JsonIgnore]
    public MemoryModel MemoryModel => Model switch
    {
        "pdlf" => MemoryModel.Pdlf,
        "gru" => MemoryModel.Gru,
        "snn" => MemoryModel.PlasticSnn,
        _ => throw new ConfigException($"--model must be one of {string.Join(", ", Models)} (got '{Model}')"),
    };

    [JsonIgnore]
    public PdlfTermSet Terms => TermSets.Parse(Rule);

    [JsonIgnore]
    public CopyTask Task => new(Length, Latency);

    [JsonIgnore]
    public CopyFitness FitnessKind => Fitness switch
    {
        "squared-error" => CopyFitness.SquaredError,
        "accuracy" => CopyFitness.Accuracy,
        // Squared error learns PDLF and the GRU faster (PDLF 0.798 vs 0.756 at Lat 8, same budget), but any symmetric loss scores a
        // silent output above a guess: the plastic SNN alone, and PDLF trained with its GRU memory wiped, can fall
        // into that silence, so they keep accuracy.
        "auto" => MemoryModel != MemoryModel.PlasticSnn && TrainResetFraction == 0f ? CopyFitness.SquaredError : CopyFitness.Accuracy,
        _ => throw new ConfigException($"--fitness must be one of {string.Join(", ", Fitnesses)} (got '{Fitness}')"),
    };

    /// <summary>
    /// The run's evaluator. Its training evaluations wipe activity during the delay in a fraction
    /// <see cref="TrainResetFraction"/> of their sequences; tests choose the reset per call.
    /// </summary>
    public CopyEvaluator Evaluator() => new(Task, MemoryModel, Hidden, Terms, Sequences, TrainResetFraction, FitnessKind);

    public static readonly string[] Models = ["pdlf", "gru", "snn"];
    public static IReadOnlyList<string> Rules => TermSets.Names;
    public static string[] Strategies => Training.Evolution.Strategies.Names;
    public static readonly string[] Fitnesses = ["auto", "accuracy", "squared-error"];

    /// <summary>Parameters the ES searches (the network's genome), computed without building the network.</summary>
    [JsonIgnore]
    public long Dimension => WorkingMemoryNetwork.GenomeLengthOf(MemoryModel, Hidden, Terms);

    /// <summary>
    /// Bytes a run needs, roughly: the population matrix, the strategy's per-parameter state (mean, noise scale,
    /// Adam moments, best member, scratch) and each worker's network and lock-step batch of sequences.
    /// </summary>
    public double EstimateBytes() =>
        4.0 * Dimension * (Population + 12) + Threads * (8.0 * Dimension + Sequences * (4.0 * (CopyTask.Channels + 2) * Hidden * 4 + 256));

    /// <summary>Validates the values (<see cref="Problems"/>) and that a run fits in memory; throws <see cref="ConfigException"/>.</summary>
    public CopyConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        MemoryBudget.EnsurePopulation(Population, Dimension);
        MemoryBudget.Ensure(EstimateBytes(), $"the copy-task run (population {Population} x {Dimension:N0} parameters, {Threads} threads)");
        return this;
    }

    /// <summary>Every problem with the values, each naming its option and the allowed range; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var checks = new OptionChecks();
        if (TrainResetFraction > 0f && Latency == 0)
            checks.Add($"--train-reset-fraction {TrainResetFraction} needs --latency >= 1: with no delay there is no activity to wipe (got --latency 0).");
        return checks
            .OneOf("--model", Model, Models)
            .OneOf("--rule", Rule, Rules)
            .OneOf("--strategy", Strategy, Strategies)
            .OneOf("--fitness", Fitness, Fitnesses)
            .Range("--length", Length, 1, CopyTask.MaxLength)
            .Range("--latency", Latency, 0, 16 * CopyTask.MaxLength)
            .Range("--hidden", Hidden, 1, 4096)
            .EvenPopulation(Population)
            .Range("--generations", Generations, 1, 10_000_000)
            .Range("--sequences", Sequences, 1, 1 << 16)
            .Range("--learning-rate", LearningRate, 1e-6, 10)
            .Range("--sigma", Sigma, 1e-6, 10)
            .Range("--test-sequences", TestSequences, 1, 1 << 20)
            .Range("--test-every", TestEvery, 1, 1_000_000)
            .Range("--checkpoint-every", CheckpointEvery, 1, 1_000_000)
            .Range("--threads", Threads, 1, 1024)
            .Range("--train-reset-fraction", TrainResetFraction, 0, 1)
            .Problems;
    }

    public string ToJson() => JsonSerializer.Serialize(this, CopyJson.Default.CopyConfig);

    /// <summary>Reads a config file; errors name the file and what is wrong with it.</summary>
    public static CopyConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    /// <summary>
    /// Reads the config stored in a checkpoint. Checkpoints written before <c>--fitness</c> existed have no such key and
    /// were trained on accuracy: they keep it, so resuming them does not silently change the objective.
    /// </summary>
    public static CopyConfig FromCheckpointJson(string json, string source)
    {
        var config = FromJson(json, source);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("fitness", out _) ? config : config with { Fitness = "accuracy" };
    }

    /// <param name="source">The file (or checkpoint) the JSON came from, for the error message.</param>
    public static CopyConfig FromJson(string json, string source) => ConfigFiles.Parse(json, CopyJson.Default.CopyConfig, "copy-task config", source);
}

/// <summary>One line of a run's JSONL log.</summary>
public sealed record GenerationLog(int Generation, float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite,
    double Seconds, double EvaluationsPerSecond, double? TestAccuracy, double ElapsedSeconds);

/// <summary>The outcome of a run, written as summary.json next to its log.</summary>
public sealed record CopySummary(string Model, int Length, int Latency, int Generations, int Population, int Sequences,
    double TestAccuracy, double TestAccuracyWithReset, double WallSeconds, string Checkpoint);

// Source-generated serialisation: no reflection, so it works under native AOT.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(CopyConfig))]
[JsonSerializable(typeof(GenerationLog))]
[JsonSerializable(typeof(CopySummary))]
internal sealed partial class CopyJson : JsonSerializerContext;
