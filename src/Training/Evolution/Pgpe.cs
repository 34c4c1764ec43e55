using PdlfFast.Kernel.Random;

namespace PdlfFast.Training.Evolution;

/// <summary>PGPE settings; the defaults are the PDLF reference's (EvoJAX 0.2.15, DESIGN.md section 3).</summary>
/// <param name="PopulationSize">Even: members come in mirrored pairs centre +- scaled noise.</param>
/// <param name="CenterLearningRate">Adam step size on the centre.</param>
/// <param name="StdevLearningRate">Step size of the per-parameter standard deviation.</param>
/// <param name="InitialStdev">Starting standard deviation of every parameter.</param>
/// <param name="StdevMaxChange">Largest relative change of a standard deviation per update (0.2 = +-20 %).</param>
public sealed record PgpeOptions(int PopulationSize = 256, double CenterLearningRate = 0.01, double StdevLearningRate = 0.07,
    float InitialStdev = 0.04f, double StdevMaxChange = 0.2, ulong Seed = 0)
{
    public void Validate()
    {
        if (PopulationSize < 2 || PopulationSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(PopulationSize), PopulationSize, "Population size must be an even number >= 2 (mirrored pairs).");
        if (!(InitialStdev > 0) || !float.IsFinite(InitialStdev))
            throw new ArgumentOutOfRangeException(nameof(InitialStdev), InitialStdev, "Initial stdev must be a positive finite number.");
        if (!(StdevLearningRate >= 0) || !double.IsFinite(StdevLearningRate))
            throw new ArgumentOutOfRangeException(nameof(StdevLearningRate), StdevLearningRate, "Stdev learning rate must be >= 0.");
        if (!(StdevMaxChange >= 0 && StdevMaxChange < 1))
            throw new ArgumentOutOfRangeException(nameof(StdevMaxChange), StdevMaxChange, "Stdev max change must be in [0, 1).");
    }
}

/// <summary>
/// PGPE (Sehnke et al. 2010) as EvoJAX runs it: pairs k = 0..n/2-1 sample <c>delta_k = sigma (.) eps_k</c>; members 2k
/// and 2k+1 are <c>centre +- delta_k</c>. With centred ranks f, <c>d_k = f(2k) - f(2k+1)</c>, <c>a_k = (f(2k) + f(2k+1)) / 2</c>
/// and b the mean fitness:
/// <code>
/// grad_centre = mean_k( delta_k d_k / 2 )                           (Adam ascent, lr 0.01)
/// grad_sigma  = mean_k( (a_k - b) (delta_k^2 - sigma^2) / sigma )
/// sigma      &lt;- clip(sigma + lr_sigma grad_sigma, sigma (1 -+ max_change))
/// </code>
/// </summary>
public sealed class Pgpe : IEvolutionStrategy
{
    private readonly float[] _center, _stdev;
    private readonly Adam _adam;
    private readonly float[] _noise, _gradient, _shaped;
    private readonly double[] _centerSum, _stdevSum;
    private readonly ulong[] _rankKeys;

    public Pgpe(int dimension, PgpeOptions options, ReadOnlySpan<float> initialCenter = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options.Validate();
        Options = options;
        Dimension = dimension;
        _center = new float[dimension];
        if (!initialCenter.IsEmpty)
        {
            if (initialCenter.Length != dimension) throw new ArgumentException($"Initial centre has {initialCenter.Length} values; dimension is {dimension}.", nameof(initialCenter));
            initialCenter.CopyTo(_center);
        }
        _stdev = new float[dimension];
        Array.Fill(_stdev, options.InitialStdev);
        _adam = new Adam(dimension, options.CenterLearningRate);
        _noise = new float[dimension];
        _gradient = new float[dimension];
        _centerSum = new double[dimension];
        _stdevSum = new double[dimension];
        _shaped = new float[options.PopulationSize];
        _rankKeys = new ulong[options.PopulationSize];
    }

