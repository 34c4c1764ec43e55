using PdlfFast.Cli;
using PdlfFast.Cluster;

// pdlf-cluster: the pdlf commands on the JIT runtime (Orleans cannot run under native AOT) plus the cluster roles.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
using var stop = StopSignals.FromProcess();
return PdlfApp.Run(args, stop, new OrleansCluster());
