using System.CommandLine;
using PdlfFast.Cli.Commands;

if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160; // one line per log entry in files
var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules (PDLF, SpikePropamine), fast on CPUs.");
var train = CopyCommands.Train();
foreach (var task in LocomotionCommands.TrainCommands()) train.Subcommands.Add(task);
train.Subcommands.Add(SpikePropamineCommands.Train());
train.Subcommands.Add(SpikePropamineCommands.Train("copy"));
train.Description = "Train a model (tasks: copy, cue, halfcheetah_vel, swimmer_dir, ant_dir, hopper_vel, reach_arm, reach_quadruped).";
root.Subcommands.Add(train);
root.Subcommands.Add(CopyCommands.Eval());
var sweep = CopyCommands.Sweep();
sweep.Subcommands.Add(SpikePropamineCommands.Sweep());
root.Subcommands.Add(sweep);
root.Subcommands.Add(LocomotionCommands.Generalise());
root.Subcommands.Add(LocomotionCommands.Steer());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
