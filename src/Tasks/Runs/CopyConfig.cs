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
/// <remarks>
/// <c>pdlf train copy</c> writes this record to the run's config.json and into every checkpoint, with kebab-case keys
/// named like the command-line options without their dashes (<c>learning-rate</c>, <c>test-every</c>, ...); unknown
/// keys are an error. The record alone rebuilds the run on any host or machine with the same bits
/// (<see cref="CopyRun"/>). Values are checked by <see cref="Problems"/>/<see cref="Validated"/>, not by the setters.
/// Apart from <see cref="Threads"/>, <see cref="Generations"/>, <see cref="TestEvery"/> and
/// <see cref="CheckpointEvery"/> (<see cref="CopyRun.ResumableOptions"/>), a resumed run must keep every value.
/// The copy task is docs/design.md's "Tasks"; the working-memory network its "Network and neuron model".
/// </remarks>
public sealed record CopyConfig
{
    /// <summary>
    /// Key <c>model</c>: which network is evolved: <c>pdlf</c> (plastic LIF path plus GRU branch, readouts summed),
    /// <c>gru</c> (the GRU baseline alone) or <c>snn</c> (the plastic path alone). Default <c>pdlf</c>.
    /// </summary>
    public string Model { get; set; } = "pdlf";
    /// <summary>Key <c>length</c>: Len, bits per sequence, 1..1024. Default 8.</summary>
    public int Length { get; set; } = 8;
    /// <summary>Key <c>latency</c>: Lat, empty steps between presentation and recall, 0..16384. Default 8.</summary>
    public int Latency { get; set; } = 8;
    /// <summary>Key <c>hidden</c>: LIF neurons of the plastic path and GRU units, 1..4096. Default 128 (the reference's).</summary>
    public int Hidden { get; set; } = 128;
    /// <summary>Key <c>rule</c>: terms of the PDLF rule, <c>abcd</c>, <c>acd</c> (B = 0) or <c>bd</c> (A = 0). Default <c>abcd</c>.</summary>
    public string Rule { get; set; } = "abcd";
    /// <summary>Key <c>strategy</c>: <c>pgpe</c> (the reference's) or <c>openai-es</c>. Default <c>pgpe</c>.</summary>
    public string Strategy { get; set; } = "pgpe";
    /// <summary>Key <c>population</c>: members per generation, even (mirrored pairs), 2..65536. Default 256 (the reference's).</summary>
    public int Population { get; set; } = 256;
    /// <summary>Key <c>generations</c>: generations to train, 1..10,000,000; a resumed run continues up to this total. Default 2000 (the reference trains 12,000).</summary>
    public int Generations { get; set; } = 2000;
    /// <summary>
    /// Key <c>sequences</c>: training sequences per member per generation, 1..65536, the same for every member of a
    /// generation (common random numbers). Default 32 (the reference uses 512).
    /// </summary>
    public int Sequences { get; set; } = 32;
    /// <summary>Key <c>learning-rate</c>: Adam step size on the strategy's mean, 1e-6..10. Default 0.01.</summary>
    public double LearningRate { get; set; } = 0.01;
    /// <summary>Key <c>sigma</c>: noise standard deviation, initial for PGPE and fixed for OpenAI-ES, 1e-6..10. Default 0.04.</summary>
    public float Sigma { get; set; } = 0.04f;
    /// <summary>Key <c>test-sequences</c>: held-out sequences scored by each test of the mean, 1..1,048,576. Default 512.</summary>
    public int TestSequences { get; set; } = 512;
    /// <summary>Key <c>test-every</c>: generations between tests of the mean, 1..1,000,000. Default 20.</summary>
    public int TestEvery { get; set; } = 20;
    /// <summary>Key <c>checkpoint-every</c>: generations between checkpoints (also written at the end and on stop), 1..1,000,000. Default 20.</summary>
    public int CheckpointEvery { get; set; } = 20;
    /// <summary>Key <c>seed</c>: seed of the strategy's noise and the training sequences; the same seed gives the same bits on any thread count. Default 1.</summary>
    public ulong Seed { get; set; } = 1;
    /// <summary>
    /// Key <c>fitness</c>: what evolution maximises: <c>accuracy</c>, <c>squared-error</c> (minus the mean squared
    /// error of tanh(output)) or <c>auto</c> (see <see cref="FitnessKind"/>). Default <c>auto</c>.
    /// </summary>
    public string Fitness { get; set; } = "auto";
    /// <summary>
    /// Key <c>train-reset-fraction</c>: share of each evaluation's training sequences, 0..1, whose membranes, traces
    /// and GRU state are wiped at every delay step, so evolution is paid for memory held in the synapses; needs
    /// <see cref="Latency"/> at least 1. Default 0.
    /// </summary>
    public float TrainResetFraction { get; set; }
    /// <summary>Key <c>threads</c>: worker threads, 1..1024; results do not depend on it. Default: the processor count.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary><see cref="Model"/> as the enum.</summary>
    /// <exception cref="ConfigException"><see cref="Model"/> is not one of <see cref="Models"/>.</exception>
    [JsonIgnore]
    public MemoryModel MemoryModel => Model switch
    {
        "pdlf" => MemoryModel.Pdlf,
        "gru" => MemoryModel.Gru,
        "snn" => MemoryModel.PlasticSnn,
        "direct-snn" => MemoryModel.DirectSnn,
        _ => throw new ConfigException($"--model must be one of {string.Join(", ", Models)} (got '{Model}')"),
    };

