using PdlfFast.Kernel.Observation;
using PdlfFast.Tasks.Physics;
using PdlfFast.Training.Evolution;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>
/// Running observation statistics shared by a training run. During a generation every episode reads the frozen
/// <see cref="Current"/> statistics and records its own observations into its own slot (member x episode), so no
/// two threads touch the same slot; <see cref="EndGeneration"/> merges the slots in slot order. The result is the
/// same for any thread count.
/// </summary>
public sealed class ObservationStatistics
{
    private readonly ObservationNormaliser[] _slots;

    public ObservationStatistics(int observationSize, int populationSize, int episodesPerMember)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(populationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodesPerMember, 1);
        Current = new ObservationNormaliser(observationSize);
        EpisodesPerMember = episodesPerMember;
        _slots = new ObservationNormaliser[populationSize * episodesPerMember];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new ObservationNormaliser(observationSize);
        Current.Prepare();
    }

    public ObservationNormaliser Current { get; }
    public int EpisodesPerMember { get; }

    /// <summary>The slot an episode records into; null for members outside the population (tests of the mean).</summary>
    public ObservationNormaliser? Slot(int member, int episode)
    {
        int index = member * EpisodesPerMember + episode;
        return member >= 0 && episode >= 0 && episode < EpisodesPerMember && index < _slots.Length ? _slots[index] : null;
    }

    /// <summary>Empties every slot (a remote worker starting a generation: its slots record only the items it runs).</summary>
    public void ResetSlots()
    {
        foreach (var slot in _slots) slot.Reset();
    }

    /// <summary>Folds the generation's observations into <see cref="Current"/> (call between generations).</summary>
    public void EndGeneration()
    {
        foreach (var slot in _slots)
        {
            Current.Merge(slot);
            slot.Reset();
        }
        Current.Prepare();
    }
}

/// <summary>
/// Multi-task fitness: episode e of a member runs training target <c>e mod 8</c>, so with 8k episodes per member the
/// fitness (the driver's mean over episodes) is the mean return over the 8 targets. Reset noise comes from the
/// episode seed (shared by the whole generation under common random numbers).
/// </summary>
public readonly struct LocomotionEvaluator : IFitnessEvaluator<LocomotionWorker>, IGenerationShared
{
    public LocomotionEvaluator(LocomotionSetup setup, MuJoCoModel model, ObservationStatistics statistics)
    {
        Setup = setup ?? throw new ArgumentNullException(nameof(setup));
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Statistics = statistics ?? throw new ArgumentNullException(nameof(statistics));
        if (statistics.Current.Size != setup.Task.StateObservationSize)
            throw new ArgumentException($"Statistics are for {statistics.Current.Size} values; {setup.Task.Name} observes {setup.Task.StateObservationSize}.", nameof(statistics));
    }

    public LocomotionSetup Setup { get; }
    public MuJoCoModel Model { get; }
    public ObservationStatistics Statistics { get; }
    public int Dimension => Setup.Dimension;

    public LocomotionWorker CreateWorker(int worker) => new(Setup, Model);

    // Distributed runs: the frozen statistics travel to the workers, each episode's own statistics come back into its slot.
    public int SharedLength => Statistics.Current.StateLength;
    public void ExportShared(Span<double> destination) => Statistics.Current.ExportState(destination);

    public void ImportShared(ReadOnlySpan<double> source)
    {
        Statistics.Current.ImportState(source);
        Statistics.Current.Prepare();
        Statistics.ResetSlots();
    }

    public int ItemLength => Statistics.Current.StateLength;
    public void ExportItem(int member, int episode, Span<double> destination) => Statistics.Slot(member, episode)!.ExportState(destination);
    public void ImportItem(int member, int episode, ReadOnlySpan<double> source) => Statistics.Slot(member, episode)!.ImportState(source);

    public float Evaluate(LocomotionWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        float target = Setup.Task.TrainingTarget(episode.Episode % LocomotionTask.TrainingTargetCount);
        var recorder = new NoRecorder();
        var slot = Statistics.Slot(episode.Member, episode.Episode);
        slot?.Reset(); // an item run again (a re-issued chunk of a distributed run) records its episode once
        return (float)worker.RunEpisode(parameters, target, episode.Seed, Statistics.Current, slot, ref recorder);
    }
}
