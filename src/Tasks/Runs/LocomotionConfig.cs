using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// Everything that defines a locomotion training run. Defaults are the built-in reduced budget of
/// <c>pdlf train TASK</c> on a 2-core machine; the reference budget is population 256, 8 episodes per target and
/// 1000-step episodes (see README). Setters, not init, for the JSON source generator (see <see cref="CopyConfig"/>).
/// </summary>
/// <remarks>
/// <c>pdlf train TASK</c> writes this record to config.json and into every checkpoint, with kebab-case keys named like
/// the options without their dashes (<c>episodes-per-target</c>, ...); unknown keys are an error. The record alone
/// rebuilds the run on any host or machine with the same bits (<see cref="LocomotionRun"/>). Values are checked by
/// <see cref="Problems"/>/<see cref="Validated"/>, not by the setters. A resumed run may change only
/// <see cref="LocomotionRun.ResumableOptions"/>. Describing and validating a config needs no MuJoCo; running it does.
/// One generation runs population x training targets (8, or 1) x <see cref="EpisodesPerTarget"/> episodes of up to
/// <see cref="EpisodeSteps"/> control steps (docs/design.md, "Tasks" and "Cluster" for the reference's budget).
/// </remarks>
public sealed record LocomotionConfig
{
    /// <summary>
    /// Key <c>task</c>: the locomotion task, one of <see cref="LocomotionTasks.Names"/> (halfcheetah_vel,
    /// swimmer_dir, ant_dir, hopper_vel, reach_arm, reach_quadruped). Default <c>halfcheetah_vel</c>.
    /// </summary>
    public string Task { get; set; } = "halfcheetah_vel";
    /// <summary>
    /// Key <c>policy</c>: <c>pdlf</c> (weights zero at every episode start, changed by the evolved rule),
    /// <c>direct-weight</c> (the "Opt_Weight" baseline: weights and biases evolved directly) or
    /// <c>spikepropamine</c> (SpikePropamine's plastic SNN, <c>W + alpha (.) H</c>, with W, alpha, eta and the
    /// readout evolved and H cleared every episode). Default <c>pdlf</c>.
    /// </summary>
    public string Policy { get; set; } = "pdlf";
    /// <summary>
    /// Key <c>rule</c>: terms of the PDLF rule, <c>abcd</c>, <c>acd</c> (B = 0) or <c>bd</c> (A = 0); ignored by the
    /// baseline's network but still checked; must stay <c>abcd</c> with <c>spikepropamine</c> (which takes
    /// <see cref="TraceRule"/>). Default <c>abcd</c>.
    /// </summary>
    public string Rule { get; set; } = "abcd";
    /// <summary>
    /// Key <c>trace-rule</c>, <c>spikepropamine</c> only: the plasticity of H, one of <see cref="TraceRuleVariant.Names"/>
    /// (<c>none</c> switches plasticity off: the non-plastic comparison). Unset reads as <c>hebbian</c> for
    /// <c>spikepropamine</c> and as absent otherwise; absent keys are not written, so the configs and checkpoints of
    /// the other policies are as they were before the key existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceRule
    {
        get => _traceRule ?? (Policy == SpikePropaminePolicy ? DefaultTraceRule : null);
        set => _traceRule = value;
    }
    private string? _traceRule;
    /// <summary>Key <c>hidden</c>: hidden LIF neurons, 1..4096. Default 128 (the reference's).</summary>
    public int Hidden { get; set; } = 128;
    /// <summary>Key <c>strategy</c>: <c>pgpe</c> (the reference's) or <c>openai-es</c>. Default <c>pgpe</c>.</summary>
    public string Strategy { get; set; } = "pgpe";
    /// <summary>Key <c>population</c>: members per generation, even (mirrored pairs), 2..65536. Default 32 (the reference's is 256).</summary>
    public int Population { get; set; } = 32;
    /// <summary>Key <c>generations</c>: generations to train, 1..10,000,000; a resumed run continues up to this total. Default 100.</summary>
    public int Generations { get; set; } = 100;
    /// <summary>
    /// Key <c>episodes-per-target</c>: episodes per training target per member and generation, 1..1024 (a member's
    /// fitness is the mean return of 8 x this many episodes). Default 1 (the reference's is 8).
    /// </summary>
    public int EpisodesPerTarget { get; set; } = 1;
    /// <summary>Key <c>episode-steps</c>: control steps per episode, 1..100,000 (an episode may end earlier when the robot falls). Default 1000 (the reference's).</summary>
    public int EpisodeSteps { get; set; } = LocomotionTask.EpisodeSteps;
    /// <summary>Key <c>learning-rate</c>: Adam step size on the strategy's mean, 1e-6..10. Default 0.01.</summary>
    public double LearningRate { get; set; } = 0.01;
    /// <summary>Key <c>sigma</c>: noise standard deviation, initial for PGPE and fixed for OpenAI-ES, 1e-6..10. Default 0.04.</summary>
    public float Sigma { get; set; } = 0.04f;
    /// <summary>Key <c>test-every</c>: generations between tests of the mean (one episode per training target, fixed seeds), 1..1,000,000. Default 10.</summary>
    public int TestEvery { get; set; } = 10;
    /// <summary>Key <c>checkpoint-every</c>: generations between checkpoints (also written at the end and on stop), 1..1,000,000. Default 5.</summary>
    public int CheckpointEvery { get; set; } = 5;
    /// <summary>
    /// Key <c>snapshot-every</c>: generations between snapshots of the strategy's mean (the evolved rule), kept in
    /// <c>snapshots/</c> for the rule analysis of how the rules change over training; 0..1,000,000, 0 = none. Default 10.
    /// </summary>
    public int SnapshotEvery { get; set; } = 10;
    /// <summary>Key <c>seed</c>: seed of the strategy's noise and the episodes' reset noise; the same seed gives the same bits on any thread count. Default 1.</summary>
    public ulong Seed { get; set; } = 1;
    /// <summary>Key <c>threads</c>: worker threads, 1..1024; results do not depend on it. Default: the processor count.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Values <see cref="Policy"/> accepts. Treat as read-only.</summary>
    public static readonly string[] Policies = ["pdlf", "direct-weight", SpikePropaminePolicy];

