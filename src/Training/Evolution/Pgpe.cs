using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PdlfFast.Training.Evolution;

/// <summary>PGPE settings; the defaults are the PDLF reference's (EvoJAX 0.2.15, docs/design.md, "Evolution strategies").</summary>
/// <param name="PopulationSize">Even: members come in mirrored pairs centre +- scaled noise.</param>
/// <param name="CenterLearningRate">Adam step size on the centre.</param>
/// <param name="StdevLearningRate">Step size of the per-parameter standard deviation.</param>
/// <param name="InitialStdev">Starting standard deviation of every parameter.</param>
/// <param name="StdevMaxChange">Largest relative change of a standard deviation per update (0.2 = +-20 %).</param>
/// <param name="Seed">
/// The strategy's seed: draws the search noise, i.e. which parameter vectors the members are. Not the episodes'
/// seed (<see cref="EvaluationOptions.Seed"/>). Stored in the state; a state restores only into a strategy with the
/// same seed.
/// </param>
/// <param name="NoiseStream">The <see cref="EsNoise"/> stream members are drawn from (a restored state keeps its own).</param>
public sealed record PgpeOptions(int PopulationSize = 256, double CenterLearningRate = 0.01, double StdevLearningRate = 0.07,
    float InitialStdev = 0.04f, double StdevMaxChange = 0.2, ulong Seed = 0, int NoiseStream = EsNoise.Current)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!EsNoise.IsKnown(NoiseStream))
            throw new ArgumentOutOfRangeException(nameof(NoiseStream), NoiseStream, $"Unknown noise stream; this build knows {EsNoise.Stream1}..{EsNoise.Current}.");
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
/// <remarks>
/// docs/design.md, "Evolution strategies". Same bits for a seed on any thread count, split of the parameters and
/// vector width: the pair sums run in pair order and the vectorised accumulation rounds as the scalar loop does (see
/// <see cref="IEvolutionStrategy"/>). The constructor allocates centre, sigma, Adam's moments, one generation's
/// noise cache (population / 2 x dimension floats) and scratch; ask and tell allocate nothing.
/// </remarks>
public sealed class Pgpe : IEvolutionStrategy
{
    private readonly float[] _center, _stdev;
    private readonly Adam _adam;
    private readonly float[] _gradient, _shaped;
    private readonly NoiseCache _noise;
    private readonly double[] _centerSum, _stdevSum;
    private readonly ulong[] _rankKeys;
    private readonly double[] _pairDifference, _pairAverage;

