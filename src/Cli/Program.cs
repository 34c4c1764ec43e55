using System.CommandLine;
using PdlfFast.Cli.Commands;

if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160; // one line per log entry in files
var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules (PDLF, SpikePropamine), fast on CPUs.");
root.Subcommands.Add(CopyCommands.Train());
root.Subcommands.Add(CopyCommands.Eval());
root.Subcommands.Add(CopyCommands.Sweep());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
