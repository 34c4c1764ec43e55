using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tasks.Cue;
using PdlfFast.Training.Gradient;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tasks.Runs;

/// <summary>
/// Everything that defines a SpikePropamine training run (plastic SNN, BPTT or ES) on the cue-association task or
/// the copy task. Defaults are <c>pdlf train cue</c>'s built-in budget. Setters, not init, for the JSON source generator (see <see cref="CopyConfig"/>).
/// </summary>
/// <remarks>
/// <c>pdlf train cue</c> and <c>pdlf train spikepropamine-copy</c> write this record to config.json and into every
/// checkpoint, with kebab-case keys named like the options without their dashes (<c>learning-rate</c>,
/// <c>train-with-reset</c>, ...); unknown keys are an error. The record alone rebuilds the run with the same bits
/// (<see cref="SequenceRun"/>). Values are checked by <see cref="Problems"/>/<see cref="Validated"/>, not by the
/// setters. A resumed run may change only <see cref="SequenceRun.ResumableOptions"/>. The network is the
/// SpikePropamine plastic SNN of docs/design.md ("SpikePropamine plastic layers"): inputs -> <see cref="Hidden"/>
/// recurrent LIF neurons -> linear readout of their spike traces, input and recurrent synapses plastic.
/// </remarks>
public sealed record SpikePropamineConfig
{
    /// <summary>
    /// Key <c>rule</c>: the plasticity rule of the plastic trace H, one of <see cref="Rules"/>: <c>hebbian</c>,
    /// <c>oja</c>, <c>bcm</c>, their neuromodulated versions (<c>-neuromod</c>: the learning rate replaced by a learned
    /// modulatory signal), <c>hebbian-retroactive</c> (modulated eligibility trace), or <c>none</c> (the same SNN with
    /// alpha fixed at 0, the non-plastic control). Default <c>hebbian</c>.
    /// </summary>
    public string Rule { get; set; } = "hebbian";
    /// <summary>Key <c>trainer</c>: <c>bptt</c> (backpropagation through time with a surrogate spike gradient, Adam and clipping) or <c>es</c> (PGPE on the same loss, distributable). Default <c>bptt</c>.</summary>
    public string Trainer { get; set; } = "bptt";
    /// <summary>Key <c>task</c>: <c>cue</c> (noisy cue association, <see cref="Cue.CueTask"/>) or <c>copy</c> (the working-memory copy task, <see cref="CopySequenceTask"/>). Default <c>cue</c>.</summary>
    public string Task { get; set; } = "cue";
    /// <summary>
    /// Key <c>length</c>: cue presentations (cue task, 1..100,000) or bits to copy, Len (copy task, 1..1024); null or
    /// absent means the task's default, 16 presentations or 8 bits (<see cref="SequenceLength"/>).
    /// </summary>
    public int? Length { get; set; }
    /// <summary>Key <c>latency</c>, copy task only: empty steps between presentation and recall, Lat, 0..16384. Default 8.</summary>
    public int Latency { get; set; } = 8;
    /// <summary>Key <c>train-with-reset</c>, copy task with BPTT only: wipe all activity during the delay in training episodes too, so the memory must sit in the plastic traces. Default false.</summary>
    public bool TrainWithReset { get; set; }
    /// <summary>Key <c>noise</c>, cue task only: standard deviation of the Gaussian noise on every cue bit, 0..10 (the PDLF grid: 0, 0.3, 0.38, 0.48, 0.59). Default 0.38.</summary>
    public float Noise { get; set; } = 0.38f;
    /// <summary>Key <c>cues</c>, cue task only (no command-line flag): distinct cues per episode, one rewarded, 2..64. Default 4.</summary>
    public int Cues { get; set; } = 4;
    /// <summary>Key <c>bits</c>, cue task only (no command-line flag): bits per cue, 1..1024. Default 20.</summary>
    public int Bits { get; set; } = 20;
    /// <summary>Key <c>hidden</c>: recurrent LIF neurons, 1..4096. Default 64.</summary>
    public int Hidden { get; set; } = 64;
    /// <summary>Key <c>steps</c>: BPTT steps or ES generations to train, 1..10,000,000; a resumed run continues up to this total. Default 2000.</summary>
    public int Steps { get; set; } = 2000;
    /// <summary>Key <c>batch</c>: episodes per BPTT step (the minibatch), or per ES member and generation, 1..65536. Default 32.</summary>
    public int Batch { get; set; } = 32;
    /// <summary>Key <c>learning-rate</c>: Adam step size (on the parameters for BPTT, on the PGPE mean for ES), 1e-7..10. Default 0.01.</summary>
    public double LearningRate { get; set; } = 0.01;
    /// <summary>Key <c>clip</c>, BPTT only: the gradient's norm is clipped to this, 1e-6..1e6. Default 4 (the Backpropamine code used 2-4).</summary>
    public float Clip { get; set; } = 4f;
    /// <summary>Key <c>population</c>, ES only: members per generation, even (mirrored pairs), 2..65536. Default 64.</summary>
    public int Population { get; set; } = 64;
    /// <summary>Key <c>sigma</c>, ES only: PGPE's initial noise standard deviation, 1e-6..10. Default 0.04.</summary>
    public float Sigma { get; set; } = 0.04f;
    /// <summary>Key <c>alpha</c>: initial plasticity coefficient of every input and recurrent synapse, -10..10 (not used by rule <c>none</c>, whose alpha stays 0). Default 0.5.</summary>
    public float Alpha { get; set; } = 0.5f;
    /// <summary>Key <c>eta</c>: initial learning rate of the plastic traces of both layers, 0..1. Default 0.05.</summary>
    public float Eta { get; set; } = 0.05f;
    /// <summary>Key <c>test-every</c>: steps between tests on held-out episodes, 1..1,000,000. Default 100.</summary>
    public int TestEvery { get; set; } = 100;
    /// <summary>Key <c>checkpoint-every</c>: steps between checkpoints (also written at the end and on stop), 1..1,000,000. Default 100.</summary>
    public int CheckpointEvery { get; set; } = 100;
    /// <summary>Key <c>test-episodes</c>: held-out episodes per test, 1..1,048,576. Default 512.</summary>
    public int TestEpisodes { get; set; } = 512;
    /// <summary>Key <c>seed</c>: seed of the initial parameters, the training episodes and (ES) the strategy's noise; the same seed gives the same bits on any thread count. Default 1.</summary>
    public ulong Seed { get; set; } = 1;
    /// <summary>Key <c>threads</c>: worker threads, 1..1024; results do not depend on it. Default: the processor count.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Key <c>freeze</c>, BPTT only: parts kept at their initial values, from <see cref="PartNames"/> (e.g. input-alpha, recurrent-eta, modulation-weights). Default none.</summary>
    public string[] Freeze { get; set; } = [];

