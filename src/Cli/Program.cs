using PdlfFast.Cli;

if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160; // one line per log entry in files
using var stop = StopSignals.FromProcess();
return PdlfApp.Run(args, stop);
