using PdlfFast.Training.Checkpoints;
using PdlfFast.Training.Gradient;

namespace PdlfFast.Training.Runs;

/// <summary>
/// Gradient training (BPTT) as a <see cref="ITrainingSession"/>: one <see cref="GradientTrainer{TTask}"/> step per
/// step, the current parameters tested, checkpoints holding the config and the trainer's whole state (step count,
/// parameters, Adam moments), so a resumed run continues bit for bit.
/// </summary>
/// <remarks>
/// Checkpoint payload (inside a <see cref="CheckpointFile"/>): the tag <c>pdlf-gradient/1</c>, the config JSON, then
/// <see cref="GradientTrainer{TTask}.WriteState"/>. One caller at a time.
/// </remarks>
/// <typeparam name="TTask">The task, a struct (see <see cref="ISequenceTask"/>).</typeparam>
public sealed class GradientSession<TTask> : ITrainingSession where TTask : struct, ISequenceTask
{
    private const string PayloadTag = "pdlf-gradient/1";
    private readonly ParameterTest _test;

    /// <summary>A session over <paramref name="trainer"/>, which it owns and disposes.</summary>
    /// <param name="trainer">The trainer, usually at step 0 (a resume restores its state from the checkpoint).</param>
    /// <param name="configJson">The run's configuration, as written to <c>config.json</c> and stored in the checkpoint.</param>
    /// <param name="test">Tests the trainer's current parameters.</param>
    public GradientSession(GradientTrainer<TTask> trainer, string configJson, ParameterTest test)
    {
        Trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
        ConfigJson = configJson;
        _test = test;
    }

    /// <summary>The trainer the session steps.</summary>
    public GradientTrainer<TTask> Trainer { get; }
    /// <summary>Gradient steps done (<see cref="GradientTrainer{TTask}.StepCount"/>).</summary>
    public int Completed => Trainer.StepCount;
    /// <inheritdoc/>
    public string ConfigJson { get; }

    /// <summary>
    /// One gradient step. The figures map onto <see cref="RunStep"/> as: best = minibatch accuracy, mean = minus the
    /// loss, non-finite = 1 when the gradient norm was not finite (the update was skipped).
    /// </summary>
    public RunStep Step()
    {
        var r = Trainer.Step();
        return new RunStep(r.Accuracy, -r.Loss, float.NaN, float.IsFinite(r.GradientNorm) ? 0 : 1, r.Seconds, Trainer.Options.BatchSize)
        {
            TrainLoss = r.Loss,
            TrainAccuracy = r.Accuracy,
        };
    }

    /// <summary>The held-out test of the trainer's current parameters.</summary>
    public double Test() => _test(Trainer.Parameters);

    /// <summary>Writes tag, config and trainer state as a <see cref="CheckpointFile"/>, atomically.</summary>
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

    /// <summary>
    /// Restores the trainer's state from a checkpoint of this format. The stored config is skipped: the caller compares
    /// it with the requested one (<see cref="ReadConfig"/>, <see cref="ConfigDiff"/>) before resuming.
    /// </summary>
    /// <exception cref="CheckpointException">The file is damaged, not a gradient checkpoint, or of another network.</exception>
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

    /// <summary>
    /// True when <paramref name="payload"/> (a <see cref="CheckpointFile.Read"/> result) is a gradient-training
    /// checkpoint's; any other payload, or an empty one, gives false.
    /// </summary>
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

    /// <summary>Disposes the trainer (its threads).</summary>
    public void Dispose() => Trainer.Dispose();
}