    /// <summary>The <see cref="Policy"/> name of SpikePropamine's plastic SNN.</summary>
    public const string SpikePropaminePolicy = "spikepropamine";
    /// <summary>The <see cref="TraceRule"/> of a <c>spikepropamine</c> run that names none.</summary>
    public const string DefaultTraceRule = "hebbian";

    /// <summary>The built-in task named by <see cref="Task"/>.</summary>
    /// <exception cref="ConfigException">No built-in task has that name.</exception>
    [JsonIgnore]
    public LocomotionTask TaskDefinition => LocomotionTasks.Find(Task) ?? throw new ConfigException(UnknownTask(Task));

    /// <summary><see cref="Rule"/> as the term set.</summary>
    /// <exception cref="ConfigException"><see cref="Rule"/> is not abcd, acd or bd.</exception>
    [JsonIgnore]
    public PdlfTermSet Terms => TermSets.Parse(Rule);

    /// <summary>Episodes per member and generation: the task's training targets (8, or 1 for ant_forward) x <see cref="EpisodesPerTarget"/>.</summary>
    [JsonIgnore]
    public int EpisodesPerMember => EpisodesPerTarget * TaskDefinition.TrainingTargetCount;

    /// <summary>The network and task this config trains: task, policy kind, terms, hidden size, episode length, trace rule.</summary>
    /// <exception cref="ConfigException">An unknown task, policy, rule or trace rule name.</exception>
    public LocomotionSetup Setup() => new(TaskDefinition, PolicyKind, Terms, Hidden, EpisodeSteps, TraceRuleVariantOf());

    private TraceRuleVariant? TraceRuleVariantOf()
    {
        if (TraceRule is not { } name) return null;
        return TraceRuleVariant.TryParse(name, out var variant) ? variant
            : throw new ConfigException($"--trace-rule must be one of {string.Join(", ", TraceRuleVariant.Names)} (got '{name}')");
    }

    /// <summary><see cref="Policy"/> as the enum.</summary>
    /// <exception cref="ConfigException"><see cref="Policy"/> is not one of <see cref="Policies"/>.</exception>
    [JsonIgnore]
    public LocomotionPolicyKind PolicyKind => Policy switch
    {
        "pdlf" => LocomotionPolicyKind.Pdlf,
        "direct-weight" => LocomotionPolicyKind.DirectWeight,
        SpikePropaminePolicy => LocomotionPolicyKind.SpikePropamine,
        _ => throw new ConfigException($"--policy must be one of {string.Join(", ", Policies)} (got '{Policy}')"),
    };

    /// <summary>
    /// Label of the run in plots and logs: "PDLF", "PDLF (ACD)", "direct-weight baseline", "SpikePropamine (hebbian)",
    /// "SpikePropamine without plasticity".
    /// </summary>
    [JsonIgnore]
    public string Label => Policy switch
    {
        "pdlf" => Rule == "abcd" ? "PDLF" : $"PDLF ({Rule.ToUpperInvariant()})",
        SpikePropaminePolicy => TraceRule == "none" ? "SpikePropamine without plasticity" : $"SpikePropamine ({TraceRule})",
        _ => "direct-weight baseline",
    };

    internal static string UnknownTask(string task) =>
        $"--task must be one of {string.Join(", ", LocomotionTasks.Names)} (got '{task}').";

