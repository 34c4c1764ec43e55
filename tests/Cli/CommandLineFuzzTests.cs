using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using PdlfFast.Tasks.Runs;
using PdlfFast.Training.Runs;

namespace PdlfFast.Tests.Cli;

/// <summary>
/// Property-based fuzzing of the pdlf command line and of JSON configs. Argument vectors are small valid command lines
/// mutated (tokens dropped, duplicated, swapped, replaced or inserted with garbage) or pure garbage; every one runs
/// in process with an already-cancelled stop token, so an accepted training stops before its first step. For every
/// case: the exit code is 0, 1, 2 or 130 (never 70, never an escaping exception), and a failure prints exactly one
/// stderr line "error: ...". Config documents are valid configs mutated (wrong types, nulls, nesting, huge numbers,
/// unknown keys, truncation, non-JSON): parsing and validating either succeeds or throws ConfigException.
/// </summary>
/// <remarks>
/// The generators are deterministic per FsCheck seed. The seed is fixed (the suite is reproducible); set
/// PDLF_FUZZ_SEED=random for a fresh one or PDLF_FUZZ_SEED=seed,gamma to replay one, and PDLF_FUZZ_CASES=n to change
/// the number of command lines (default 10,000; config documents: the same number per config kind). Every violation is
/// collected (not only the first) and reported grouped by kind, each with its command line or document.
/// </remarks>
[Trait("Category", "EndToEnd")]
[Collection(ConsoleCaptureCollection.Name)]
public sealed class CommandLineFuzzTests(CliWorkspace workspace) : IClassFixture<CliWorkspace>
{
    private const ulong DefaultSeed = 20251202, DefaultGamma = 0x9E3779B97F4A7C15;
    private static readonly TimeSpan SlowCase = TimeSpan.FromSeconds(15);

    // ---------------------------------------------------------------- placeholders, filled in when a case runs

    private const string Out = "{OUT}", NewDir = "{NEWDIR}", Missing = "{MISSING}", PlainFile = "{FILE}", BigFile = "{BIGFILE}",
        BadResponse = "{BADRSP}", CopyRunDir = "{COPYRUN}", CopyCkpt = "{COPYCKPT}", CueRunDir = "{CUERUN}", CueCkpt = "{CUECKPT}",
        LocoRunDir = "{LOCORUN}", LocoCkpt = "{LOCOCKPT}", CopyConfigFile = "{CONFIG}";

    private static readonly string[] TinyCopy = CliWorkspace.TinyCopy, TinyLocomotion = CliWorkspace.TinyLocomotion, TinyCue = CliWorkspace.TinyCue;

