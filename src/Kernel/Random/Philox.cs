using System.Runtime.CompilerServices;

namespace PdlfFast.Kernel.Random;

/// <summary>
/// The Philox4x32-10 block function (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): a keyed
/// bijection of a 128-bit counter. Any block of any stream can be computed directly, which is what makes results
/// independent of how work is spread over threads or processes.
/// </summary>
public static class Philox4x32
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57; // round multipliers
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85; // Weyl sequence key increments

    /// <summary>
    /// Ten Philox rounds of counter (<paramref name="c0"/>..<paramref name="c3"/>) under key
    /// (<paramref name="k0"/>, <paramref name="k1"/>): four uniformly distributed 32-bit words. Pure; allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return (c0, c1, c2, c3);
    }
}

/// <summary>
/// Address of an independent random stream under a seed. <see cref="Purpose"/> separates uses of one seed (ES noise,
/// episode seeds, task data) so they never share numbers.
/// </summary>
/// <param name="Generation">ES generation (or any outer index).</param>
/// <param name="Member">Population member (or any middle index).</param>
/// <param name="Episode">Episode (or any inner index).</param>
/// <param name="Purpose">What the numbers are for; part of the key, so streams of different purposes are unrelated.</param>
public readonly record struct StreamId(uint Generation, uint Member, uint Episode, uint Purpose = 0);

/// <summary>
/// A counter-based random stream: Philox4x32-10 keyed by (seed, purpose), counter (block, episode, member,
/// generation). A mutable struct with no shared state; copying it forks it. 2^32 blocks (2^34 uint32 values) per
/// stream. <see cref="Position"/> and <see cref="At"/> restore a stream exactly (for checkpoints).
/// </summary>
public struct RandomStream
{
    private const ulong BlocksPerStream = 1UL << 32;
    private readonly uint _key0, _key1, _episode, _member, _generation;
    private ulong _nextBlock;
    private int _used; // values of the buffered block already handed out (4 = empty)
    private Block4 _buffer;

    /// <summary>The start of stream <paramref name="id"/> under <paramref name="seed"/>.</summary>
    public RandomStream(ulong seed, StreamId id)
    {
        ulong key = Key(seed, id.Purpose);
        _key0 = (uint)key;
        _key1 = (uint)(key >> 32);
        _episode = id.Episode;
        _member = id.Member;
        _generation = id.Generation;
        _nextBlock = 0;
        _used = 4;
    }

    /// <summary>A stream positioned after <paramref name="position"/> uint32 values, as if they had been drawn.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> lies beyond the stream's 2^34 values.</exception>
    public static RandomStream At(ulong seed, StreamId id, ulong position)
    {
        if (position > BlocksPerStream * 4) throw new ArgumentOutOfRangeException(nameof(position), position, "Beyond the end of the stream.");
        var stream = new RandomStream(seed, id) { _nextBlock = position / 4 };
        int offset = (int)(position % 4);
        if (offset != 0)
        {
            stream.Refill();
            stream._used = offset;
        }
        return stream;
    }

    /// <summary>uint32 values drawn so far.</summary>
    public readonly ulong Position => _nextBlock * 4 - 4 + (ulong)_used;

    /// <summary>The next 32-bit word.</summary>
    /// <exception cref="InvalidOperationException">The stream is exhausted (2^34 values drawn).</exception>
    public uint NextUInt32()
    {
        if (_used == 4) Refill();
        return _buffer[_used++];
    }

    /// <summary>Two words, the first one high.</summary>
    public ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt32() >> 8) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A fair coin (the low bit of one word).</summary>
    public bool NextBool() => (NextUInt32() & 1) != 0;

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), unbiased (Lemire's multiply-and-reject).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is below 1.</exception>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        uint range = (uint)maxExclusive;
        ulong product = (ulong)NextUInt32() * range;
        uint low = (uint)product;
        if (low < range)
        {
            uint threshold = (0u - range) % range;
            while (low < threshold)
            {
                product = (ulong)NextUInt32() * range;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    /// <summary>A standard normal value (Box-Muller in double precision; uses four uint32, the pair's sine half is dropped).</summary>
    public float NextGaussian()
    {
        var (z0, _) = GaussianPair();
        return (float)z0;
    }

    /// <summary>
    /// Fills with normal values <c>mean + stdDev * z</c>; values 2j and 2j+1 come from the stream's next four uint32,
    /// whatever the span length (an odd last value uses four words too). Allocates nothing.
    /// </summary>
    public void FillGaussian(Span<float> destination, float mean = 0f, float stdDev = 1f)
    {
        int i = 0;
        if (_used == 4)
        {
            // On a block boundary each pair is exactly one Philox block: compute blocks directly, skipping the
            // per-value buffer bookkeeping (3x faster). Same values as the general path below.
            for (; i + 1 < destination.Length; i += 2)
            {
                if (_nextBlock >= BlocksPerStream) break;
                var (a, b, c, d) = Philox4x32.Block((uint)_nextBlock++, _episode, _member, _generation, _key0, _key1);
                var (z0, z1) = BoxMuller((((ulong)a << 32) | b) >> 11, (((ulong)c << 32) | d) >> 11);
                destination[i] = (float)(mean + stdDev * z0);
                destination[i + 1] = (float)(mean + stdDev * z1);
            }
        }
        for (; i + 1 < destination.Length; i += 2)
        {
            var (z0, z1) = GaussianPair();
            destination[i] = (float)(mean + stdDev * z0);
            destination[i + 1] = (float)(mean + stdDev * z1);
        }
        if (i < destination.Length) destination[i] = (float)(mean + stdDev * GaussianPair().Z0);
    }

    /// <summary>Fills with <c>min + (max - min) u</c>, u from <see cref="NextFloat"/>: one word per value.</summary>
    public void FillUniform(Span<float> destination, float min, float max)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = min + (max - min) * NextFloat();
    }

    private (double Z0, double Z1) GaussianPair()
    {
        ulong first = NextUInt64() >> 11;
        return BoxMuller(first, NextUInt64() >> 11);
    }

    /// <summary>Box-Muller from two 53-bit integers (the <see cref="NextDouble"/> bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Z0, double Z1) BoxMuller(ulong bits1, ulong bits2)
    {
        const double Unit = 1.0 / (1UL << 53);
        double u1 = 1.0 - bits1 * Unit; // (0, 1]: log is finite
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * (bits2 * Unit));
        return (r * cos, r * sin);
    }

    private void Refill()
    {
        if (_nextBlock >= BlocksPerStream)
            throw new InvalidOperationException("Random stream exhausted (2^32 blocks); use another StreamId.");
        var (a, b, c, d) = Philox4x32.Block((uint)_nextBlock, _episode, _member, _generation, _key0, _key1);
        _buffer[0] = a;
        _buffer[1] = b;
        _buffer[2] = c;
        _buffer[3] = d;
        _nextBlock++;
        _used = 0;
    }

    /// <summary>The Philox key of (seed, purpose): low word key 0, high word key 1.</summary>
    internal static ulong Key(ulong seed, uint purpose) => Mix(seed ^ Mix(purpose + 0x9E3779B97F4A7C15UL));

    /// <summary>SplitMix64's finaliser: spreads seed and purpose over the whole 64-bit key.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [InlineArray(4)]
    private struct Block4
    {
        private uint _element;
    }
}
