using PdlfFast.Kernel.Random;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// An evolution strategy behind ask/tell with explicit state. Ask writes the generation's population into a
/// caller-owned buffer (<see cref="PopulationSize"/> rows of <see cref="Dimension"/> floats, row-major); Tell takes one
/// fitness per member (higher is better) and advances <see cref="Generation"/>. Everything random derives from
/// (seed, generation, member), so the strategy's whole state is what <see cref="WriteState"/> writes, and a
/// restored strategy continues bit for bit.
/// Both halves work on parameter ranges: every parameter's update depends only on its own noise and the fitness
/// ranks, so disjoint ranges can run on different threads (<see cref="EvolutionRun{TEvaluator,TWorker}"/> does) and
/// give the same bits however the dimension is split. <see cref="EvolutionStrategyExtensions.Ask"/> and
/// <see cref="EvolutionStrategyExtensions.Tell"/> run a whole generation on the calling thread.
/// </summary>
/// <remarks>
/// <para>
/// Implemented by <see cref="Pgpe"/> and <see cref="OpenAiEs"/> (docs/design.md, "Evolution strategies"): members
/// come in mirrored pairs, members 2k and 2k+1 being <c>mean + delta_k</c> and <c>mean - delta_k</c>, and fitness is
/// shaped by <see cref="CentredRanks"/>. The seed in the strategy's options draws the search noise; the episodes'
/// seed is a separate one (<see cref="EvaluationOptions.Seed"/>).
/// </para>
/// <para>
/// <b>One generation.</b> <see cref="AskRange"/> over ranges covering [0, <see cref="Dimension"/>) once (in parallel if
/// wished); evaluate; <see cref="BeginTell"/> once; <see cref="TellRange"/> over ranges covering the dimension once
/// (in parallel if wished); <see cref="EndTell"/> once. Ranges start on multiples of <see cref="RangeAlignment"/>.
/// Other members are called between generations, from one thread, except <see cref="AskMember"/>,
/// <see cref="DrawPairNoise"/> and <see cref="MemberFromNoise"/>, which several threads may call at once between tells.
/// </para>
/// <para>
/// <b>Allocation.</b> The strategies allocate their state and scratch in their constructors (a PGPE or OpenAI-ES
/// strategy also caches one generation's noise: population / 2 x dimension floats, so that tell need not redraw
/// it); ask and tell allocate nothing.
/// </para>
/// </remarks>
public interface IEvolutionStrategy
{
    /// <summary>Range starts must be multiples of this (Gaussian values come in pairs from one random block).</summary>
    const int RangeAlignment = 2;

    /// <summary>The strategy's name as configurations spell it (<c>pgpe</c>, <c>openai-es</c>); stored in its state.</summary>
    string Name { get; }
    /// <summary>Parameters per member: the length of <see cref="Mean"/> and of every population row.</summary>
    int Dimension { get; }
    /// <summary>Members per generation: even, since members come in mirrored pairs.</summary>
    int PopulationSize { get; }
    /// <summary>Generations told so far.</summary>
    int Generation { get; }
    /// <summary>The search distribution's centre: the current best estimate of the parameters.</summary>
    ReadOnlySpan<float> Mean { get; }
    /// <summary>
    /// Which noise stream the members are drawn from (<see cref="EsNoise"/>): new strategies use
    /// <see cref="EsNoise.Current"/>; a restored state keeps the stream it was made with.
    /// </summary>
    int NoiseStream { get; }