    /// <summary>Kebab-case names of the network's parts, as <c>--freeze</c> takes them.</summary>
    public static string[] PartNames => Enum.GetValues<PlasticSnnPart>().Select(PartName).ToArray();

    /// <summary>The kebab-case name of a part, e.g. <see cref="PlasticSnnPart.InputAlpha"/> is "input-alpha".</summary>
    /// <param name="part">A part of the network's parameter vector.</param>
    public static string PartName(PlasticSnnPart part) =>
        string.Concat(part.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary><see cref="Freeze"/> as parts; unknown names are ignored here and reported by <see cref="Problems"/>.</summary>
    [JsonIgnore]
    public IReadOnlySet<PlasticSnnPart> FrozenParts =>
        Enum.GetValues<PlasticSnnPart>().Where(p => Freeze.Contains(PartName(p))).ToHashSet();

    /// <summary>none = the same SNN without plasticity (alpha fixed at 0); <see cref="TraceRuleVariant.Names"/>. Treat as read-only.</summary>
    public static readonly string[] Rules = [.. TraceRuleVariant.Names];
    /// <summary>Values <see cref="Trainer"/> accepts. Treat as read-only.</summary>
    public static readonly string[] Trainers = ["bptt", "es"];
    /// <summary>Values <see cref="Task"/> accepts. Treat as read-only.</summary>
    public static readonly string[] TaskNames = ["cue", "copy"];

    /// <summary><see cref="Length"/>, or the task's default: 8 bits for the copy task, 16 presentations for the cue task.</summary>
    [JsonIgnore]
    public int SequenceLength => Length ?? (Task == "copy" ? 8 : 16);

    /// <summary>The cue task these options describe (hold 2 steps per cue).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A cue-task value is out of range (run <see cref="Validated"/> first).</exception>
    [JsonIgnore]
    public CueTask CueTask => new(SequenceLength, Noise, Cues, Bits);

    /// <summary>The copy task these options describe.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A copy-task value is out of range (run <see cref="Validated"/> first).</exception>
    [JsonIgnore]
    public CopySequenceTask CopyTask => new(SequenceLength, Latency);

    /// <summary>Input and output sizes and the chance accuracy of the selected task (any <see cref="Task"/> other than copy is the cue task).</summary>
    [JsonIgnore]
    public (int Inputs, int Outputs, float Chance) TaskShape => Task == "copy"
        ? (CopyTask.Inputs, CopyTask.Outputs, CopyTask.Chance)
        : (CueTask.Inputs, CueTask.Outputs, CueTask.Chance);

    /// <summary>Plot and log title of the task.</summary>
    [JsonIgnore]
    public string TaskTitle => Task == "copy"
        ? $"copy task, Len {SequenceLength}, Lat {Latency}"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cue task, {SequenceLength} presentations, noise {Noise}");

    /// <summary>False for rule <c>none</c>: the non-plastic control.</summary>
    [JsonIgnore]
    public bool Plastic => Rule != "none";

    /// <summary>
    /// The network these options describe: the task's input and output sizes, <see cref="Hidden"/> neurons, the rule
    /// and modulation named by <see cref="Rule"/>, with this family's fixed constants (threshold 0.5, membrane and
    /// trace decay 0.5, surrogate slope 1).
    /// </summary>
    /// <exception cref="ConfigException"><see cref="Rule"/> is not one of <see cref="Rules"/>.</exception>
    public PlasticSnnSpec Spec()
    {
        if (!TraceRuleVariant.TryParse(Rule, out var variant))
            throw new ConfigException($"--rule must be one of {string.Join(", ", Rules)} (got '{Rule}')");
        var (inputs, outputs, _) = TaskShape;
        return variant.Spec(inputs, Hidden, outputs);
    }

    /// <summary>Initial parameters: the layout's start with this config's alpha and eta.</summary>
    /// <returns>A new vector in <see cref="PlasticSnnLayout"/>'s order, drawn from <see cref="Seed"/>.</returns>
    public float[] InitialParameters()
    {
        var layout = new PlasticSnnLayout(Spec());
        var p = layout.Initial(Seed);
        Span<float> s = p;
        if (Plastic)
        {
            layout.Of(s, PlasticSnnPart.InputAlpha).Fill(Alpha);
            layout.Of(s, PlasticSnnPart.RecurrentAlpha).Fill(Alpha);
        }
        layout.Of(s, PlasticSnnPart.InputEta)[0] = Eta;
        layout.Of(s, PlasticSnnPart.RecurrentEta)[0] = Eta;
        return p;
    }

    /// <summary>Label of the run in plots: "plastic SNN (RULE)" or "SNN without plasticity".</summary>
    [JsonIgnore]
    public string Label => Rule == "none" ? "SNN without plasticity" : $"plastic SNN ({Rule})";

    /// <summary>Every problem with the values, each naming its option and the allowed range; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var checks = new OptionChecks();
        foreach (var part in Freeze) checks.OneOf("--freeze", part, PartNames);
        if (Freeze.Length > 0 && Trainer == "es") checks.Add("--freeze applies to --trainer bptt (ES perturbs every parameter).");
        if (TrainWithReset && Task != "copy") checks.Add("--train-with-reset applies to the copy task (it wipes activity during the delay).");
        if (TrainWithReset && Trainer == "es") checks.Add("--train-with-reset applies to --trainer bptt.");
        return checks
            .OneOf("--rule", Rule, Rules)
            .OneOf("--trainer", Trainer, Trainers)
            .OneOf("task", Task, TaskNames)
            .Range("--length", SequenceLength, 1, Task == "copy" ? global::PdlfFast.Tasks.Copy.CopyTask.MaxLength : 100_000)
            .Range("--latency", Latency, 0, 16 * global::PdlfFast.Tasks.Copy.CopyTask.MaxLength)
            .Range("--noise", Noise, 0, 10)
            .Range("--cues", Cues, 2, 64)
            .Range("--bits", Bits, 1, 1024)
            .Range("--hidden", Hidden, 1, 4096)
            .Range("--steps", Steps, 1, 10_000_000)
            .Range("--batch", Batch, 1, 65_536)
            .Range("--learning-rate", LearningRate, 1e-7, 10)
            .Range("--clip", Clip, 1e-6, 1e6)
            .EvenPopulation(Population)
            .Range("--sigma", Sigma, 1e-6, 10)
            .Range("--alpha", Alpha, -10, 10)
            .Range("--eta", Eta, 0, 1)
            .Range("--test-every", TestEvery, 1, 1_000_000)
            .Range("--checkpoint-every", CheckpointEvery, 1, 1_000_000)
            .Range("--test-episodes", TestEpisodes, 1, 1 << 20)
            .Range("--threads", Threads, 1, 1024)
            .Problems;
    }

