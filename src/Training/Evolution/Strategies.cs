using PdlfFast.Training.Runs;

namespace PdlfFast.Training.Evolution;

/// <summary>The evolution strategies by name, built from the options every training run shares.</summary>
public static class Strategies
{
    /// <summary>The names <see cref="Create"/> accepts, as configurations and the command line spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["pgpe", "openai-es"];

    /// <summary>Builds the named strategy; an unknown name is a <see cref="ConfigException"/>, never a silent default.</summary>
    /// <param name="name"><c>pgpe</c> or <c>openai-es</c> (<see cref="Names"/>).</param>
    /// <param name="dimension">Parameters per member.</param>
    /// <param name="population">Members per generation (even).</param>
    /// <param name="sigma">PGPE: the initial per-parameter sigma; OpenAI-ES: the fixed sigma.</param>
    /// <param name="learningRate">Adam's step size on the mean (PGPE: the centre).</param>
    /// <param name="seed">The strategy seed: draws the search noise (not the episodes; see <see cref="EvaluationOptions"/>).</param>
    /// <param name="initialMean">The starting mean (copied); null: all zeros.</param>
    public static IEvolutionStrategy Create(string name, int dimension, int population, float sigma, double learningRate, ulong seed,
        float[]? initialMean = null) => name switch
    {
        "pgpe" => new Pgpe(dimension, new PgpeOptions(population, learningRate, InitialStdev: sigma, Seed: seed), initialMean),
        "openai-es" => new OpenAiEs(dimension, new OpenAiEsOptions(population, sigma, learningRate, Seed: seed), initialMean),
        _ => throw new ConfigException($"unknown strategy '{name}': use one of {string.Join(", ", Names)}"),
    };
}
