using System.Buffers.Binary;
using System.IO.Hashing;
using PdlfFast.Training.Runs;

namespace PdlfFast.Training.Checkpoints;

/// <summary>A checkpoint that cannot be used: what is wrong, and the file (message <c>what (path)</c>).</summary>
/// <remarks>A <see cref="RunErrorKind.Runtime"/> failure: the file, not the caller's options, is at fault.</remarks>
/// <param name="what">What is wrong, as one lower-case clause.</param>
/// <param name="path">The checkpoint file, when known.</param>
/// <param name="inner">The exception that revealed the problem, if any.</param>
public sealed class CheckpointException(string what, string? path = null, Exception? inner = null)
    : RunException(what, path, RunErrorKind.Runtime, inner);

/// <summary>
/// Versioned, checksummed checkpoint container:
/// <code>"PDLFCKPT" | format version (int32) | payload length (int64) | payload | XxHash64(payload) (uint64)</code>
/// Writes go to a temporary file in the same directory, are flushed to disk and renamed over the target, so a crash
/// at any moment leaves either the old checkpoint or the new one, never a torn file. Reads trust nothing: they read
/// the header first and then exactly the bytes it declares (never a whole device such as /dev/zero), within the
/// file's size and <see cref="MaxPayloadBytes"/>.
/// </summary>
/// <remarks>
/// <para>
/// The container knows nothing of its payload. Training writes two payloads into it, each starting with its own tag:
/// <see cref="Evolution.EvolutionRun{TEvaluator,TWorker}.SaveCheckpoint"/> (<c>pdlf-evolution/2</c>: caller payload,
/// strategy state, best-so-far) and <see cref="GradientSession{TTask}"/> (<c>pdlf-gradient/1</c>: configuration and
/// trainer state). Integers are little-endian. A checkpoint restores only on a build that reads its format version
/// and its payload's tag.
/// </para>
/// <para>
/// Thread-safe (no shared state). <see cref="Write"/> copies the payload into one buffer of the file's size;
/// <see cref="Read"/> allocates the payload.
/// </para>
/// </remarks>
public static class CheckpointFile
{
    /// <summary>The container format this build writes and the only one it reads.</summary>
    public const int FormatVersion = 1;
    /// <summary>Largest payload a checkpoint may declare (a .NET array's limit; real ones are megabytes).</summary>
    public const long MaxPayloadBytes = int.MaxValue - 64;
    private static ReadOnlySpan<byte> Magic => "PDLFCKPT"u8;
    private const int HeaderLength = 8 + 4 + 8, TrailerLength = 8;

    /// <summary>
    /// Writes <paramref name="payload"/> to <paramref name="path"/> as a checkpoint, atomically (see
    /// <see cref="AtomicFile.Write"/>): a temporary file beside it, flushed to disk, renamed over the target.
    /// </summary>
    /// <exception cref="RunException">The file cannot be written (disk full, permissions, file-size limit).</exception>
    /// <exception cref="ConfigException">The path is empty or not usable.</exception>
    public static void Write(string path, ReadOnlySpan<byte> payload)
    {
        var file = new byte[HeaderLength + payload.Length + TrailerLength];
        Magic.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(12), payload.Length);
        payload.CopyTo(file.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(HeaderLength + payload.Length), XxHash64.HashToUInt64(payload));
        AtomicFile.Write(path, file, "checkpoint");
    }

    private static byte[]? ReadExactly(Stream stream, long length)
    {
        var payload = new byte[length];
        return stream.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false) == payload.Length ? payload : null;
    }

    /// <summary>Pipes and devices: memory grows with the bytes that arrive, never to what an untrusted header declares.</summary>
    private static byte[]? ReadGrowing(Stream stream, long length)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 20];
        while (buffer.Length < length)
        {
            int read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, length - buffer.Length));
            if (read == 0) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads and verifies a checkpoint (magic, version, declared length against the file's size, checksum) and returns
    /// its payload; throws <see cref="CheckpointException"/> naming the file and the problem.
    /// </summary>
    /// <exception cref="ConfigException">The path is empty, a directory, or does not exist.</exception>
    /// <exception cref="CheckpointException">The file is not a checkpoint, of another version, truncated, padded or corrupted.</exception>
    public static byte[] Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException("the checkpoint path is empty");
        if (Directory.Exists(path)) throw new ConfigException("this is a directory, not a checkpoint", path);
        if (!File.Exists(path)) throw new ConfigException("no such checkpoint", path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> header = stackalloc byte[HeaderLength];
            int got = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
            if (got < HeaderLength || !header[..8].SequenceEqual(Magic))
                throw new CheckpointException($"not a PdlfFast checkpoint (no PDLFCKPT header in its first {got} bytes)", path);
            int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (version != FormatVersion)
                throw new CheckpointException($"checkpoint format version {version}; this build reads version {FormatVersion}", path);
            long length = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
            long expected = HeaderLength + length + TrailerLength;
            if (length < 0 || length > MaxPayloadBytes)
                throw new CheckpointException($"the header declares an impossible payload of {length} bytes", path);
            // Only regular files have a trustworthy length; anything else is read no further than the header declares.
            if (stream.CanSeek && stream.Length != 0 && stream.Length != expected)
                throw new CheckpointException($"truncated or padded: its header promises {expected} bytes, the file has {stream.Length}", path);
            var payload = stream.CanSeek && stream.Length == expected ? ReadExactly(stream, length) : ReadGrowing(stream, length);
            Span<byte> trailer = stackalloc byte[TrailerLength];
            if (payload is null || stream.ReadAtLeast(trailer, TrailerLength, throwOnEndOfStream: false) != TrailerLength)
                throw new CheckpointException($"truncated: its header promises {expected} bytes", path);
            ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
            ulong actual = XxHash64.HashToUInt64(payload);
            if (stored != actual)
                throw new CheckpointException($"corrupted: checksum {actual:x16} does not match the stored {stored:x16}", path);
            return payload;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"cannot read the checkpoint: {e.Message}", path, e);
        }
    }
}
