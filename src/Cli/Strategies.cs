using PdlfFast.Training.Evolution;

namespace PdlfFast.Cli;

/// <summary>The evolution strategies the CLI offers, built from the options every training command shares.</summary>
public static class Strategies
{
    public static IEvolutionStrategy Create(string name, int dimension, int population, float sigma, double learningRate, ulong seed) => name switch
    {
        "openai-es" => new OpenAiEs(dimension, new OpenAiEsOptions(population, sigma, learningRate, Seed: seed)),
        _ => new Pgpe(dimension, new PgpeOptions(population, learningRate, InitialStdev: sigma, Seed: seed)),
    };
}