    public PgpeOptions Options { get; }
    public string Name => "pgpe";
    public int Dimension { get; }
    public int PopulationSize => Options.PopulationSize;
    public int Generation { get; private set; }
    public ReadOnlySpan<float> Mean => _center;
    public ReadOnlySpan<float> Stdev => _stdev;

    public void Ask(Span<float> population)
    {
        StrategyChecks.Population(population, PopulationSize, Dimension);
        for (int k = 0; k < PopulationSize / 2; k++)
        {
            var plus = population.Slice(2 * k * Dimension, Dimension);
            var minus = population.Slice((2 * k + 1) * Dimension, Dimension);
            FillScaledNoise(k, plus);
            for (int i = 0; i < Dimension; i++)
            {
                float delta = plus[i];
                plus[i] = _center[i] + delta;
                minus[i] = _center[i] - delta;
            }
        }
    }

    public TellResult Tell(ReadOnlySpan<float> fitness)
    {
        var result = StrategyChecks.Fitness(fitness, PopulationSize);
        CentredRanks.Compute(fitness, _shaped, _rankKeys);
        int pairs = PopulationSize / 2;
        double baseline = 0;
        for (int m = 0; m < PopulationSize; m++) baseline += _shaped[m];
        baseline /= PopulationSize;
        Array.Clear(_centerSum);
        Array.Clear(_stdevSum);
        for (int k = 0; k < pairs; k++)
        {
            double difference = _shaped[2 * k] - _shaped[2 * k + 1];
            double average = (_shaped[2 * k] + _shaped[2 * k + 1]) / 2.0 - baseline;
            FillScaledNoise(k, _noise);
            for (int i = 0; i < Dimension; i++)
            {
                double delta = _noise[i], sigma = _stdev[i];
                _centerSum[i] += delta * difference * 0.5;
                _stdevSum[i] += average * (delta * delta - sigma * sigma) / sigma;
            }
        }
        for (int i = 0; i < Dimension; i++) _gradient[i] = (float)(-_centerSum[i] / pairs); // Adam descends
        _adam.Step(_center, _gradient);
        for (int i = 0; i < Dimension; i++)
        {
            double sigma = _stdev[i], allowed = Math.Abs(sigma) * Options.StdevMaxChange;
            double updated = sigma + Options.StdevLearningRate * (_stdevSum[i] / pairs);
            _stdev[i] = (float)Math.Clamp(updated, sigma - allowed, sigma + allowed);
        }
        Generation++;
        return result;
    }

    private void FillScaledNoise(int pair, Span<float> destination)
    {
        new RandomStream(Options.Seed, new StreamId((uint)Generation, (uint)pair, 0, RandomPurposes.EvolutionNoise)).FillGaussian(destination);
        for (int i = 0; i < destination.Length; i++) destination[i] *= _stdev[i];
    }

    public void WriteState(BinaryWriter writer)
    {
        writer.Write(Name);
        writer.Write(Dimension);
        writer.Write(PopulationSize);
        writer.Write(Options.Seed);
        writer.Write(Generation);
        StrategyChecks.WriteFloats(writer, _center);
        StrategyChecks.WriteFloats(writer, _stdev);
        StrategyChecks.WriteFloats(writer, _adam.FirstMoment);
        StrategyChecks.WriteFloats(writer, _adam.SecondMoment);
        writer.Write(_adam.Steps);
    }

    public void ReadState(BinaryReader reader)
    {
        StrategyChecks.Header(reader, Name, Dimension, PopulationSize);
        ulong seed = reader.ReadUInt64();
        if (seed != Options.Seed) throw new InvalidDataException($"State was made with seed {seed}; this strategy has seed {Options.Seed}.");
        Generation = reader.ReadInt32();
        StrategyChecks.ReadFloats(reader, _center, "centre");
        StrategyChecks.ReadFloats(reader, _stdev, "stdev");
        StrategyChecks.ReadFloats(reader, _adam.FirstMoment, "Adam first moment");
        StrategyChecks.ReadFloats(reader, _adam.SecondMoment, "Adam second moment");
        _adam.Steps = reader.ReadInt64();
    }
}