    /// <summary>A strategy at generation 0, centred on <paramref name="initialCenter"/>, every sigma at <see cref="PgpeOptions.InitialStdev"/>.</summary>
    /// <param name="dimension">Parameters per member, at least 1.</param>
    /// <param name="options">Population, learning rates, initial sigma, seed and noise stream; validated here.</param>
    /// <param name="initialCenter">The starting centre (<paramref name="dimension"/> values, copied); empty: all zeros.</param>
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
        _noise = new NoiseCache(options.PopulationSize / 2, dimension, options.NoiseStream);
        _gradient = new float[dimension];
        _centerSum = new double[dimension];
        _stdevSum = new double[dimension];
        _shaped = new float[options.PopulationSize];
        _rankKeys = new ulong[options.PopulationSize];
        _pairDifference = new double[options.PopulationSize / 2];
        _pairAverage = new double[options.PopulationSize / 2];
    }

    /// <summary>The settings the strategy was built with.</summary>
    public PgpeOptions Options { get; }
    /// <inheritdoc/>
    public string Name => "pgpe";
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int PopulationSize => Options.PopulationSize;
    /// <inheritdoc/>
    public int Generation { get; private set; }
    /// <inheritdoc/>
    public int NoiseStream => _noise.Stream;
    /// <summary>The centre of the search distribution: the current best estimate of the parameters.</summary>
    public ReadOnlySpan<float> Mean => _center;
    /// <summary>The per-parameter standard deviation sigma of the search distribution (adapted every tell).</summary>
    public ReadOnlySpan<float> Stdev => _stdev;

    /// <inheritdoc/>
    public void AskRange(Span<float> population, int start, int end)
    {
        StrategyChecks.Population(population, PopulationSize, Dimension);
        StrategyChecks.Range(start, end, Dimension);
        Span<float> scratch = stackalloc float[NoiseCache.Block];
        // Block by block, all pairs per block (the noise cache's layout); the noise just drawn is still in L1 when the
        // two members are written from it.
        for (int chunkStart = start, chunkEnd; chunkStart < end; chunkStart = chunkEnd)
        {
            chunkEnd = NoiseCache.PieceEnd(chunkStart, end);
            int length = chunkEnd - chunkStart;
            for (int k = 0; k < PopulationSize / 2; k++)
            {
                var plus = population.Slice(2 * k * Dimension + chunkStart, length);
                var minus = population.Slice((2 * k + 1) * Dimension + chunkStart, length);
                var noise = _noise.DrawStreaming(Options.Seed, Generation, k, chunkStart, chunkEnd, scratch);
                var center = _center.AsSpan(chunkStart, length);
                var stdev = _stdev.AsSpan(chunkStart, length);
                MirroredMember.Write(center, noise, stdev, plus, subtract: false);
                MirroredMember.Write(center, noise, stdev, minus, subtract: true);
            }
        }
        MirroredMember.Publish();
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
        bool minus = (member & 1) == 1;
        for (int i = 0; i < parameters.Length; i++)
        {
            float delta = noise[i] * _stdev[i];
            parameters[i] = minus ? _center[i] - delta : _center[i] + delta;
        }
    }

    /// <inheritdoc/>
    public TellResult BeginTell(ReadOnlySpan<float> fitness)
    {
        var result = StrategyChecks.Fitness(fitness, PopulationSize);
        CentredRanks.Compute(fitness, _shaped, _rankKeys);
        double baseline = 0;
        for (int m = 0; m < PopulationSize; m++) baseline += _shaped[m];
        baseline /= PopulationSize;
        for (int k = 0; k < PopulationSize / 2; k++)
        {
            _pairDifference[k] = _shaped[2 * k] - _shaped[2 * k + 1];
            _pairAverage[k] = (_shaped[2 * k] + _shaped[2 * k + 1]) / 2.0 - baseline;
        }
        _adam.Advance();
        _noise.BeginTell();
        return result;
    }


    /// <inheritdoc/>
    public void TellRange(int start, int end)
    {
        StrategyChecks.Range(start, end, Dimension);
        int pairs = PopulationSize / 2;
        var centerSum = _centerSum.AsSpan(start, end - start);
        var stdevSum = _stdevSum.AsSpan(start, end - start);
        centerSum.Clear();
        stdevSum.Clear();
        // The noise cache's blocks, all pairs per block: the block's double sums (16 KB) stay in L1 across the pairs
        // instead of streaming 16 bytes per parameter through memory once per pair, and the block's noise is one
        // contiguous run. Each sum still adds pairs in ascending order.
        for (int chunkStart = start, chunkEnd; chunkStart < end; chunkStart = chunkEnd)
        {
            chunkEnd = NoiseCache.PieceEnd(chunkStart, end);
            int offset = chunkStart - start, length = chunkEnd - chunkStart;
            var stdev = _stdev.AsSpan(chunkStart, length);
            int k = 0;
            for (; k + 1 < pairs; k += 2)
            {
                _noise.Prefetch(k + 2, chunkStart, chunkEnd);
                _noise.Prefetch(k + 3, chunkStart, chunkEnd);
                var first = _noise.Recall(Options.Seed, Generation, k, chunkStart, chunkEnd);
                var second = _noise.Recall(Options.Seed, Generation, k + 1, chunkStart, chunkEnd);
                AccumulateTwoPairs(first, second, stdev, centerSum.Slice(offset, length), stdevSum.Slice(offset, length),
                    _pairDifference[k], _pairAverage[k], _pairDifference[k + 1], _pairAverage[k + 1]);
            }
            for (; k < pairs; k++)
            {
                var noise = _noise.Recall(Options.Seed, Generation, k, chunkStart, chunkEnd);
                AccumulatePair(noise, stdev, centerSum.Slice(offset, length), stdevSum.Slice(offset, length), _pairDifference[k], _pairAverage[k]);
            }
        }
        int done = Vector.IsHardwareAccelerated ? GradientVectors(start, end, pairs) : start;
        for (int i = done; i < end; i++) _gradient[i] = (float)(-_centerSum[i] / pairs); // Adam descends
        _adam.Update(_center, _gradient, start, end);
        done = Vector.IsHardwareAccelerated ? StdevVectors(start, end, pairs) : start;
        for (int i = done; i < end; i++)
        {
            double sigma = _stdev[i], allowed = Math.Abs(sigma) * Options.StdevMaxChange;
            double updated = sigma + Options.StdevLearningRate * (_stdevSum[i] / pairs);
            _stdev[i] = (float)Math.Clamp(updated, sigma - allowed, sigma + allowed);
        }
    }

    // The two per-parameter passes after the pair sums, lane-wise in double precision with the scalar loops'
    // operations in their order (same bits on every width; the textbook test holds them to it). Each returns the first
    // parameter left to the scalar loop. Scalar, these passes and Adam took about a third of a copy-task tell.

    private int GradientVectors(int start, int end, int pairs)
    {
        var divisor = new Vector<double>(pairs);
        ref double sums = ref _centerSum[0];
        ref float gradient = ref _gradient[0];
        nuint i = (nuint)start, count = (nuint)Vector<float>.Count;
        for (; i + count <= (nuint)end; i += count)
        {
            var low = Vector.LoadUnsafe(ref sums, i);
            var high = Vector.LoadUnsafe(ref sums, i + (nuint)Vector<double>.Count);
            Vector.Narrow(-low / divisor, -high / divisor).StoreUnsafe(ref gradient, i);
        }
        return (int)i;
    }

    private int StdevVectors(int start, int end, int pairs)
    {
        var divisor = new Vector<double>(pairs);
        var maxChange = new Vector<double>(Options.StdevMaxChange);
        var rate = new Vector<double>(Options.StdevLearningRate);
        ref double sums = ref _stdevSum[0];
        ref float stdev = ref _stdev[0];
        nuint i = (nuint)start, count = (nuint)Vector<float>.Count;
        for (; i + count <= (nuint)end; i += count)
        {
            Vector.Widen(Vector.LoadUnsafe(ref stdev, i), out var low, out var high);
            var lowSum = Vector.LoadUnsafe(ref sums, i);
            var highSum = Vector.LoadUnsafe(ref sums, i + (nuint)Vector<double>.Count);
            Vector.Narrow(ClampedStep(low, lowSum, divisor, maxChange, rate), ClampedStep(high, highSum, divisor, maxChange, rate)).StoreUnsafe(ref stdev, i);
        }
        return (int)i;
    }

    /// <summary>Lane-wise <c>Math.Clamp(sigma + rate (sum / pairs), sigma -+ |sigma| maxChange)</c>, NaN passing through as Math.Clamp lets it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> ClampedStep(Vector<double> sigma, Vector<double> sum, Vector<double> pairs, Vector<double> maxChange, Vector<double> rate)
    {
        var allowed = Vector.Abs(sigma) * maxChange;
        var updated = sigma + rate * (sum / pairs);
        var lowest = sigma - allowed;
        var highest = sigma + allowed;
        return Vector.ConditionalSelect(Vector.LessThan(updated, lowest), lowest,
            Vector.ConditionalSelect(Vector.GreaterThan(updated, highest), highest, updated));
    }

    /// <summary>
    /// Adds pair k's terms for one range: <c>centre += delta d / 2</c>, <c>stdev += a (delta^2 - sigma^2) / sigma</c>, with
    /// <c>delta = noise sigma</c> rounded to float. Lane-wise, in the scalar twin's operation order and without FMA, so
    /// every vector width gives the scalar loop's bits (tested against it).
    /// </summary>
    internal static void AccumulatePair(ReadOnlySpan<float> noise, ReadOnlySpan<float> stdev, Span<double> centerSum, Span<double> stdevSum,
        double difference, double average)
    {
        int n = CheckLengths(noise, noise, stdev, centerSum, stdevSum);
        // References and unchecked loads (lengths checked once above): spans sliced per vector cost a bounds check and
        // a span per load, about twice the loop's vector instructions.
        ref float e = ref MemoryMarshal.GetReference(noise);
        ref float s = ref MemoryMarshal.GetReference(stdev);
        ref double c = ref MemoryMarshal.GetReference(centerSum);
        ref double v = ref MemoryMarshal.GetReference(stdevSum);
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var d = Vector512.Create(difference);
            var a = Vector512.Create(average);
            var half = Vector512.Create(0.5);
            for (; i + (nuint)Vector512<float>.Count <= (nuint)n; i += (nuint)Vector512<float>.Count)
            {
                var sigma = Vector512.LoadUnsafe(ref s, i);
                var (deltaLow, deltaHigh) = Vector512.Widen(Vector512.LoadUnsafe(ref e, i) * sigma);
                var (sigmaLow, sigmaHigh) = Vector512.Widen(sigma);
                (Vector512.LoadUnsafe(ref c, i) + deltaLow * d * half).StoreUnsafe(ref c, i);
                (Vector512.LoadUnsafe(ref c, i + 8) + deltaHigh * d * half).StoreUnsafe(ref c, i + 8);
                (Vector512.LoadUnsafe(ref v, i) + a * (deltaLow * deltaLow - sigmaLow * sigmaLow) / sigmaLow).StoreUnsafe(ref v, i);
                (Vector512.LoadUnsafe(ref v, i + 8) + a * (deltaHigh * deltaHigh - sigmaHigh * sigmaHigh) / sigmaHigh).StoreUnsafe(ref v, i + 8);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(difference);
            var a = Vector256.Create(average);
            var half = Vector256.Create(0.5);
            for (; i + (nuint)Vector256<float>.Count <= (nuint)n; i += (nuint)Vector256<float>.Count)
            {
                var sigma = Vector256.LoadUnsafe(ref s, i);
                var (deltaLow, deltaHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref e, i) * sigma);
                var (sigmaLow, sigmaHigh) = Vector256.Widen(sigma);
                (Vector256.LoadUnsafe(ref c, i) + deltaLow * d * half).StoreUnsafe(ref c, i);
                (Vector256.LoadUnsafe(ref c, i + 4) + deltaHigh * d * half).StoreUnsafe(ref c, i + 4);
                (Vector256.LoadUnsafe(ref v, i) + a * (deltaLow * deltaLow - sigmaLow * sigmaLow) / sigmaLow).StoreUnsafe(ref v, i);
                (Vector256.LoadUnsafe(ref v, i + 4) + a * (deltaHigh * deltaHigh - sigmaHigh * sigmaHigh) / sigmaHigh).StoreUnsafe(ref v, i + 4);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var d = Vector128.Create(difference);
            var a = Vector128.Create(average);
            var half = Vector128.Create(0.5);
            for (; i + (nuint)Vector128<float>.Count <= (nuint)n; i += (nuint)Vector128<float>.Count)
            {
                var sigma = Vector128.LoadUnsafe(ref s, i);
                var (deltaLow, deltaHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref e, i) * sigma);
                var (sigmaLow, sigmaHigh) = Vector128.Widen(sigma);
                (Vector128.LoadUnsafe(ref c, i) + deltaLow * d * half).StoreUnsafe(ref c, i);
                (Vector128.LoadUnsafe(ref c, i + 2) + deltaHigh * d * half).StoreUnsafe(ref c, i + 2);
                (Vector128.LoadUnsafe(ref v, i) + a * (deltaLow * deltaLow - sigmaLow * sigmaLow) / sigmaLow).StoreUnsafe(ref v, i);
                (Vector128.LoadUnsafe(ref v, i + 2) + a * (deltaHigh * deltaHigh - sigmaHigh * sigmaHigh) / sigmaHigh).StoreUnsafe(ref v, i + 2);
            }
        }
        for (int j = (int)i; j < n; j++)
        {
            double sigma = stdev[j], delta = noise[j] * stdev[j];
            centerSum[j] += delta * difference * 0.5;
            stdevSum[j] += average * (delta * delta - sigma * sigma) / sigma;
        }
    }

    /// <summary>
    /// <see cref="AccumulatePair"/> for pairs k and k + 1 in one pass: each sum gets pair k's term, then pair k + 1's,
    /// the scalar loop's order, so the bits are those of two calls; the sums and sigma are loaded once for both.
    /// </summary>
    internal static void AccumulateTwoPairs(ReadOnlySpan<float> first, ReadOnlySpan<float> second, ReadOnlySpan<float> stdev, Span<double> centerSum, Span<double> stdevSum,
        double firstDifference, double firstAverage, double secondDifference, double secondAverage)
    {
        int n = CheckLengths(first, second, stdev, centerSum, stdevSum);
        ref float e0 = ref MemoryMarshal.GetReference(first);
        ref float e1 = ref MemoryMarshal.GetReference(second);
        ref float s = ref MemoryMarshal.GetReference(stdev);
        ref double c = ref MemoryMarshal.GetReference(centerSum);
        ref double v = ref MemoryMarshal.GetReference(stdevSum);
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var d0 = Vector512.Create(firstDifference);
            var a0 = Vector512.Create(firstAverage);
            var d1 = Vector512.Create(secondDifference);
            var a1 = Vector512.Create(secondAverage);
            var half = Vector512.Create(0.5);
            for (; i + (nuint)Vector512<float>.Count <= (nuint)n; i += (nuint)Vector512<float>.Count)
            {
                var sigma = Vector512.LoadUnsafe(ref s, i);
                var (sigmaLow, sigmaHigh) = Vector512.Widen(sigma);
                var sigmaLowSquared = sigmaLow * sigmaLow;
                var sigmaHighSquared = sigmaHigh * sigmaHigh;
                var (delta0Low, delta0High) = Vector512.Widen(Vector512.LoadUnsafe(ref e0, i) * sigma);
                var (delta1Low, delta1High) = Vector512.Widen(Vector512.LoadUnsafe(ref e1, i) * sigma);
                (Vector512.LoadUnsafe(ref c, i) + delta0Low * d0 * half + delta1Low * d1 * half).StoreUnsafe(ref c, i);
                (Vector512.LoadUnsafe(ref c, i + 8) + delta0High * d0 * half + delta1High * d1 * half).StoreUnsafe(ref c, i + 8);
                (Vector512.LoadUnsafe(ref v, i) + a0 * (delta0Low * delta0Low - sigmaLowSquared) / sigmaLow
                    + a1 * (delta1Low * delta1Low - sigmaLowSquared) / sigmaLow).StoreUnsafe(ref v, i);
                (Vector512.LoadUnsafe(ref v, i + 8) + a0 * (delta0High * delta0High - sigmaHighSquared) / sigmaHigh
                    + a1 * (delta1High * delta1High - sigmaHighSquared) / sigmaHigh).StoreUnsafe(ref v, i + 8);
            }
        }
        int done = (int)i;
        AccumulatePair(first[done..], stdev[done..], centerSum[done..], stdevSum[done..], firstDifference, firstAverage);
        AccumulatePair(second[done..], stdev[done..], centerSum[done..], stdevSum[done..], secondDifference, secondAverage);
    }

    /// <summary>The common length of a tell pass's spans; throws if they differ (the passes read them unchecked).</summary>
    private static int CheckLengths(ReadOnlySpan<float> first, ReadOnlySpan<float> second, ReadOnlySpan<float> stdev, Span<double> centerSum, Span<double> stdevSum)
    {
        int n = first.Length;
        if (second.Length != n || stdev.Length != n || centerSum.Length != n || stdevSum.Length != n)
            throw new ArgumentException("The noise, sigma and sum spans of a tell pass must have one length.");
        return n;
    }

    /// <inheritdoc/>
    public void EndTell()
    {
        _noise.Clear();
        Generation++;
    }

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _center);
        StrategyChecks.WriteFloats(writer, _stdev);
        _adam.WriteState(writer);
    }

    /// <inheritdoc/>
    public void WriteAskState(BinaryWriter writer)
    {
        StrategyChecks.WriteHeader(writer, this, Options.Seed);
        StrategyChecks.WriteFloats(writer, _center);
        StrategyChecks.WriteFloats(writer, _stdev);
    }

    /// <inheritdoc/>
    public void ReadAskState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _center, "centre");
        StrategyChecks.ReadFloats(reader, _stdev, "stdev");
    }

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader)
    {
        (Generation, _noise.Stream) = StrategyChecks.ReadHeader(reader, this, Options.Seed);
        StrategyChecks.ReadFloats(reader, _center, "centre");
        StrategyChecks.ReadFloats(reader, _stdev, "stdev");
        _adam.ReadState(reader);
    }
}
