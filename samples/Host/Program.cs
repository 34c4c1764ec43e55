// A .NET host embedding PdlfFast through its NuGet packages. Four scenarios, chosen by the first argument:
//   network                      a PDLF network on the host's own observation stream (NetworkScenario.cs)
//   evolve                       PGPE on the host's own toy task with its own evaluator (EvolveScenario.cs)
//   checkpoint PATH              a locomotion policy trained by `pdlf train`, run on MuJoCo (CheckpointScenario.cs)
//   spikepropamine PATH          a cue-task network trained by `pdlf train cue`, stepped by PlasticSnn (SpikePropamineScenario.cs)
//   all CHECKPOINT SPIKEPROPAMINE_CHECKPOINT
// Exit codes as pdlf's: 0 done, 1 runtime error (damaged file, MuJoCo missing), 2 usage error (bad argument or path).
using PdlfFast.Training.Runs;
using PdlfHost;

try
{
    return args switch
    {
        ["network"] => NetworkScenario.Run(),
        ["evolve"] => EvolveScenario.Run(),
        ["checkpoint", var path] => CheckpointScenario.Run(path),
        ["spikepropamine", var path] => SpikePropamineScenario.Run(path),
        ["all", var checkpoint, var spikePropamine] => All(checkpoint, spikePropamine),
        _ => Usage(args),
    };
}
catch (RunException e)
{
    // Everything the libraries report as the caller's or the machine's fault (unreadable or damaged checkpoint, a
    // checkpoint of another kind, MuJoCo missing) is a RunException: one line, and its Kind is the exit code.
    Console.Error.WriteLine($"error: {e.Message}");
    return (int)e.Kind;
}

static int All(string checkpoint, string spikePropamine)
{
    (string Name, Func<int> Run)[] scenarios =
    [
        ("network", NetworkScenario.Run),
        ("evolve", EvolveScenario.Run),
        ("checkpoint", () => CheckpointScenario.Run(checkpoint)),
        ("spikepropamine", () => SpikePropamineScenario.Run(spikePropamine)),
    ];
    foreach (var (name, run) in scenarios)
    {
        Console.WriteLine($"== {name}");
        int code = run();
        if (code != 0) return code;
        Console.WriteLine();
    }
    Console.WriteLine("all scenarios passed");
    return 0;
}

static int Usage(string[] args)
{
    if (args.Length > 0) Console.Error.WriteLine($"error: unknown arguments: {string.Join(' ', args)}");
    Console.Error.WriteLine("usage: pdlf-host-sample network | evolve | checkpoint PATH | spikepropamine PATH | all CHECKPOINT SPIKEPROPAMINE_CHECKPOINT");
    return 2;
}
