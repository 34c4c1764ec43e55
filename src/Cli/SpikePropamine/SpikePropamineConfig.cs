using System.Text.Json;
using System.Text.Json.Serialization;
using PdlfFast.Cli.Copy;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Tasks.Copy;
using PdlfFast.Tasks.Cue;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Cli.SpikePropamine;

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
        ["none", "hebbian", "oja", "bcm", "hebbian-neuromod", "oja-neuromod", "bcm-neuromod", "hebbian-retroactive"];
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
        var parts = Rule.Split('-');
        var rule = parts[0] switch { "oja" => TraceRule.Oja, "bcm" => TraceRule.Bcm, _ => TraceRule.Hebbian };
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
            .Range("--test-episodes", TestEpisodes, 1, 1 << 20)
            .Range("--threads", Threads, 1, 1024)
            .Problems;
    }

    public SpikePropamineConfig Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new ConfigException(string.Join(Environment.NewLine, problems));
    }

    public static SpikePropamineConfig FromFile(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CliJson.Default.SpikePropamineConfig) ?? throw new ConfigException($"config '{path}' is empty.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ConfigException($"config '{path}' cannot be used: {e.Message}");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.SpikePropamineConfig);
}

/// <summary>One test line of a cue run's log (step = BPTT step or ES generation).</summary>
/// <remarks>ES reports no training accuracy (its fitness is the loss): null there.</remarks>
public sealed record SequenceLog(int Step, double TrainLoss, double? TrainAccuracy, double? TestAccuracy, double ElapsedSeconds);

/// <summary>The outcome of a run (Latency applies to the copy task, Noise to the cue task).</summary>
public sealed record SequenceSummary(string Task, string Rule, string Trainer, int Length, int Latency, float Noise, int Steps, double TestAccuracy, double Chance, double WallSeconds)
{
    /// <summary>Copy task with a delay: test accuracy with all activity wiped during the delay (memory held by synapses only).</summary>
    public double? ResetAccuracy { get; init; }
}