    /// <summary><see cref="Rule"/> as the term set.</summary>
    /// <exception cref="ConfigException"><see cref="Rule"/> is not one of <see cref="Rules"/>.</exception>
    [JsonIgnore]
    public PdlfTermSet Terms => TermSets.Parse(Rule);

    /// <summary>The task of <see cref="Length"/> and <see cref="Latency"/>.</summary>
    [JsonIgnore]
    public CopyTask Task => new(Length, Latency);

    /// <summary>
    /// <see cref="Fitness"/> resolved: <c>auto</c> is squared error for PDLF and the GRU without training resets, and
    /// accuracy for the plastic SNN alone or with <see cref="TrainResetFraction"/> above 0 (a symmetric loss can score
    /// a silent output above guessing, a trap those models fall into).
    /// </summary>
    /// <exception cref="ConfigException"><see cref="Fitness"/> or <see cref="Model"/> is not a known name.</exception>
    [JsonIgnore]
    public CopyFitness FitnessKind => Fitness switch
    {
        "squared-error" => CopyFitness.SquaredError,
        "accuracy" => CopyFitness.Accuracy,
        // Squared error learns PDLF and the GRU faster (PDLF 0.798 vs 0.756 at Lat 8, same budget), but any symmetric loss scores a
        // silent output above a guess: the plastic SNN alone, and PDLF trained with its GRU memory wiped, can fall
        // into that silence, so they keep accuracy.
        "auto" => MemoryModel is MemoryModel.Pdlf or MemoryModel.Gru && TrainResetFraction == 0f ? CopyFitness.SquaredError : CopyFitness.Accuracy,
        _ => throw new ConfigException($"--fitness must be one of {string.Join(", ", Fitnesses)} (got '{Fitness}')"),
    };

    /// <summary>
    /// The run's evaluator. Its training evaluations wipe activity during the delay in a fraction
    /// <see cref="TrainResetFraction"/> of their sequences; tests choose the reset per call.
    /// </summary>
    public CopyEvaluator Evaluator() => new(Task, MemoryModel, Hidden, Terms, Sequences, TrainResetFraction, FitnessKind);

    /// <summary>Values <see cref="Model"/> accepts. Treat as read-only.</summary>
    public static readonly string[] Models = ["pdlf", "gru", "snn", "direct-snn"];
    /// <summary>Values <see cref="Rule"/> accepts: abcd, acd, bd.</summary>
    public static IReadOnlyList<string> Rules => TermSets.Names;
    /// <summary>Values <see cref="Strategy"/> accepts: pgpe, openai-es.</summary>
    public static IReadOnlyList<string> Strategies => Training.Evolution.Strategies.Names;
    /// <summary>Values <see cref="Fitness"/> accepts. Treat as read-only.</summary>
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
    /// <returns>This config, for chaining.</returns>
    /// <exception cref="ConfigException">Lists every problem, or says the run would not fit in memory.</exception>
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