    /// <summary>
    /// Writes parameters [start, end) of every member of the current generation. Disjoint ranges may run on different
    /// threads at once; the members do not depend on the split.
    /// </summary>
    /// <param name="population">The whole population buffer: <see cref="PopulationSize"/> rows of <see cref="Dimension"/> floats, row-major.</param>
    /// <param name="start">First parameter; a multiple of <see cref="RangeAlignment"/>.</param>
    /// <param name="end">One past the last parameter; at most <see cref="Dimension"/>.</param>
    /// <exception cref="ArgumentException">The buffer is not population x dimension floats.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the dimension or badly aligned.</exception>
    void AskRange(Span<float> population, int start, int end);
    /// <summary>
    /// Writes one member's parameters, bit for bit the row <see cref="AskRange"/> writes for it, without the rest of the
    /// population: a remote worker rebuilds only the members it evaluates. Safe to call from several threads between
    /// tells.
    /// </summary>
    void AskMember(int member, Span<float> parameters)
    {
        StrategyChecks.Member(member, parameters, PopulationSize, Dimension);
        DrawPairNoise(member / 2, parameters);
        MemberFromNoise(member, parameters, parameters);
    }
    /// <summary>
    /// The standard-normal noise that mirrored members <c>2 pair</c> and <c>2 pair + 1</c> share in the current
    /// generation (one draw serves both): <see cref="Dimension"/> values, a pure function of (seed, generation, pair).
    /// Thread-safe between tells; allocates nothing.
    /// </summary>
    void DrawPairNoise(int pair, Span<float> noise);
    /// <summary>A member from its pair's noise (<see cref="DrawPairNoise"/>): bit for bit what <see cref="AskMember"/> writes.</summary>
    void MemberFromNoise(int member, ReadOnlySpan<float> noise, Span<float> parameters);
    /// <summary>
    /// Ranks the fitness; then <see cref="TellRange"/> updates parameter ranges and <see cref="EndTell"/> closes the generation.
    /// </summary>
    /// <param name="fitness">One value per member, higher is better; non-finite values rank last.</param>
    /// <returns>The generation's figures: best member, mean finite fitness, non-finite count.</returns>
    /// <exception cref="ArgumentException"><paramref name="fitness"/> does not have <see cref="PopulationSize"/> values.</exception>
    TellResult BeginTell(ReadOnlySpan<float> fitness);
    /// <summary>
    /// Updates parameters [start, end) of the distribution (and the optimiser's moments) from the ranks
    /// <see cref="BeginTell"/> computed. Disjoint ranges may run on different threads at once; the result does not
    /// depend on the split. Ranges start on multiples of <see cref="RangeAlignment"/>.
    /// </summary>
    void TellRange(int start, int end);
    /// <summary>Closes the tell: <see cref="Generation"/> advances by one and the next ask draws new noise.</summary>
    void EndTell();

    /// <summary>
    /// Writes the whole state: a header (format tag, noise stream, name, dimension, population, seed, generation), the
    /// search distribution and the optimiser's moments. A strategy built with the same options that reads it
    /// (<see cref="ReadState"/>) continues bit for bit. Call between generations.
    /// </summary>
    void WriteState(BinaryWriter writer);
    /// <summary>Restores what <see cref="WriteState"/> wrote; throws <see cref="InvalidDataException"/> on a mismatch.</summary>
    void ReadState(BinaryReader reader);

    /// <summary>
    /// What rebuilding members takes, and no more: the state header (with the generation) and the search distribution
    /// (PGPE: centre and per-parameter sigma; OpenAI-ES: the mean), not the optimiser's moments. Remote workers get
    /// this each generation: half the bytes of <see cref="WriteState"/> for PGPE.
    /// </summary>
    void WriteAskState(BinaryWriter writer);
    /// <summary>Restores what <see cref="WriteAskState"/> wrote: the strategy can then ask (any member), not tell.</summary>
    void ReadAskState(BinaryReader reader);
}

/// <summary>Whole-generation ask and tell on the calling thread, for callers that do not split the parameters.</summary>
public static class EvolutionStrategyExtensions
{
    /// <summary>Writes every member of the current generation into <paramref name="population"/> (population x dimension floats, row-major).</summary>
    public static void Ask(this IEvolutionStrategy strategy, Span<float> population)
    {
        StrategyChecks.Population(population, strategy.PopulationSize, strategy.Dimension);
        strategy.AskRange(population, 0, strategy.Dimension);
    }

    /// <summary>
    /// Tells the generation's fitness (one per member, higher is better) and advances the strategy by a generation:
    /// <see cref="IEvolutionStrategy.BeginTell"/>, <see cref="IEvolutionStrategy.TellRange"/> over the whole dimension,
    /// <see cref="IEvolutionStrategy.EndTell"/>.
    /// </summary>
    public static TellResult Tell(this IEvolutionStrategy strategy, ReadOnlySpan<float> fitness)
    {
        var result = strategy.BeginTell(fitness);
        strategy.TellRange(0, strategy.Dimension);
        strategy.EndTell();
        return result;
    }
}

/// <summary>What one Tell saw.</summary>
/// <param name="NonFiniteFitness">Members whose fitness was NaN or infinite (ranked worst, never averaged).</param>
/// <param name="BestMember">Index of the best finite member, -1 if none was finite (ties: the lowest index).</param>
/// <param name="BestFitness">The best finite fitness, NaN if none was finite.</param>
/// <param name="MeanFiniteFitness">The mean of the finite fitness values (summed in member order, in double), NaN if none.</param>
public readonly record struct TellResult(int NonFiniteFitness, int BestMember, float BestFitness, float MeanFiniteFitness);

