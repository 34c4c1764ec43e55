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
public sealed record SpikePropamineConfig
{
    public string Rule { get; set; } = "hebbian";
    public string Trainer { get; set; } = "bptt";
    /// <summary>cue (noisy cue association) or copy (the working-memory copy task).</summary>
    public string Task { get; set; } = "cue";
    /// <summary>Cue presentations (cue task) or bits to copy (copy task); null = the task's default.</summary>
    public int? Length { get; set; }
    /// <summary>Copy task only: empty steps between presentation and recall.</summary>
    public int Latency { get; set; } = 8;
    /// <summary>Copy task only: wipe all activity during the delay in training episodes too (memory must sit in synapses).</summary>
    public bool TrainWithReset { get; set; }
    /// <summary>Cue task only: Gaussian noise on the cue bits.</summary>
    public float Noise { get; set; } = 0.38f;
    public int Cues { get; set; } = 4;
    public int Bits { get; set; } = 20;
    public int Hidden { get; set; } = 64;
    public int Steps { get; set; } = 2000;
    public int Batch { get; set; } = 32;
    public double LearningRate { get; set; } = 0.01;
    public float Clip { get; set; } = 4f;
    public int Population { get; set; } = 64;
    public float Sigma { get; set; } = 0.04f;
    public float Alpha { get; set; } = 0.5f;
    public float Eta { get; set; } = 0.05f;
    public int TestEvery { get; set; } = 100;
    public int CheckpointEvery { get; set; } = 100;
    public int TestEpisodes { get; set; } = 512;
    public ulong Seed { get; set; } = 1;
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Parts kept at their initial values (BPTT only), e.g. input-alpha, recurrent-eta, modulation-weights.</summary>
    public string[] Freeze { get; set; } = [];

    /// <summary>Kebab-case names of the network's parts, as <c>--freeze</c> takes them.</summary>
    public static string[] PartNames => Enum.GetValues<PlasticSnnPart>().Select(PartName).ToArray();

    public static string PartName(PlasticSnnPart part) =>
        string.Concat(part.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    [JsonIgnore]
    public IReadOnlySet<PlasticSnnPart> FrozenParts =>
        Enum.GetValues<PlasticSnnPart>().Where(p => Freeze.Contains(PartName(p))).ToHashSet();

    /// <summary>none = the same SNN without plasticity (alpha fixed at 0).</summary>
    public static readonly string[] Rules =
    [
        "none",
        .. TraceRules.Names,
        .. TraceRules.Names.Select(rule => rule + "-neuromod"),
        // Retroactive modulation gates a Hebbian eligibility trace only (PlasticSnnSpec.Validate).
        TraceRules.Name(TraceRule.Hebbian) + "-retroactive",
    ];
    public static readonly string[] Trainers = ["bptt", "es"];
    public static readonly string[] TaskNames = ["cue", "copy"];

    [JsonIgnore]
    public int SequenceLength => Length ?? (Task == "copy" ? 8 : 16);

    [JsonIgnore]
    public CueTask CueTask => new(SequenceLength, Noise, Cues, Bits);

    [JsonIgnore]
    public CopySequenceTask CopyTask => new(SequenceLength, Latency);

    [JsonIgnore]
    public (int Inputs, int Outputs, float Chance) TaskShape => Task == "copy"
        ? (CopyTask.Inputs, CopyTask.Outputs, CopyTask.Chance)
        : (CueTask.Inputs, CueTask.Outputs, CueTask.Chance);

    /// <summary>Plot and log title of the task.</summary>
    [JsonIgnore]
    public string TaskTitle => Task == "copy"
        ? $"copy task, Len {SequenceLength}, Lat {Latency}"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cue task, {SequenceLength} presentations, noise {Noise}");

    [JsonIgnore]
    public bool Plastic => Rule != "none";

    public PlasticSnnSpec Spec()
    {
        if (!Rules.Contains(Rule)) throw new ConfigException($"--rule must be one of {string.Join(", ", Rules)} (got '{Rule}')");
        var parts = Rule.Split('-');
        // "none" keeps the Hebbian layout with plasticity switched off (alpha fixed at 0).
        var rule = TraceRule.Hebbian;
        if (parts[0] != "none" && !TraceRules.TryParse(parts[0], out rule))
            throw new ConfigException($"--rule must be one of {string.Join(", ", Rules)} (got '{Rule}')");
        var modulation = parts.Length < 2 ? TraceModulation.None
            : parts[1] == "retroactive" ? TraceModulation.Retroactive : TraceModulation.Neuromodulated;
        var (inputs, outputs, _) = TaskShape;
        return new PlasticSnnSpec(inputs, Hidden, outputs, rule, modulation, Plastic, Plastic) { SurrogateSlope = 1f, Threshold = 0.5f, MembraneDecay = 0.5f, TraceDecay = 0.5f };
    }

    /// <summary>Initial parameters: the layout's start with this config's alpha and eta.</summary>
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

    [JsonIgnore]
    public string Label => Rule == "none" ? "SNN without plasticity" : $"plastic SNN ({Rule})";

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
    public SpikePropamineConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems));
        MemoryBudget.Ensure(EstimateBytes(), $"the {Task} run ({Hidden} hidden neurons, {(Trainer == "es" ? $"population {Population}" : $"batch {Batch}")}, {Threads} threads)");
        return this;
    }

    public static SpikePropamineConfig FromFile(string path) => FromJson(ConfigFiles.ReadText(path), path);

    public static SpikePropamineConfig FromJson(string json, string source) =>
        ConfigFiles.Parse(json, SequenceJson.Default.SpikePropamineConfig, "SpikePropamine config", source);

    public string ToJson() => JsonSerializer.Serialize(this, SequenceJson.Default.SpikePropamineConfig);
}

// Source-generated serialisation: no reflection, so it works under native AOT.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(SpikePropamineConfig))]
[JsonSerializable(typeof(SequenceLog))]
[JsonSerializable(typeof(SequenceSummary))]
internal sealed partial class SequenceJson : JsonSerializerContext;