    /// <summary>The config as stored in config.json and checkpoints: compact JSON, kebab-case keys, every key present.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CopyJson.Default.CopyConfig);

    /// <summary>Reads a config file; errors name the file and what is wrong with it.</summary>
    /// <param name="path">A JSON file (at most 1 MiB) with any subset of the keys; missing keys keep their defaults.</param>
    /// <exception cref="ConfigException">The file cannot be read or is not a valid copy-task config (values are not range-checked here).</exception>
    public static CopyConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    /// <summary>
    /// Reads the config stored in a checkpoint. Checkpoints written before <c>--fitness</c> existed have no such key and
    /// were trained on accuracy: they keep it, so resuming them does not silently change the objective.
    /// </summary>
    /// <param name="json">The checkpoint's payload.</param>
    /// <param name="source">The checkpoint path, for error messages.</param>
    /// <exception cref="ConfigException">The payload is not a valid copy-task config.</exception>
    public static CopyConfig FromCheckpointJson(string json, string source)
    {
        var config = FromJson(json, source);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("fitness", out _) ? config : config with { Fitness = "accuracy" };
    }

    /// <summary>Parses a config document; missing keys keep their defaults, unknown keys are an error.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The file (or checkpoint) the JSON came from, for the error message.</param>
    /// <exception cref="ConfigException">Not a valid copy-task config (values are not range-checked here).</exception>
    public static CopyConfig FromJson(string json, string source) => ConfigFiles.Parse(json, CopyJson.Default.CopyConfig, "copy-task config", source);
}

/// <summary>One line of a copy-task run's JSONL log (log.jsonl), written after every generation.</summary>
/// <param name="Generation">0-based generation just completed.</param>
/// <param name="BestFitness">Best member's fitness in this generation.</param>
/// <param name="MeanFitness">Mean fitness of the generation's members.</param>
/// <param name="BestEverFitness">Best member fitness of the run so far.</param>
/// <param name="NonFinite">Evaluations of the generation whose fitness was NaN or infinite (non-finite members rank last).</param>
/// <param name="Seconds">Wall time of the generation.</param>
/// <param name="EvaluationsPerSecond">Fitness evaluations (member x episode) per second in this generation.</param>
/// <param name="TestAccuracy">Held-out accuracy of the mean, on generations that test; null otherwise.</param>
/// <param name="ElapsedSeconds">Wall time of the run so far, including earlier sessions of a resumed run.</param>
public sealed record GenerationLog(int Generation, float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite,
    double Seconds, double EvaluationsPerSecond, double? TestAccuracy, double ElapsedSeconds);

/// <summary>The outcome of a run, written as summary.json next to its log.</summary>
/// <param name="Model">The config's <see cref="CopyConfig.Model"/>.</param>
/// <param name="Length">Len.</param>
/// <param name="Latency">Lat.</param>
/// <param name="Generations">Generations completed.</param>
/// <param name="Population">Members per generation.</param>
/// <param name="Sequences">Training sequences per evaluation.</param>
/// <param name="TestAccuracy">Final held-out accuracy of the mean (chance 0.5).</param>
/// <param name="TestAccuracyWithReset">The same under the activity-reset probe (docs/design.md, "Paper probes").</param>
/// <param name="WallSeconds">Wall time of the run, including earlier sessions.</param>
/// <param name="Checkpoint">Path of the final checkpoint.</param>
public sealed record CopySummary(string Model, int Length, int Latency, int Generations, int Population, int Sequences,
    double TestAccuracy, double TestAccuracyWithReset, double WallSeconds, string Checkpoint);

// Source-generated serialisation: no reflection, so it works under native AOT.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(CopyConfig))]
[JsonSerializable(typeof(GenerationLog))]
[JsonSerializable(typeof(CopySummary))]
internal sealed partial class CopyJson : JsonSerializerContext;