    /// <summary>
    /// Small valid command lines. Budgets are tiny and the stop token is cancelled, so none computes for long, also
    /// after a mutation drops a budget option. bench is left out: it takes no stop token and runs for seconds even
    /// with --quick (its base carries an invalid --size, and cases that would run it are not run).
    /// </summary>
    private static readonly string[][] Bases =
    [
        ["train", "copy", "--generations", "2", .. TinyCopy, "--out", Out],
        ["train", "copy", "--model", "gru", "--length", "3", "--latency", "2", "--generations", "2", .. TinyCopy, "--out", Out],
        ["train", "copy", "--model", "snn", "--rule", "acd", "--strategy", "openai-es", "--fitness", "accuracy", "--train-reset-fraction", "0.5",
            "--learning-rate", "0.05", "--sigma", "0.1", "--seed", "7", "--test-every", "1", "--checkpoint-every", "1", "--generations", "2", .. TinyCopy, "--out", Out],
        ["train", "copy", "--config", CopyConfigFile, "--compare", "none", "--out", Out],
        ["train", "copy", "--generations", "3", .. TinyCopy, "--out", CopyRunDir, "--resume"],
        ["eval", CopyCkpt],
        ["eval", CopyCkpt, "--reset-during-delay", "--test-sequences", "8", "--latency", "2"],
        ["eval", CopyCkpt, "--plots", Out],
        ["sweep", "copy", "--lengths", "2", "3", "--latencies", "1", "--models", "gru", "snn", "--generations", "2", "--population", "4", "--hidden", "8",
            "--sequences", "2", "--test-sequences", "8", "--threads", "1", "--out", Out],
        ["train", "swimmer_dir", "--generations", "2", .. TinyLocomotion, "--out", Out],
        ["train", "halfcheetah_vel", "--policy", "direct-weight", "--strategy", "openai-es", "--generations", "2", .. TinyLocomotion, "--out", Out],
        ["train", "swimmer_dir", "--generations", "3", .. TinyLocomotion, "--out", LocoRunDir, "--resume"],
        ["eval", LocoCkpt, "--episodes", "1", "--threads", "1", "--injury", "permanent", "--fraction", "0.25"],
        ["generalise", LocoCkpt, "--targets", "2", "--out", Out],
        ["steer", LocoCkpt, "--steps", "5", "--shape", "circle", "--size", "1", "--out", Out],
        ["train", "cue", "--steps", "2", .. TinyCue, "--out", Out],
        ["train", "cue", "--rule", "oja-neuromod", "--trainer", "es", "--population", "4", "--noise", "0.3", "--length", "4", "--clip", "2",
            "--freeze", "input-eta", "--compare", "none", "--steps", "2", .. TinyCue, "--out", Out],
        ["train", "spikepropamine-copy", "--trainer", "bptt", "--train-with-reset", "--length", "3", "--latency", "2", "--steps", "2", .. TinyCue, "--out", Out],
        ["train", "cue", "--steps", "3", .. TinyCue, "--out", CueRunDir, "--resume"],
        ["sweep", "cue", "--rules", "hebbian", "none", "--noises", "0", "0.5", "--seeds", "1", "2", "--steps", "2", .. TinyCue, "--out", Out],
        ["eval", CueCkpt],
        ["bench", "--quick", "--size", "nope"],
        ["--help"],
        ["train", "copy", "--help"],
        ["generalise"],
        ["steer", "--shape", "square"],
    ];

    private static readonly string[] Options =
    [
        "--batch", "--checkpoint-every", "--clip", "--compare", "--config", "--episode-steps", "--episodes", "--episodes-per-target", "--fitness",
        "--fraction", "--freeze", "--generations", "--hidden", "--injury", "--latencies", "--latency", "--learning-rate", "--length", "--lengths",
        "--model", "--models", "--noise", "--noises", "--out", "--part", "--plots", "--policy", "--population", "--quick", "--reset-during-delay",
        "--resume", "--rule", "--rules", "--seed", "--seeds", "--sequences", "--shape", "--sigma", "--size", "--steps", "--strategy", "--targets",
        "--test-episodes", "--test-every", "--test-sequences", "--threads", "--train-reset-fraction", "--train-with-reset", "--trainer",
        "--help", "-h", "-?", "--version", "--", "-", "--=", "--out=", "--generations=2", "-x", "[diagram]", "[suggest]",
    ];

    private static readonly string[] Words =
    [
        "train", "eval", "sweep", "generalise", "steer", "bench", "copy", "cue", "spikepropamine-copy", "swimmer_dir", "ant_dir", "halfcheetah_vel",
        "pdlf", "gru", "snn", "none", "abcd", "acd", "bd", "pgpe", "openai-es", "accuracy", "squared-error", "auto", "hebbian", "oja-neuromod",
        "hebbian-retroactive", "es", "bptt", "direct-weight", "temporary", "permanent", "square", "figure8", "true", "false", "input-alpha",
    ];

    /// <summary>Values that are wrong, odd or at a limit; none is a valid large budget (those would really compute).</summary>
    private static readonly string[] Values =
    [
        "", " ", "0", "1", "-1", "-0", "3.5", "0.3", "1e309", "-1e309", "1e-400", "NaN", "nan", "Infinity", "-Infinity", "∞", "0x10", "1_000",
        "1,5", "+2", "2147483647", "2147483648", "-2147483649", "4294967296", "18446744073709551615", "18446744073709551616",
        "99999999999999999999999", "٣", "१", "𝟙", "é", "日本語", "\u0000", "a\nb", "\t", "\r\n", "'", "\"", "\\", "$HOME", "~", "*", "%s",
    ];

