using PdlfFast.Training.Runs;

namespace PdlfFast.Training.Evolution;

/// <summary>The evolution strategies by name, built from the options every training run shares.</summary>
public static class Strategies
{
    public static readonly string[] Names = ["pgpe", "openai-es"];

    /// <summary>Builds the named strategy; an unknown name is a <see cref="ConfigException"/>, never a silent default.</summary>
    public static IEvolutionStrategy Create(string name, int dimension, int population, float sigma, double learningRate, ulong seed,
        float[]? initialMean = null) => name switch
    {
        "pgpe" => new Pgpe(dimension, new PgpeOptions(population, learningRate, InitialStdev: sigma, Seed: seed), initialMean),
        "openai-es" => new OpenAiEs(dimension, new OpenAiEsOptions(population, sigma, learningRate, Seed: seed), initialMean),
        _ => throw new ConfigException($"unknown strategy '{name}': use one of {string.Join(", ", Names)}"),
    };
}
