using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Training.Runs;

/// <summary>
/// Gradient training (BPTT) as a <see cref="ITrainingSession"/>: one <see cref="GradientTrainer{TTask}"/> step per
/// step, the current parameters tested, checkpoints holding the config and the trainer's whole state (step count,
/// parameters, Adam moments), so a resumed run continues bit for bit.
/// </summary>
public sealed class GradientSession<TTask> : ITrainingSession where TTask : struct, ISequenceTask
{
    private const string PayloadTag = "pdlf-gradient/1";
    private readonly ParameterTest _test;

    public GradientSession(GradientTrainer<TTask> trainer, string configJson, ParameterTest test)
    {
        Trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
        ConfigJson = configJson;
        _test = test;
    }

    public GradientTrainer<TTask> Trainer { get; }
    public int Completed => Trainer.StepCount;
    public string ConfigJson { get; }

    public RunStep Step()
    {
        var r = Trainer.Step();
        return new RunStep(r.Accuracy, -r.Loss, float.NaN, float.IsFinite(r.GradientNorm) ? 0 : 1, r.Seconds, Trainer.Options.BatchSize)
        {
            TrainLoss = r.Loss,
            TrainAccuracy = r.Accuracy,
        };
    }

    public double Test() => _test(Trainer.Parameters);

    public void SaveCheckpoint(string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(PayloadTag);
            writer.Write(ConfigJson);
            Trainer.WriteState(writer);
        }
        CheckpointFile.Write(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public void LoadCheckpoint(string path)
    {
        using var reader = new BinaryReader(new MemoryStream(CheckpointFile.Read(path)));
        try
        {
            ReadHeader(reader, path);
            reader.ReadString(); // the config: the caller compared it before resuming
            Trainer.ReadState(reader);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new CheckpointException($"the checkpoint does not fit this run: {e.Message}", path, e);
        }
    }

    /// <summary>The config stored in a gradient-training checkpoint, verified but not applied.</summary>
    public static string ReadConfig(string path)
    {
        using var reader = new BinaryReader(new MemoryStream(CheckpointFile.Read(path)));
        try
        {
            ReadHeader(reader, path);
            return reader.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new CheckpointException($"the checkpoint's config is truncated: {e.Message}", path, e);
        }
    }

    /// <summary>Steps a gradient-training checkpoint has done, read without restoring anything.</summary>
    public static int ReadStep(string path)
    {
        using var reader = new BinaryReader(new MemoryStream(CheckpointFile.Read(path)));
        try
        {
            ReadHeader(reader, path);
            reader.ReadString();
            return reader.ReadInt32();
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new CheckpointException($"the checkpoint's trainer state is truncated: {e.Message}", path, e);
        }
    }

    /// <summary>True when <paramref name="path"/> holds a gradient-training checkpoint (any other, or none: false).</summary>
    public static bool IsGradientCheckpoint(byte[] payload)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload));
            return reader.ReadString() == PayloadTag;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
    }

    private static void ReadHeader(BinaryReader reader, string path)
    {
        string tag = reader.ReadString();
        if (tag != PayloadTag) throw new CheckpointException($"the checkpoint holds '{tag}', not a gradient-training run ('{PayloadTag}')", path);
    }

    public void Dispose() => Trainer.Dispose();
}
