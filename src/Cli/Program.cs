using System.CommandLine;

var root = new RootCommand("pdlf: spiking networks whose synapses learn their own plasticity rules, fast on CPUs.");
return root.Parse(args).Invoke();
