using System.Runtime.InteropServices;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Kernel.Observation;

/// <summary>
/// Running per-dimension mean and variance of observations (Welford; Chan et al. to merge), and the normalisation
/// <c>clip((obs - mean) / sqrt(var + eps), -ClipLimit, ClipLimit)</c> that PDLF applies before its first layer.
/// Statistics are kept in double; the normalisation itself is one fused multiply-add and a clamp per element with
/// float scale and offset cached after each update. <see cref="Frozen"/> stops updates (evaluation, or a generation
/// that must see fixed statistics). Merging per-worker normalisers must happen in a fixed order for determinism.
/// Until two observations were seen, normalisation uses mean 0 and variance 1 (the identity, then clipped).
/// Not thread-safe for updates; after <see cref="Prepare"/>, concurrent <see cref="Normalise"/> calls only read.
/// </summary>
public sealed class ObservationNormaliser
{
    /// <summary>The reference's clip: normalised values lie in [-5, 5].</summary>
    public const float DefaultClipLimit = 5f;
    private const double Epsilon = 1e-8;

    private readonly double[] _mean, _m2;
    private readonly float[] _scale, _offset;
    private bool _dirty = true;

    /// <summary>Empty statistics for observations of <paramref name="size"/> values. Allocates four arrays of that length.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 1 or <paramref name="clipLimit"/> is not positive.</exception>
    public ObservationNormaliser(int size, float clipLimit = DefaultClipLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (!(clipLimit > 0)) throw new ArgumentOutOfRangeException(nameof(clipLimit), clipLimit, "Clip limit must be positive.");
        Size = size;
        ClipLimit = clipLimit;
        _mean = new double[size];
        _m2 = new double[size];
        _scale = new float[size];
        _offset = new float[size];
    }

    /// <summary>Observation length.</summary>
    public int Size { get; }
    /// <summary>Normalised values are clamped to [-ClipLimit, ClipLimit].</summary>
    public float ClipLimit { get; }
    /// <summary>Observations the statistics hold (updates plus merged counts).</summary>
    public long Count { get; private set; }
    /// <summary>
    /// When set, <see cref="Update"/> ignores observations. <see cref="Merge"/>, <see cref="Reset"/> and
    /// <see cref="ImportState"/> still change the statistics.
    /// </summary>
    public bool Frozen { get; set; }
    /// <summary>Running mean per dimension (0 before the first observation).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Population variance of dimension i (1 until two observations were seen).</summary>
    public double Variance(int i) => Count < 2 ? 1.0 : _m2[i] / Count;

    /// <summary>Adds one observation to the statistics (Welford's update); does nothing while <see cref="Frozen"/>. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="observation"/> is not <see cref="Size"/> long.</exception>
    public void Update(ReadOnlySpan<float> observation)
    {
        CheckSize(observation.Length, nameof(observation));
        if (Frozen) return;
        Count++;
        double n = Count;
        for (int i = 0; i < Size; i++)
        {
            double delta = observation[i] - _mean[i];
            _mean[i] += delta / n;
            _m2[i] += delta * (observation[i] - _mean[i]);
        }
        _dirty = true;
    }

    /// <summary>
    /// Adds another normaliser's statistics to this one (Chan et al.'s pairwise combination). Floating-point merges
    /// are not associative: merge workers in a fixed order to get the same bits on every run.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> has a different <see cref="Size"/>.</exception>
    public void Merge(ObservationNormaliser other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckSize(other.Size, nameof(other));
        if (other.Count == 0) return;
        double na = Count, nb = other.Count, n = na + nb;
        for (int i = 0; i < Size; i++)
        {
            double delta = other._mean[i] - _mean[i];
            _mean[i] += delta * nb / n;
            _m2[i] += other._m2[i] + delta * delta * na * nb / n;
        }
        Count += other.Count;
        _dirty = true;
    }

    /// <summary>Forgets all observations (Count 0); <see cref="Frozen"/> and <see cref="ClipLimit"/> stay.</summary>
    public void Reset()
    {
        Array.Clear(_mean);
        Array.Clear(_m2);
        Count = 0;
        _dirty = true;
    }

    /// <summary>Overwrites <paramref name="other"/>'s statistics (count, means, M2s) with this one's; its <see cref="Frozen"/> and clip stay.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> has a different <see cref="Size"/>.</exception>
    public void CopyTo(ObservationNormaliser other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckSize(other.Size, nameof(other));
        _mean.CopyTo(other._mean, 0);
        _m2.CopyTo(other._m2, 0);
        other.Count = Count;
        other._dirty = true;
    }

    /// <summary>Doubles needed by <see cref="ExportState"/>: count, means, M2s.</summary>
    public int StateLength => 1 + 2 * Size;

    /// <summary>Writes the statistics for a checkpoint: count, then <see cref="Size"/> means, then <see cref="Size"/> M2s (sums of squared deviations).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="StateLength"/> long.</exception>
    public void ExportState(Span<double> destination)
    {
        CheckSize(destination.Length, nameof(destination), StateLength);
        destination[0] = Count;
        _mean.CopyTo(destination[1..]);
        _m2.CopyTo(destination[(1 + Size)..]);
    }

