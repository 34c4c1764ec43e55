namespace PdlfFast.Training.Evolution;

/// <summary>OpenAI-ES settings (Salimans et al. 2017).</summary>
/// <param name="PopulationSize">Even: members come in mirrored pairs mean +- sigma * eps.</param>
/// <param name="Sigma">Fixed noise standard deviation.</param>
/// <param name="LearningRate">Adam step size on the mean.</param>
/// <param name="WeightDecay">L2 coefficient pulling the mean to zero (0 = off).</param>
/// <param name="NoiseStream">The <see cref="EsNoise"/> stream members are drawn from (a restored state keeps its own).</param>
public sealed record OpenAiEsOptions(int PopulationSize = 64, float Sigma = 0.04f, double LearningRate = 0.01,
    double WeightDecay = 0, ulong Seed = 0, int NoiseStream = EsNoise.Current)
{
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
public sealed class OpenAiEs : IEvolutionStrategy
{
    private readonly float[] _mean;
    private readonly Adam _adam;
    private readonly float[] _gradient, _shaped;
    private readonly NoiseCache _noise;
    private readonly double[] _accumulator;
    private readonly ulong[] _rankKeys;
    private readonly double[] _pairWeights;

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

    public OpenAiEsOptions Options { get; }
    public string Name => "openai-es";
    public int Dimension { get; }
    public int PopulationSize => Options.PopulationSize;
    public int Generation { get; private set; }
    public int NoiseStream => _noise.Stream;
    public ReadOnlySpan<float> Mean => _mean;

    public void AskRange(Span<float> population, int start, int end)
    {
        StrategyChecks.Population(population, PopulationSize, Dimension);
        StrategyChecks.Range(start, end, Dimension);
        float sigma = Options.Sigma;
        for (int k = 0; k < PopulationSize / 2; k++)
        {
            var plus = population.Slice(2 * k * Dimension + start, end - start);
            var minus = population.Slice((2 * k + 1) * Dimension + start, end - start);
            var noise = _noise.Draw(Options.Seed, Generation, k, start, end);
            for (int i = 0; i < plus.Length; i++)
            {
                float step = sigma * noise[i];
                plus[i] = _mean[start + i] + step;
                minus[i] = _mean[start + i] - step;
            }
        }
        _noise.Asked(start, end);
    }

    public void DrawPairNoise(int pair, Span<float> noise)
    {
        StrategyChecks.Member(2 * pair, noise, PopulationSize, Dimension);
        _noise.DrawUncached(Options.Seed, Generation, pair, noise, 0);
    }

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

    public TellResult BeginTell(ReadOnlySpan<float> fitness)
    {
        var result = StrategyChecks.Fitness(fitness, PopulationSize);
        CentredRanks.Compute(fitness, _shaped, _rankKeys);
        for (int k = 0; k < PopulationSize / 2; k++) _pairWeights[k] = _shaped[2 * k] - _shaped[2 * k + 1];
        _adam.Advance();
        _noise.BeginTell();
        return result;
    }

    public void TellRange(int start, int end)
    {
        StrategyChecks.Range(start, end, Dimension);
        var accumulator = _accumulator.AsSpan(start, end - start);
        accumulator.Clear();
        for (int k = 0; k < PopulationSize / 2; k++)
        {
            double weight = _pairWeights[k];
            if (weight == 0) continue;
            var noise = _noise.Recall(Options.Seed, Generation, k, start, end);
            for (int i = 0; i < noise.Length; i++) accumulator[i] += weight * noise[i];
        }
        double scale = 1.0 / (PopulationSize * (double)Options.Sigma);
        for (int i = start; i < end; i++)
            _gradient[i] = (float)(-_accumulator[i] * scale + Options.WeightDecay * _mean[i]); // Adam descends
        _adam.Update(_mean, _gradient, start, end);
    }

    public void EndTell()
    {
        _noise.Clear();
        Generation++;
    }

    /// <summary>The last update's gradient estimate in ascent direction (for tests and diagnostics).</summary>
    public void CopyAscentDirection(Span<float> destination)
    {
        for (int i = 0; i < Dimension; i++) destination[i] = (float)(_accumulator[i] / (PopulationSize * (double)Options.Sigma));
    }

    public void WriteState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _mean);
        _adam.WriteState(writer);
    }

    public void WriteAskState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _mean);
    }

    public void ReadAskState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _mean, "mean");
    }

    public void ReadState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _mean, "mean");
        _adam.ReadState(reader);
    }
}
