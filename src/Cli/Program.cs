using System.CommandLine;
using PdlfFast.Cli.Commands;

var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules (PDLF, SpikePropamine), fast on CPUs.");
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