    /// <summary>
    /// Bytes a run needs, roughly: per worker a tape of every step's state (membranes, traces, plastic traces per
    /// synapse) for BPTT, per-episode gradients, and the ES population matrix.
    /// </summary>
    public double EstimateBytes()
    {
        var (inputs, outputs, _) = TaskShape;
        double synapses = (double)(inputs + Hidden + outputs) * Hidden;
        double parameters = 3 * synapses + 4.0 * Hidden + 16;
        int steps = Task == "copy" ? CopyTask.Steps : CueTask.Steps;
        return Trainer == "bptt"
            ? Threads * 4.0 * steps * (3 * synapses + 8.0 * Hidden) + 4.0 * Batch * parameters + 16.0 * parameters
            : 4.0 * parameters * (Population + 12) + Threads * 4.0 * (3 * synapses + 8.0 * Hidden);
    }

    /// <summary>Validates the values and that a run fits in memory; throws <see cref="ConfigException"/>.</summary>
    /// <returns>This config, for chaining.</returns>
    /// <exception cref="ConfigException">Lists every problem, or says the run would not fit in memory.</exception>
    public SpikePropamineConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        MemoryBudget.Ensure(EstimateBytes(), $"the {Task} run ({Hidden} hidden neurons, {(Trainer == "es" ? $"population {Population}" : $"batch {Batch}")}, {Threads} threads)");
        return this;
    }

    /// <summary>Reads a config file; errors name the file and what is wrong with it.</summary>
    /// <param name="path">A JSON file (at most 1 MiB) with any subset of the keys; missing keys keep their defaults.</param>
    /// <exception cref="ConfigException">The file cannot be read or is not a valid SpikePropamine config (values are not range-checked here).</exception>
    public static SpikePropamineConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    /// <summary>Parses a config document; missing keys keep their defaults, unknown keys are an error.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the JSON came from, for the error message.</param>
    /// <exception cref="ConfigException">Not a valid SpikePropamine config.</exception>
    public static SpikePropamineConfig FromJson(string json, string source) =>
        ConfigFiles.Parse(json, SequenceJson.Default.SpikePropamineConfig, "SpikePropamine config", source);

    /// <summary>The config as stored in config.json and checkpoints: compact JSON, kebab-case keys, every key present.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SequenceJson.Default.SpikePropamineConfig);
}

// Source-generated serialisation: no reflection, so it works under native AOT.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(SpikePropamineConfig))]
[JsonSerializable(typeof(SequenceLog))]
[JsonSerializable(typeof(SequenceSummary))]
internal sealed partial class SequenceJson : JsonSerializerContext;
