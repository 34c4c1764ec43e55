using System.CommandLine;
using PdlfFast.Cli.Commands;

if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160; // one line per log entry in files
var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules (PDLF, SpikePropamine), fast on CPUs.");
var train = CopyCommands.Train();
foreach (var task in LocomotionCommands.TrainCommands()) train.Subcommands.Add(task);
train.Description = "Train a model (tasks: copy, halfcheetah_vel, swimmer_dir, ant_dir, hopper_vel, reach_arm, reach_quadruped).";
root.Subcommands.Add(train);
root.Subcommands.Add(CopyCommands.Eval());
root.Subcommands.Add(CopyCommands.Sweep());
root.Subcommands.Add(LocomotionCommands.Generalise());
root.Subcommands.Add(LocomotionCommands.Steer());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