    /// <summary>Restores statistics written by <see cref="ExportState"/>; restoring then normalising gives the original's bits.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/> is not <see cref="StateLength"/> long or its count is not a non-negative integer.</exception>
    public void ImportState(ReadOnlySpan<double> source)
    {
        CheckSize(source.Length, nameof(source), StateLength);
        if (source[0] < 0 || source[0] != Math.Floor(source[0])) throw new ArgumentException($"Invalid observation count {source[0]}.", nameof(source));
        Count = (long)source[0];
        source.Slice(1, Size).CopyTo(_mean);
        source.Slice(1 + Size, Size).CopyTo(_m2);
        _dirty = true;
    }

    /// <summary>
    /// Brings the cached scale and offset up to date. Call it after updating and before sharing the normaliser with
    /// threads that only <see cref="Normalise"/>: then they only read.
    /// </summary>
    public void Prepare() => Refresh();

    /// <summary>
    /// Normalises one observation: <c>clip(obs * scale + offset)</c> with one FMA per element, so every width gives the
    /// same bits. Refreshes the cached scale and offset first if the statistics changed. Allocates nothing.
    /// </summary>
    /// <param name="observation">Raw observation, <see cref="Size"/> values.</param>
    /// <param name="destination">Receives <see cref="Size"/> normalised values; may be the same span as <paramref name="observation"/>.</param>
    /// <param name="width">Vector width; changes only the speed.</param>
    /// <exception cref="ArgumentException">A span is not <see cref="Size"/> long.</exception>
    public void Normalise(ReadOnlySpan<float> observation, Span<float> destination, SimdWidth width = SimdWidth.Auto)
    {
        CheckSize(observation.Length, nameof(observation));
        CheckSize(destination.Length, nameof(destination));
        Refresh();
        int i = 0;
        switch (Vectorisation.Resolve(width))
        {
            case SimdWidth.Vector512:
                NormaliseVectors<Vec512>(observation, destination, ref i);
                goto case SimdWidth.Vector256;
            case SimdWidth.Vector256:
                NormaliseVectors<Vec256>(observation, destination, ref i);
                goto case SimdWidth.Vector128;
            case SimdWidth.Vector128:
                NormaliseVectors<Vec128>(observation, destination, ref i);
                break;
        }
        NormaliseRange(observation, destination, i);
    }

    /// <summary>Plain scalar twin of <see cref="Normalise"/> (same bits; tests and bench baseline).</summary>
    public void NormaliseScalar(ReadOnlySpan<float> observation, Span<float> destination)
    {
        CheckSize(observation.Length, nameof(observation));
        CheckSize(destination.Length, nameof(destination));
        Refresh();
        NormaliseRange(observation, destination, 0);
    }

    private void NormaliseRange(ReadOnlySpan<float> observation, Span<float> destination, int start)
    {
        for (int i = start; i < Size; i++)
        {
            // Compare-and-select, not Math.Clamp: the same result as the vector path for every input, NaN included.
            float v = MathF.FusedMultiplyAdd(observation[i], _scale[i], _offset[i]);
            destination[i] = v > ClipLimit ? ClipLimit : v < -ClipLimit ? -ClipLimit : v;
        }
    }

    private void NormaliseVectors<TVec>(ReadOnlySpan<float> observation, Span<float> destination, ref int start)
        where TVec : struct, IFloatVector<TVec>
    {
        ref float x = ref MemoryMarshal.GetReference(observation);
        ref float y = ref MemoryMarshal.GetReference(destination);
        ref float scale = ref MemoryMarshal.GetArrayDataReference(_scale);
        ref float offset = ref MemoryMarshal.GetArrayDataReference(_offset);
        TVec high = TVec.Broadcast(ClipLimit), low = TVec.Broadcast(-ClipLimit);
        nuint n = (nuint)Size, i = (nuint)start;
        for (; i + (nuint)TVec.Count <= n; i += (nuint)TVec.Count)
        {
            TVec v = TVec.Fma(TVec.Load(ref x, i), TVec.Load(ref scale, i), TVec.Load(ref offset, i));
            TVec above = TVec.GreaterThan(v, high);
            v = TVec.Or(TVec.And(above, high), TVec.AndNot(v, above));
            TVec below = TVec.LessThan(v, low);
            TVec.Store(TVec.Or(TVec.And(below, low), TVec.AndNot(v, below)), ref y, i);
        }
        start = (int)i;
    }

    private void Refresh()
    {
        if (!_dirty) return;
        for (int i = 0; i < Size; i++)
        {
            double mean = Count < 2 ? 0.0 : _mean[i];
            double scale = 1.0 / Math.Sqrt(Variance(i) + Epsilon);
            _scale[i] = (float)scale;
            _offset[i] = (float)(-mean * scale);
        }
        _dirty = false;
    }

    private void CheckSize(int length, string name, int? expected = null)
    {
        int want = expected ?? Size;
        if (length != want) throw new ArgumentException($"{name} has length {length}; expected {want}.", name);
    }
}
