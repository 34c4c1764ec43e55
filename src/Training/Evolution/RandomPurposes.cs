namespace PdlfFast.Training.Evolution;

/// <summary>Stream purposes of the training code, so no two uses of one seed ever share random numbers.</summary>
public static class RandomPurposes
{
    public const uint EvolutionNoise = 0x45534e; // "ESN"
    public const uint EpisodeSeeds = 0x455053;   // "EPS"
}