    private static readonly string[] Paths =
    [
        PlainFile, Missing, NewDir, BigFile, "/dev/null", "/dev/zero", CopyCkpt, CueCkpt, LocoCkpt, CopyRunDir, CopyConfigFile,
        "@" + PlainFile, "@" + Missing, "@" + NewDir, "@/dev/null", "@" + BadResponse,
    ];

    // ---------------------------------------------------------------- generators

    private enum Edit { Drop, Duplicate, Swap, Replace, Insert }

    private sealed record Mutation(Edit Kind, int At, int Other, string Token);

    /// <summary>One generated command line (with placeholders); shown as a shell command when a property reports it.</summary>
    public sealed record ArgvCase(string[] Args)
    {
        public override string ToString() => "pdlf " + CliRun.Shell(Args);
    }

    /// <summary>FsCheck's random strings, kept from naming paths outside the workspace ("/x", "..").</summary>
    private static Gen<string> RandomText => ArbMap.Default.GeneratorFor<string>().Select(Confined);

    private static string Confined(string? text)
    {
        string s = (text ?? "").Replace('/', '_');
        return s.Length > 0 && s.Trim('.').Length == 0 ? "x" + s : s;
    }

    private static Gen<string> Garbage => Gen.Frequency(
        (5, Gen.Elements(Values)),
        (3, Gen.Elements(Paths)),
        (3, Gen.Elements(Options)),
        (2, Gen.Elements(Words)),
        (1, RandomText));

    private static readonly Gen<Mutation> AnyMutation =
        from kind in Gen.Elements(Enum.GetValues<Edit>())
        from at in Gen.Choose(0, 9999)
        from other in Gen.Choose(0, 9999)
        from token in Garbage
        select new Mutation(kind, at, other, token);

    private static string[] Apply(string[] args, Mutation[] mutations)
    {
        var list = args.ToList();
        foreach (var m in mutations)
        {
            int n = list.Count, i = n == 0 ? 0 : m.At % n, j = n == 0 ? 0 : m.Other % n;
            switch (m.Kind)
            {
                case Edit.Drop when n > 0: list.RemoveAt(i); break;
                case Edit.Duplicate when n > 0: list.Insert(i, list[i]); break;
                case Edit.Swap when n > 1: (list[i], list[j]) = (list[j], list[i]); break;
                case Edit.Replace when n > 0: list[i] = m.Token; break;
                default: list.Insert(Math.Min(m.At % (n + 1), n), m.Token); break;
            }
        }
        return list.ToArray();
    }

    private static readonly Gen<ArgvCase> Argvs = Gen.Frequency(
        (17, from b in Gen.Frequency(Bases.Select(b => (b.Contains("--plots") ? 1 : 3, Gen.Constant(b)))) // figures are the slow part
             from count in Gen.Frequency((2, Gen.Constant(0)), (5, Gen.Choose(1, 2)), (3, Gen.Choose(3, 6)))
             from mutations in Gen.ArrayOf(AnyMutation, count)
             select new ArgvCase(Apply(b, mutations))),
        (3, from count in Gen.Choose(0, 8)
            from tokens in Gen.ArrayOf(Gen.Frequency((3, Garbage), (2, Gen.Elements(Words)), (1, Gen.Elements(Options))), count)
            select new ArgvCase(tokens)));

    // Config documents ---------------------------------------------------

    public enum ConfigKind { Copy, Locomotion, SpikePropamine }

    /// <summary>One generated config document of a kind.</summary>
    public sealed record ConfigCase(ConfigKind Kind, string Json)
    {
        public override string ToString() => $"{Kind} config {CliRun.Quote(Json)}";
    }