    /// <summary>Every problem with the values, each naming its option and the allowed range; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var checks = new OptionChecks();
        if (LocomotionTasks.Find(Task) is null) checks.Add(UnknownTask(Task));
        if (Policy == SpikePropaminePolicy)
        {
            checks.OneOf("--trace-rule", TraceRule!, TraceRuleVariant.Names);
            if (Rule != "abcd") checks.Add($"--rule applies to --policy pdlf (PDLF's terms); --policy spikepropamine takes --trace-rule (got --rule {Rule}).");
        }
        else if (TraceRule is not null)
            checks.Add($"--trace-rule applies to --policy spikepropamine (got --policy {Policy} with --trace-rule {TraceRule}).");
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
            .Range("--snapshot-every", SnapshotEvery, 0, 1_000_000)
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
        // SpikePropamine adds recurrent synapses, and keeps W, alpha and H (E when retroactive) per synapse.
        double synapses = (double)(task.ObservationSize + task.ActionSize + (Policy == SpikePropaminePolicy ? Hidden : 0)) * Hidden;
        return 4.0 * Dimension * (Population + 12) + 24.0 * task.ObservationSize * Population * EpisodesPerMember
               + Threads * (8.0 * Dimension + 16.0 * synapses + (4 << 20));
    }

    /// <summary>Validates the values and that a run fits in memory; throws <see cref="ConfigException"/>.</summary>
    /// <returns>This config, for chaining.</returns>
    /// <exception cref="ConfigException">Lists every problem, or says the run would not fit in memory.</exception>
    public LocomotionConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        MemoryBudget.EnsurePopulation(Population, Dimension);
        MemoryBudget.Ensure(EstimateBytes(), $"the {Task} run (population {Population} x {Dimension:N0} parameters, {Threads} threads)");
        return this;
    }

    /// <summary>Reads a config file; errors name the file and what is wrong with it.</summary>
    /// <param name="path">A JSON file (at most 1 MiB) with any subset of the keys; missing keys keep their defaults.</param>
    /// <exception cref="ConfigException">The file cannot be read or is not a valid locomotion config (values are not range-checked here).</exception>
    public static LocomotionConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    /// <summary>Parses a config document; missing keys keep their defaults, unknown keys are an error.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the JSON came from, for the error message.</param>
    /// <exception cref="ConfigException">Not a valid locomotion config.</exception>
    public static LocomotionConfig FromJson(string json, string source) => ConfigFiles.Parse(json, LocomotionJson.Default.LocomotionConfig, "locomotion config", source);

    /// <summary>The config as stored in config.json and checkpoints: compact JSON, kebab-case keys, every key present.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LocomotionJson.Default.LocomotionConfig);
}

/// <summary>What a locomotion checkpoint carries besides the strategy: the config and the observation statistics.</summary>
internal sealed record LocomotionCheckpoint(string Kind, LocomotionConfig Config, double[] ObservationStatistics)
{
    public const string KindName = "locomotion";
}

/// <summary>One line of a locomotion run's JSONL log; returns are means over the task's training targets (8, or 1 for ant_forward).</summary>
/// <param name="Generation">0-based generation just completed.</param>
/// <param name="BestFitness">Best member's mean return in this generation.</param>
/// <param name="MeanFitness">Mean over the generation's members.</param>
/// <param name="BestEverFitness">Best member's mean return in the run so far.</param>
/// <param name="NonFinite">Episodes of the generation whose return was NaN or infinite.</param>
/// <param name="Instabilities">Episodes of the generation ended by a physics blow-up (each penalised by -100).</param>
/// <param name="Seconds">Wall time of the generation.</param>
/// <param name="EvaluationsPerSecond">Episodes per second in this generation.</param>
/// <param name="TestReturn">Mean test return of the ES mean over the training targets, on generations that test; null otherwise.</param>
/// <param name="ElapsedSeconds">Wall time of the run so far, including earlier sessions of a resumed run.</param>
public sealed record LocomotionLog(int Generation, float BestFitness, float MeanFitness, float BestEverFitness, int NonFinite,
    long Instabilities, double Seconds, double EvaluationsPerSecond, double? TestReturn, double ElapsedSeconds);

/// <summary>The outcome of a locomotion run, written as summary.json.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Label">The run's <see cref="LocomotionConfig.Label"/>.</param>
/// <param name="Generations">Generations completed.</param>
/// <param name="Population">Members per generation.</param>
/// <param name="EpisodesPerTarget">Episodes per training target per member.</param>
/// <param name="EpisodeSteps">Control steps per episode.</param>
/// <param name="TestReturn">Final test return of the mean, averaged over the training targets.</param>
/// <param name="TestReturnPerTarget">The final test's return on each training target (8 values, k = 0..7).</param>
/// <param name="Instabilities">Episodes ended by a physics blow-up during this training session (a resumed run counts from the resume).</param>
/// <param name="WallSeconds">Wall time of the run, including earlier sessions.</param>
/// <param name="Checkpoint">Path of the final checkpoint.</param>
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
