namespace PdlfFast.Training.Evolution;

/// <summary>OpenAI-ES settings (Salimans et al. 2017); defaults as in docs/design.md, "Evolution strategies".</summary>
/// <param name="PopulationSize">Even: members come in mirrored pairs mean +- sigma * eps.</param>
/// <param name="Sigma">Fixed noise standard deviation.</param>
/// <param name="LearningRate">Adam step size on the mean.</param>
/// <param name="WeightDecay">L2 coefficient pulling the mean to zero (0 = off).</param>
/// <param name="Seed">
/// The strategy's seed: draws the search noise, i.e. which parameter vectors the members are. Not the episodes'
/// seed (<see cref="EvaluationOptions.Seed"/>). Stored in the state; a state restores only into a strategy with the
/// same seed.
/// </param>
/// <param name="NoiseStream">The <see cref="EsNoise"/> stream members are drawn from (a restored state keeps its own).</param>
public sealed record OpenAiEsOptions(int PopulationSize = 64, float Sigma = 0.04f, double LearningRate = 0.01,
    double WeightDecay = 0, ulong Seed = 0, int NoiseStream = EsNoise.Current)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!EsNoise.IsKnown(NoiseStream))
            throw new ArgumentOutOfRangeException(nameof(NoiseStream), NoiseStream, $"Unknown noise stream; this build knows {EsNoise.Stream1}..{EsNoise.Current}.");
        if (PopulationSize < 2 || PopulationSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(PopulationSize), PopulationSize, "Population size must be an even number >= 2 (mirrored pairs).");
        if (!(Sigma > 0) || !float.IsFinite(Sigma))
            throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma, "Sigma must be a positive finite number.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Weight decay must be >= 0.");
    }
}

/// <summary>
/// OpenAI-ES: mirrored sampling, centred ranks, Adam on the mean, optional L2 weight decay. Pair k's noise is
/// regenerated from (seed, generation, k) in both ask and tell, so workers in other
/// processes would need nothing but the fitness scalars.
/// Gradient estimate (ascent): <c>g = 1 / (n sigma) sum_k (u(2k) - u(2k+1)) eps_k</c>, u the centred ranks.
/// </summary>
/// <remarks>
/// Adam then descends <c>-g + weightDecay * mean</c>. Same bits for a seed on any thread count and split of the
/// parameters (see <see cref="IEvolutionStrategy"/>). The constructor allocates the mean, Adam's moments, one
/// generation's noise cache (population / 2 x dimension floats) and scratch; ask and tell allocate nothing.
/// </remarks>
public sealed class OpenAiEs : IEvolutionStrategy
{
    private readonly float[] _mean;
    private readonly Adam _adam;
    private readonly float[] _gradient, _shaped;
    private readonly NoiseCache _noise;
    private readonly double[] _accumulator;
    private readonly ulong[] _rankKeys;
    private readonly double[] _pairWeights;

    /// <summary>A strategy at generation 0 with its mean at <paramref name="initialMean"/>.</summary>
    /// <param name="dimension">Parameters per member, at least 1.</param>
    /// <param name="options">Population, sigma, learning rate, weight decay, seed and noise stream; validated here.</param>
    /// <param name="initialMean">The starting mean (<paramref name="dimension"/> values, copied); empty: all zeros.</param>
    public OpenAiEs(int dimension, OpenAiEsOptions options, ReadOnlySpan<float> initialMean = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options.Validate();
        Options = options;
        Dimension = dimension;
        _mean = new float[dimension];
        if (!initialMean.IsEmpty)
        {
            if (initialMean.Length != dimension) throw new ArgumentException($"Initial mean has {initialMean.Length} values; dimension is {dimension}.", nameof(initialMean));
            initialMean.CopyTo(_mean);
        }
        _adam = new Adam(dimension, options.LearningRate);
        _noise = new NoiseCache(options.PopulationSize / 2, dimension, options.NoiseStream);
        _gradient = new float[dimension];
        _accumulator = new double[dimension];
        _shaped = new float[options.PopulationSize];
        _rankKeys = new ulong[options.PopulationSize];
        _pairWeights = new double[options.PopulationSize / 2];
    }

    /// <summary>The settings the strategy was built with.</summary>
    public OpenAiEsOptions Options { get; }
    /// <inheritdoc/>
    public string Name => "openai-es";
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int PopulationSize => Options.PopulationSize;
    /// <inheritdoc/>
    public int Generation { get; private set; }
    /// <inheritdoc/>
    public int NoiseStream => _noise.Stream;
    /// <inheritdoc/>
    public ReadOnlySpan<float> Mean => _mean;

