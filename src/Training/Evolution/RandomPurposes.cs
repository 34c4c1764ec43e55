namespace PdlfFast.Training.Evolution;

/// <summary>Stream purposes of the training code, so no two uses of one seed ever share random numbers.</summary>
/// <remarks>
/// A purpose is the last field of a Philox stream address (<see cref="Kernel.Random.StreamId"/>). Because the strategy
/// seed and the episode seed draw under different purposes, a run may use one value for both (docs/design.md,
/// "Evolution strategies"). Evaluators that draw their own streams from an episode seed should pick purposes
/// different from these.
/// </remarks>
public static class RandomPurposes
{
    /// <summary>The evolution strategies' search noise (<see cref="EsNoise"/>), addressed by (generation, pair).</summary>
    public const uint EvolutionNoise = 0x45534e; // "ESN"
    /// <summary>Episode seeds (<see cref="EvaluationDriver{TEvaluator,TWorker}.EpisodeSeed"/>), addressed by (generation, member, episode).</summary>
    public const uint EpisodeSeeds = 0x455053;   // "EPS"
}