/// <summary>What a strategy state starts with.</summary>
internal readonly record struct StateHeader(string Name, int NoiseStream, int Dimension, int PopulationSize, ulong Seed, int Generation);

internal static class StrategyChecks
{
    public static void Population(Span<float> population, int size, int dimension)
    {
        if (population.Length != size * dimension)
            throw new ArgumentException($"Population buffer has {population.Length} floats; {size} members x {dimension} parameters need {size * dimension}.", nameof(population));
    }

    public static TellResult Fitness(ReadOnlySpan<float> fitness, int size)
    {
        if (fitness.Length != size)
            throw new ArgumentException($"Got {fitness.Length} fitness values for a population of {size}.", nameof(fitness));
        int nonFinite = 0, best = -1, finite = 0;
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            float f = fitness[i];
            if (!float.IsFinite(f)) { nonFinite++; continue; }
            finite++;
            sum += f;
            if (best < 0 || f > fitness[best]) best = i;
        }
        return new TellResult(nonFinite, best, best >= 0 ? fitness[best] : float.NaN, finite > 0 ? (float)(sum / finite) : float.NaN);
    }

    public static void Range(int start, int end, int dimension)
    {
        if (start < 0 || end > dimension || start > end || start % IEvolutionStrategy.RangeAlignment != 0)
            throw new ArgumentOutOfRangeException(nameof(start), $"Range [{start}, {end}) must lie in [0, {dimension}) and start on a multiple of {IEvolutionStrategy.RangeAlignment}.");
    }

    public static void Member(int member, Span<float> parameters, int size, int dimension)
    {
        if ((uint)member >= (uint)size) throw new ArgumentOutOfRangeException(nameof(member), member, $"The population has {size} members.");
        if (parameters.Length != dimension)
            throw new ArgumentException($"Parameter buffer has {parameters.Length} floats; a member has {dimension}.", nameof(parameters));
    }

    /// <summary>
    /// Written first since noise stream 2; a state without it is format 1, which had only stream 1 (a format-1 state's
    /// first string is the strategy's name, never this tag).
    /// </summary>
    private const string StateFormat2 = "pdlf-es-state/2";

    public static void WriteHeader(BinaryWriter writer, IEvolutionStrategy strategy, ulong seed)
    {
        writer.Write(StateFormat2);
        writer.Write(strategy.NoiseStream);
        writer.Write(strategy.Name);
        writer.Write(strategy.Dimension);
        writer.Write(strategy.PopulationSize);
        writer.Write(seed);
        writer.Write(strategy.Generation);
    }

    /// <summary>Reads a state header of either format without checking it against a strategy.</summary>
    public static StateHeader ReadHeader(BinaryReader reader)
    {
        string stored = reader.ReadString();
        int noiseStream = EsNoise.Stream1;
        if (stored == StateFormat2)
        {
            noiseStream = reader.ReadInt32();
            if (!EsNoise.IsKnown(noiseStream))
                throw new InvalidDataException($"State was drawn from noise stream {noiseStream}; this build knows streams {EsNoise.Stream1}..{EsNoise.Current}.");
            stored = reader.ReadString();
        }
        return new StateHeader(stored, noiseStream, reader.ReadInt32(), reader.ReadInt32(), reader.ReadUInt64(), reader.ReadInt32());
    }

    /// <summary>Checks a state header against the strategy reading it; returns the stored generation and noise stream.</summary>
    public static (int Generation, int NoiseStream) ReadHeader(BinaryReader reader, IEvolutionStrategy strategy, ulong seed)
    {
        var h = ReadHeader(reader);
        if (h.Name != strategy.Name || h.Dimension != strategy.Dimension || h.PopulationSize != strategy.PopulationSize)
            throw new InvalidDataException($"State is for {h.Name} with {h.Dimension} parameters and population {h.PopulationSize}; this strategy is {strategy.Name} with {strategy.Dimension} and {strategy.PopulationSize}.");
        if (h.Seed != seed) throw new InvalidDataException($"State was made with seed {h.Seed}; this strategy has seed {seed}.");
        return (h.Generation, h.NoiseStream);
    }

    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public static void ReadFloats(BinaryReader reader, Span<float> destination, string what)
    {
        int n = reader.ReadInt32();
        if (n != destination.Length) throw new InvalidDataException($"{what} has {n} values; expected {destination.Length}.");
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination);
        if (reader.Read(bytes) != bytes.Length) throw new EndOfStreamException($"{what} is truncated.");
    }
}