    /// <inheritdoc/>
    public void AskRange(Span<float> population, int start, int end)
    {
        StrategyChecks.Population(population, PopulationSize, Dimension);
        StrategyChecks.Range(start, end, Dimension);
        float sigma = Options.Sigma;
        for (int blockStart = start, blockEnd; blockStart < end; blockStart = blockEnd)
        {
            blockEnd = NoiseCache.PieceEnd(blockStart, end);
            for (int k = 0; k < PopulationSize / 2; k++)
            {
                var plus = population.Slice(2 * k * Dimension + blockStart, blockEnd - blockStart);
                var minus = population.Slice((2 * k + 1) * Dimension + blockStart, blockEnd - blockStart);
                var noise = _noise.Draw(Options.Seed, Generation, k, blockStart, blockEnd);
                for (int i = 0; i < plus.Length; i++)
                {
                    float step = sigma * noise[i];
                    plus[i] = _mean[blockStart + i] + step;
                    minus[i] = _mean[blockStart + i] - step;
                }
            }
        }
        _noise.Asked(start, end);
    }

    /// <inheritdoc/>
    public void DrawPairNoise(int pair, Span<float> noise)
    {
        StrategyChecks.Member(2 * pair, noise, PopulationSize, Dimension);
        _noise.DrawUncached(Options.Seed, Generation, pair, noise, 0);
    }

    /// <inheritdoc/>
    public void MemberFromNoise(int member, ReadOnlySpan<float> noise, Span<float> parameters)
    {
        StrategyChecks.Member(member, parameters, PopulationSize, Dimension);
        float sigma = Options.Sigma;
        bool minus = (member & 1) == 1;
        for (int i = 0; i < parameters.Length; i++)
        {
            float step = sigma * noise[i];
            parameters[i] = minus ? _mean[i] - step : _mean[i] + step;
        }
    }

    /// <inheritdoc/>
    public TellResult BeginTell(ReadOnlySpan<float> fitness)
    {
        var result = StrategyChecks.Fitness(fitness, PopulationSize);
        CentredRanks.Compute(fitness, _shaped, _rankKeys);
        for (int k = 0; k < PopulationSize / 2; k++) _pairWeights[k] = _shaped[2 * k] - _shaped[2 * k + 1];
        _adam.Advance();
        _noise.BeginTell();
        return result;
    }

    /// <inheritdoc/>
    public void TellRange(int start, int end)
    {
        StrategyChecks.Range(start, end, Dimension);
        var accumulator = _accumulator.AsSpan(start, end - start);
        accumulator.Clear();
        // Block by block (the noise cache's layout); each sum still adds the pairs in ascending order.
        for (int blockStart = start, blockEnd; blockStart < end; blockStart = blockEnd)
        {
            blockEnd = NoiseCache.PieceEnd(blockStart, end);
            var sums = accumulator[(blockStart - start)..(blockEnd - start)];
            for (int k = 0; k < PopulationSize / 2; k++)
            {
                double weight = _pairWeights[k];
                if (weight == 0) continue;
                var noise = _noise.Recall(Options.Seed, Generation, k, blockStart, blockEnd);
                for (int i = 0; i < noise.Length; i++) sums[i] += weight * noise[i];
            }
        }
        double scale = 1.0 / (PopulationSize * (double)Options.Sigma);
        for (int i = start; i < end; i++)
            _gradient[i] = (float)(-_accumulator[i] * scale + Options.WeightDecay * _mean[i]); // Adam descends
        _adam.Update(_mean, _gradient, start, end);
    }

    /// <inheritdoc/>
    public void EndTell()
    {
        _noise.Clear();
        Generation++;
    }

    /// <summary>
    /// The last update's gradient estimate g in ascent direction, without weight decay (for tests and diagnostics).
    /// </summary>
    /// <param name="destination">Receives <see cref="Dimension"/> values.</param>
    public void CopyAscentDirection(Span<float> destination)
    {
        for (int i = 0; i < Dimension; i++) destination[i] = (float)(_accumulator[i] / (PopulationSize * (double)Options.Sigma));
    }

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _mean);
        _adam.WriteState(writer);
    }

    /// <inheritdoc/>
    public void WriteAskState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _mean);
    }

    /// <inheritdoc/>
    public void ReadAskState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _mean, "mean");
    }

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _mean, "mean");
        _adam.ReadState(reader);
    }
}