    /// <summary>Parses and validates <paramref name="json"/> as <paramref name="kind"/>; returns the config's own JSON when valid.</summary>
    /// <remarks>A config kind added later (same FromJson/Validated/ToJson shape) goes here and into <see cref="ValidDocuments"/>.</remarks>
    private static string ParseAndValidate(ConfigKind kind, string json) => kind switch
    {
        ConfigKind.Copy => CopyConfig.FromJson(json, "fuzz").Validated().ToJson(),
        ConfigKind.Locomotion => LocomotionConfig.FromJson(json, "fuzz").Validated().ToJson(),
        ConfigKind.SpikePropamine => SpikePropamineConfig.FromJson(json, "fuzz").Validated().ToJson(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string[] ValidDocuments(ConfigKind kind) => kind switch
    {
        ConfigKind.Copy =>
        [
            new CopyConfig().ToJson(),
            new CopyConfig { Hidden = 8, Population = 4, Generations = 2, Sequences = 2, TestSequences = 8, Threads = 1, Length = 3, Latency = 2 }.ToJson(),
            new CopyConfig { Model = "snn", Rule = "bd", Strategy = "openai-es", Fitness = "squared-error", TrainResetFraction = 0.5f }.ToJson(),
            "{}",
        ],
        ConfigKind.Locomotion =>
        [
            new LocomotionConfig().ToJson(),
            new LocomotionConfig { Task = "swimmer_dir", Hidden = 8, Population = 4, EpisodeSteps = 10, Threads = 1 }.ToJson(),
            new LocomotionConfig { Task = "ant_dir", Policy = "direct-weight", Rule = "acd", Strategy = "openai-es" }.ToJson(),
            "{}",
        ],
        ConfigKind.SpikePropamine =>
        [
            new SpikePropamineConfig().ToJson(),
            new SpikePropamineConfig { Task = "copy", Length = 3, Latency = 2, TrainWithReset = true, Hidden = 8, Batch = 2, TestEpisodes = 8, Threads = 1 }.ToJson(),
            new SpikePropamineConfig { Rule = "bcm-neuromod", Trainer = "es", Population = 4, Freeze = [] }.ToJson(),
            new SpikePropamineConfig { Freeze = ["input-alpha", "recurrent-eta"] }.ToJson(),
            "{}",
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly string[] JsonValues =
    [
        "null", "true", "false", "0", "-0", "1", "2", "3", "-1", "0.5", "3.5", "1e309", "-1e309", "1e-400", "2147483648", "-2147483649",
        "18446744073709551616", "1.7976931348623157e308", "1E2", "4096", "65536", "16384", "1024", "0.0", "1e-7",
        "\"\"", "\"pdlf\"", "\"8\"", "\"NaN\"", "\"Infinity\"", "\"abcd\"", "\"hebbian\"", "\"cue\"", "\"copy\"", "\"swimmer_dir\"", "\"es\"",
        "\"\\ud800\"", "\"é\\u0000\"", "[]", "[1]", "[\"input-alpha\"]", "[\"nope\"]", "[null]", "[[]]", "{}", "{\"a\":1}", "{\"hidden\":8}",
        "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
    ];

    private static readonly string[] UnknownKeys = ["", "Hidden", "HIDDEN", "learning_rate", "learningRate", "task ", "model\u0000", "kind", "config", "$type", "__proto__"];

    private static readonly string[] WholeDocuments =
    [
        "", " ", "null", "[]", "42", "\"text\"", "true", "{", "}", "{{}}", "\uFEFF{}", "{\"a\":}", "/* c */ {}", "{\"hidden\":8,}", "NaN", "{'hidden':8}",
        "{\"hidden\":8}{\"hidden\":9}", "\u0000", string.Concat(Enumerable.Repeat("[", 300)), "{\"freeze\":" + string.Concat(Enumerable.Repeat("[", 100)) + "}",
        "{\"hidden\":" + new string('9', 5000) + "}",
    ];

    private enum JsonEdit { SetKey, SetUnknownKey, RemoveKey, Truncate, InsertChar, DeleteChar, DuplicateKey, Wrap, Whole }

    private sealed record JsonMutation(JsonEdit Kind, int At, string Value, string Key);

    private static Gen<ConfigCase> ConfigDocuments(ConfigKind? only = null) =>
        from kind in only is { } k ? Gen.Constant(k) : Gen.Elements(Enum.GetValues<ConfigKind>())
        from baseDocument in Gen.Elements(ValidDocuments(kind))
        from count in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 3)), (2, Gen.Choose(4, 8)))
        from edits in Gen.ArrayOf(
            from edit in Gen.Frequency((8, Gen.Constant(JsonEdit.SetKey)), (2, Gen.Constant(JsonEdit.SetUnknownKey)), (3, Gen.Constant(JsonEdit.RemoveKey)),
                (2, Gen.Constant(JsonEdit.Truncate)), (2, Gen.Constant(JsonEdit.InsertChar)), (1, Gen.Constant(JsonEdit.DeleteChar)),
                (1, Gen.Constant(JsonEdit.DuplicateKey)), (1, Gen.Constant(JsonEdit.Wrap)), (1, Gen.Constant(JsonEdit.Whole)))
            from at in Gen.Choose(0, 9999)
            from value in Gen.Frequency((6, Gen.Elements(JsonValues)), (1, RandomText.Select(s => JsonValue.Create(s).ToJsonString())))
            from key in Gen.Elements(UnknownKeys)
            select new JsonMutation(edit, at, value, key), count)
        select new ConfigCase(kind, ApplyJson(baseDocument, edits));

    private static string ApplyJson(string document, JsonMutation[] edits)
    {
        string text = document;
        foreach (var e in edits)
        {
            try
            {
                text = ApplyJson(text, e);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                // An edit the node API cannot express on this text (e.g. a lone surrogate re-serialised): skip it.
            }
        }
        return text;
    }

    private static string ApplyJson(string text, JsonMutation e)
    {
        var node = TryParseObject(text);
        var keys = node?.Select(p => p.Key).ToArray() ?? [];
        switch (e.Kind)
        {
            case JsonEdit.SetKey when node is not null && keys.Length > 0:
                node[keys[e.At % keys.Length]] = JsonNode.Parse(e.Value);
                text = node.ToJsonString();
                break;
            case JsonEdit.SetUnknownKey when node is not null:
                node[e.Key] = JsonNode.Parse(e.Value);
                text = node.ToJsonString();
                break;
            case JsonEdit.RemoveKey when node is not null && keys.Length > 0:
                node.Remove(keys[e.At % keys.Length]);
                text = node.ToJsonString();
                break;
            case JsonEdit.Truncate:
                text = text[..(e.At % (text.Length + 1))];
                break;
            case JsonEdit.InsertChar:
                text = text.Insert(e.At % (text.Length + 1), InsertedChars[e.At % InsertedChars.Length].ToString());
                break;
            case JsonEdit.DeleteChar when text.Length > 0:
                text = text.Remove(e.At % text.Length, 1);
                break;
            case JsonEdit.DuplicateKey when text.TrimEnd().EndsWith('}') && keys.Length > 0:
                int end = text.LastIndexOf('}');
                text = text[..end] + $",\"{keys[e.At % keys.Length]}\":{e.Value}" + text[end..];
                break;
            case JsonEdit.Wrap:
                text = e.At % 2 == 0 ? $"[{text}]" : $"{{\"config\":{text}}}";
                break;
            case JsonEdit.Whole:
                text = WholeDocuments[e.At % WholeDocuments.Length];
                break;
        }
        return text;
    }

    private const string InsertedChars = "{}[],:\"\\ \n0e.-";

    private static JsonObject? TryParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject o && o.Count >= 0 ? o : null; // Count materialises it: duplicate keys throw here
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------- running and checking

    private static Config FuzzConfig(int tests, out string seedText)
    {
        var (seed, gamma) = (DefaultSeed, DefaultGamma);
        string? requested = Environment.GetEnvironmentVariable("PDLF_FUZZ_SEED");
        if (requested == "random") (seed, gamma) = ((ulong)Random.Shared.NextInt64(), (ulong)Random.Shared.NextInt64() | 1);
        else if (requested?.Split(',') is [var s, var g]) (seed, gamma) = (ulong.Parse(s, CultureInfo.InvariantCulture), ulong.Parse(g, CultureInfo.InvariantCulture));
        seedText = $"PDLF_FUZZ_SEED={seed},{gamma}";
        return Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, gamma), FSharpOption<int>.None)));
    }

    private static int Cases(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("PDLF_FUZZ_CASES"), out int n) && n > 0 ? n : fallback;

    /// <summary>Violations grouped by kind, with the first few examples of each.</summary>
    private sealed class Violations
    {
        private readonly Dictionary<string, (int Count, List<string> Examples)> _byKind = [];

        public int Total { get; private set; }

        public void Add(string kind, string example)
        {
            Total++;
            if (!_byKind.TryGetValue(kind, out var entry)) entry = (0, []);
            if (entry.Examples.Count < 3) entry.Examples.Add(example);
            _byKind[kind] = (entry.Count + 1, entry.Examples);
        }

        public void AssertNone(string what, int cases, string seed)
        {
            if (Total == 0) return;
            var report = new StringBuilder($"{Total} of {cases} {what} broke the contract ({_byKind.Count} kinds; replay with {seed}):\n");
            foreach (var (kind, (count, examples)) in _byKind.OrderByDescending(k => k.Value.Count).Take(25))
            {
                report.Append($"\n== {kind} ({count} cases), e.g.:\n");
                foreach (var example in examples) report.Append("  ").Append(example.Replace("\n", "\n  ")).Append('\n');
            }
            Assert.Fail(report.ToString());
        }
    }

    /// <summary>Fills the placeholders of one case: fresh output and missing paths, the workspace's runs and files.</summary>
    private sealed class Placeholders(CliWorkspace workspace)
    {
        private readonly string _bigFile = MakeBigFile(workspace), _badResponse = MakeResponseFile(workspace), _config = MakeConfig(workspace);

        private static string MakeBigFile(CliWorkspace w)
        {
            string path = Path.Combine(w.Root, "big.json");
            File.WriteAllText(path, "{\"hidden\":8" + new string(' ', (int)ConfigFiles.MaxBytes + 10) + "}");
            return path;
        }

        private static string MakeResponseFile(CliWorkspace w)
        {
            string path = Path.Combine(w.Root, "garbage.rsp");
            File.WriteAllText(path, "train\ncopy\n--length\nabc\n--out\n\n");
            return path;
        }

        private static string MakeConfig(CliWorkspace w)
        {
            string path = Path.Combine(w.Root, "small-config.json");
            File.WriteAllText(path, new CopyConfig { Hidden = 8, Population = 4, Generations = 2, Sequences = 2, TestSequences = 8, Threads = 1 }.ToJson());
            return path;
        }

        public string[] Fill(string[] args)
        {
            string? output = null, missing = null, directory = null;
            string locomotionRun = workspace.LocomotionRun ?? Path.Combine(workspace.Root, "no-mujoco-run");
            return args.Select(a => !a.Contains('{') ? a : a
                .Replace(Out, output ??= workspace.NewPath("out"))
                .Replace(NewDir, directory ??= workspace.NewDirectory("dir"))
                .Replace(Missing, missing ??= Path.Combine(workspace.NewPath("missing"), "nothing.ckpt"))
                .Replace(PlainFile, workspace.RegularFile)
                .Replace(BigFile, _bigFile)
                .Replace(BadResponse, _badResponse)
                .Replace(CopyConfigFile, _config)
                .Replace(CopyRunDir, workspace.CopyRun)
                .Replace(CopyCkpt, workspace.CopyCheckpoint)
                .Replace(CueRunDir, workspace.CueRun)
                .Replace(CueCkpt, workspace.CueCheckpoint)
                .Replace(LocoRunDir, locomotionRun)
                .Replace(LocoCkpt, Path.Combine(locomotionRun, "checkpoint.ckpt"))).ToArray();
        }
    }

    private static readonly int[] AllowedExits = [RunExitCodes.Done, RunExitCodes.RuntimeError, RunExitCodes.UsageError, RunExitCodes.Interrupted];

    /// <summary>bench ignores the stop token and measures for seconds: such cases are generated but not run.</summary>
    private static bool WouldRunBench(string[] args)
    {
        if (!args.Any(a => a == "bench" || a.StartsWith('@'))) return false;
        using var signals = PdlfFast.Cli.StopSignals.FromToken(new CancellationToken(canceled: true));
        try
        {
            var parse = PdlfFast.Cli.PdlfApp.Build(signals).Parse(args);
            return parse.Errors.Count == 0 && parse.CommandResult.Command.Name == "bench" && parse.Action is not System.CommandLine.Help.HelpAction;
        }
        catch (Exception)
        {
            return false; // whatever breaks the parse (an unreadable response file, a throwing validator): PdlfApp.Run must cope, and the check will see how
        }
    }

    /// <summary>Checks one in-process run against the contract; records what it breaks.</summary>
    private static void CheckRun(CliRun run, Violations violations, string? context = null)
    {
        string example = context is null ? run.ToString() : $"{run}\n  {context}";
        if (run.Escaped is not null) violations.Add($"exception escaped PdlfApp.Run: {run.Escaped.GetType().Name}", example);
        else if (run.Exit == PdlfFast.Cli.PdlfApp.InternalError)
            violations.Add($"exit 70 (internal error): {Kind(run.Err)}", example);
        else if (!AllowedExits.Contains(run.Exit)) violations.Add($"exit {run.Exit}", example);
        else if (run.Exit is RunExitCodes.RuntimeError or RunExitCodes.UsageError && !run.IsOneErrorLine)
            violations.Add($"exit {run.Exit} without exactly one 'error: ' line on stderr: " +
                           (run.Args.Any(a => (a.Contains('\n') || a.Contains('\r')) && run.Err.Contains(a)) ? "a line break inside a value echoed in the message" : Kind(run.Err)),
                example);
        else if (run.Exit is RunExitCodes.RuntimeError or RunExitCodes.UsageError && Regex.IsMatch(run.Err, @"\bSystem\.[A-Z][a-z]+"))
            violations.Add($"exit {run.Exit} with a .NET type name in the message: {Kind(run.Err)}", example);
        else if (run.Exit is RunExitCodes.Done or RunExitCodes.Interrupted && run.Err.Length > 0)
            violations.Add($"exit {run.Exit} with stderr output: {Kind(run.Err)}", example);
        if (run.Elapsed > SlowCase) violations.Add($"slower than {SlowCase.TotalSeconds} s", example);
    }

    /// <summary>A message without its specifics (paths, numbers, quoted values), to group violations.</summary>
    private static string Kind(string message)
    {
        var parts = (message.StartsWith("error: ", StringComparison.Ordinal) ? message[7..] : message).TrimEnd('\n').Split("; ");
        // A message over several lines: name the part that breaks the line, not the parts around it.
        foreach (var part in parts.Where(p => p.Contains('\n') || p.Contains('\r')))
        {
            string unquoted = Regex.Replace(part, @"'[^']*'", "…");
            return unquoted.Contains('\n') || unquoted.Contains('\r')
                ? "a message on several lines: " + Template(unquoted.Split('\n')[0])
                : "a line break inside a quoted value";
        }
        return Template(parts[0]);
    }

    private static string Template(string text)
    {
        text = Regex.Replace(text.Trim(), @"\(/[^)]*\)|'[^']*'|/\S+|\d+", "…");
        return text.Length > 110 ? text[..110] + "…" : text;
    }

    [Fact]
    public void Mutated_and_garbage_command_lines_exit_0_1_2_or_130_with_one_error_line()
    {
        int cases = Cases(10_000);
        // A few generated cases would run bench and are skipped: generate 1% more so that at least `cases` run.
        var config = FuzzConfig(cases + cases / 100 + 10, out string seed);
        var placeholders = new Placeholders(workspace);
        var violations = new Violations();
        int ran = 0, skipped = 0;
        var exits = new Dictionary<int, int>();
        var seconds = new Dictionary<string, (int Count, double Seconds)>();
        var stopwatch = Stopwatch.StartNew();
        Check.One(config, Prop.ForAll(Arb.From(Argvs), (ArgvCase c) =>
        {
            var args = placeholders.Fill(c.Args);
            if (WouldRunBench(args))
            {
                skipped++;
                return;
            }
            var run = InProcessCli.Run(workspace.Root, stopped: true, args);
            ran++;
            exits[run.Exit] = exits.GetValueOrDefault(run.Exit) + 1;
            string command = $"{string.Join(' ', c.Args.Take(2))} -> {run.Exit}";
            var (count, total) = seconds.GetValueOrDefault(command);
            seconds[command] = (count + 1, total + run.Elapsed.TotalSeconds);
            CheckRun(run, violations);
        }));
        TestContext.Current.SendDiagnosticMessage(
            $"command-line fuzz: {ran} run, {skipped} bench cases not run, exits {string.Join(", ", exits.OrderBy(e => e.Key).Select(e => $"{e.Key}: {e.Value}"))}, {stopwatch.Elapsed.TotalSeconds:F1} s; " +
            $"most time: {string.Join(", ", seconds.OrderByDescending(s => s.Value.Seconds).Take(8).Select(s => $"{s.Key} x{s.Value.Count} {s.Value.Seconds:F1} s"))}");
        Assert.True(ran >= cases, $"only {ran} of {cases} cases ran ({skipped} would have run bench)");
        Assert.True(exits.GetValueOrDefault(RunExitCodes.Interrupted) > 0 && exits.GetValueOrDefault(RunExitCodes.Done) > 0,
            "the generator should reach accepted commands (exit 0 and stopped trainings, exit 130)");
        violations.AssertNone("command lines", ran, seed);
    }

    [Fact]
    public void Mutated_config_documents_validate_or_throw_ConfigException()
    {
        int cases = Cases(10_000) * Enum.GetValues<ConfigKind>().Length;
        var config = FuzzConfig(cases, out string seed);
        var violations = new Violations();
        int valid = 0;
        Check.One(config, Prop.ForAll(Arb.From(ConfigDocuments()), (ConfigCase c) =>
        {
            string json;
            try
            {
                json = ParseAndValidate(c.Kind, c.Json);
            }
            catch (ConfigException)
            {
                return;
            }
            catch (Exception e)
            {
                violations.Add($"{c.Kind}: {e.GetType().Name} instead of ConfigException", $"{c}\n-> {e.GetType().Name}: {e.Message}");
                return;
            }
            valid++;
            // A valid config survives its own JSON unchanged (what config.json and checkpoints store).
            string again = ParseAndValidate(c.Kind, json);
            if (again != json) violations.Add($"{c.Kind}: ToJson does not round-trip", $"{c}\n-> {json}\n-> {again}");
        }));
        TestContext.Current.SendDiagnosticMessage($"config fuzz: {cases} documents, {valid} valid");
        Assert.True(valid > cases / 50, $"only {valid} of {cases} documents were valid: the mutations are too destructive to test acceptance");
        violations.AssertNone("config documents", cases, seed);
    }

    /// <summary>Pinned flags (they override the file) keep any accepted document's run tiny.</summary>
    private static string[] WithConfigFile(ConfigKind kind, string file, string output) => kind switch
    {
        ConfigKind.Copy => ["train", "copy", "--config", file, "--generations", "2", .. TinyCopy, "--length", "3", "--latency", "2", "--out", output],
        ConfigKind.Locomotion => ["train", "swimmer_dir", "--config", file, "--generations", "2", .. TinyLocomotion, "--out", output],
        _ => ["train", "cue", "--config", file, "--steps", "2", .. TinyCue, "--length", "4", "--population", "4", "--out", output],
    };

    [Fact]
    public void Mutated_config_files_through_the_cli_exit_0_1_2_or_130_with_one_error_line()
    {
        int cases = Math.Max(50, Cases(10_000) / 20);
        var config = FuzzConfig(cases, out string seed);
        var violations = new Violations();
        var exits = new Dictionary<int, int>();
        Check.One(config, Prop.ForAll(Arb.From(ConfigDocuments()), (ConfigCase c) =>
        {
            string file = workspace.NewPath("config") + ".json";
            File.WriteAllText(file, c.Json);
            var run = InProcessCli.Run(workspace.Root, stopped: true, WithConfigFile(c.Kind, file, workspace.NewPath("out")));
            exits[run.Exit] = exits.GetValueOrDefault(run.Exit) + 1;
            CheckRun(run, violations, $"{file}: {c}");
        }));
        TestContext.Current.SendDiagnosticMessage($"config-file fuzz: {cases} runs, exits {string.Join(", ", exits.OrderBy(e => e.Key).Select(e => $"{e.Key}: {e.Value}"))}");
        violations.AssertNone("config files", cases, seed);
    }
}
