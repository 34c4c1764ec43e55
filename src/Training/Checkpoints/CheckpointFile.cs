using System.Buffers.Binary;
using System.IO.Hashing;

namespace PdlfFast.Training.Checkpoints;

/// <summary>A checkpoint that cannot be used, with the file and the reason in the message.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Versioned, checksummed checkpoint container:
/// <code>"PDLFCKPT" | format version (int32) | payload length (int64) | payload | XxHash64(payload) (uint64)</code>
/// Writes go to a temporary file in the same directory, are flushed to disk and renamed over the target, so a crash
/// at any moment leaves either the old checkpoint or the new one, never a torn file.
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "PDLFCKPT"u8;
    private const int HeaderLength = 8 + 4 + 8, TrailerLength = 8;

    public static void Write(string path, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> header = stackalloc byte[HeaderLength];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
                BinaryPrimitives.WriteInt64LittleEndian(header[12..], payload.Length);
                stream.Write(header);
                stream.Write(payload);
                Span<byte> trailer = stackalloc byte[TrailerLength];
                BinaryPrimitives.WriteUInt64LittleEndian(trailer, XxHash64.HashToUInt64(payload));
                stream.Write(trailer);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Reads and verifies a checkpoint; throws <see cref="CheckpointException"/> naming the file and the problem.</summary>
    public static byte[] Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"Cannot read checkpoint '{path}': {e.Message}", e);
        }
        if (bytes.Length < HeaderLength || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new CheckpointException($"'{path}' is not a PdlfFast checkpoint (no PDLFCKPT header; {bytes.Length} bytes).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
            throw new CheckpointException($"Checkpoint '{path}' has format version {version}; this build reads version {FormatVersion}.");
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        long expected = HeaderLength + length + TrailerLength;
        if (length < 0 || bytes.Length != expected)
            throw new CheckpointException($"Checkpoint '{path}' is truncated or padded: its header promises {expected} bytes, the file has {bytes.Length}.");
        var payload = bytes.AsSpan(HeaderLength, (int)length);
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(HeaderLength + (int)length));
        ulong actual = XxHash64.HashToUInt64(payload);
        if (stored != actual)
            throw new CheckpointException($"Checkpoint '{path}' is corrupted: checksum {actual:x16} does not match the stored {stored:x16}.");
        return payload.ToArray();
    }
}
