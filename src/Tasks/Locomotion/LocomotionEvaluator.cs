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
/// <remarks>
/// Statistics cover the state part of the observation only (<see cref="LocomotionTask.StateObservationSize"/>); the
/// target is appended raw. Memory: one normaliser (2 x size + 1 doubles of state) per member x episode slot.
/// <see cref="EndGeneration"/> must not run while a generation is being evaluated. In a distributed run the
/// evaluator's <see cref="IGenerationShared"/> members move <see cref="Current"/> to the workers and the slots back.
/// </remarks>
public sealed class ObservationStatistics
{
    private readonly ObservationNormaliser[] _slots;

    /// <summary>Empty statistics (identity normalisation until the first <see cref="EndGeneration"/>) with one slot per member x episode.</summary>
    /// <param name="observationSize">Values normalised: the task's <see cref="LocomotionTask.StateObservationSize"/>.</param>
    /// <param name="populationSize">Members per generation, at least 1.</param>
    /// <param name="episodesPerMember">Episodes per member per generation, at least 1.</param>
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

    /// <summary>
    /// The statistics every episode of the current generation normalises with (frozen during a generation; also what
    /// a trained policy is tested and deployed with, and what checkpoints store).
    /// </summary>
    public ObservationNormaliser Current { get; }
    /// <summary>Episodes per member, as the slots are laid out.</summary>
    public int EpisodesPerMember { get; }

    /// <summary>The slot an episode records into; null for members outside the population (tests of the mean).</summary>
    internal ObservationNormaliser? Slot(int member, int episode)
    {
        int index = member * EpisodesPerMember + episode;
        return member >= 0 && episode >= 0 && episode < EpisodesPerMember && index < _slots.Length ? _slots[index] : null;
    }

    /// <summary>Empties every slot (a remote worker starting a generation: its slots record only the items it runs).</summary>
    internal void ResetSlots()
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
/// fitness (the driver's mean over episodes) is the mean return over the training targets. Reset noise comes from the
/// episode seed (shared by the whole generation under common random numbers).
/// </summary>
/// <remarks>
/// Needs MuJoCo: the model passed in is already loaded. Every episode reads the frozen
/// <see cref="ObservationStatistics.Current"/> and records into its own slot; the host (e.g.
/// <see cref="PdlfFast.Training.Runs.EvolutionSession{TEvaluator,TWorker}.AfterGeneration"/>) must call
/// <see cref="ObservationStatistics.EndGeneration"/> between generations. An episode's return depends only on the
/// parameters, the episode context and those statistics, so the fitness is the same for any thread count or
/// distribution over machines. The <see cref="IGenerationShared"/> members carry the statistics in distributed runs
/// (docs/design.md, "Cluster").
/// </remarks>
public readonly struct LocomotionEvaluator : IFitnessEvaluator<LocomotionWorker>, IGenerationShared
{
    /// <summary>An evaluator of <paramref name="setup"/> on <paramref name="model"/> with shared <paramref name="statistics"/>.</summary>
    /// <param name="setup">Task, policy kind, rule terms, hidden size and episode length.</param>
    /// <param name="model">The task's model (<c>MuJoCoModel.FromEmbedded(setup.Task.ModelName)</c>); the caller owns it and must keep it alive.</param>
    /// <param name="statistics">Observation statistics sized for the task's state observation and the run's population.</param>
    /// <exception cref="ArgumentException">The statistics are for another observation size.</exception>
    public LocomotionEvaluator(LocomotionSetup setup, MuJoCoModel model, ObservationStatistics statistics)
    {
        Setup = setup ?? throw new ArgumentNullException(nameof(setup));
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Statistics = statistics ?? throw new ArgumentNullException(nameof(statistics));
        if (statistics.Current.Size != setup.Task.StateObservationSize)
            throw new ArgumentException($"Statistics are for {statistics.Current.Size} values; {setup.Task.Name} observes {setup.Task.StateObservationSize}.", nameof(statistics));
    }

    /// <summary>Task, policy and network size.</summary>
    public LocomotionSetup Setup { get; }
    /// <summary>The shared MuJoCo model.</summary>
    public MuJoCoModel Model { get; }
    /// <summary>The run's observation statistics.</summary>
    public ObservationStatistics Statistics { get; }
    /// <summary>Parameters the ES searches (<see cref="LocomotionSetup.Dimension"/>).</summary>
    public int Dimension => Setup.Dimension;

    /// <summary>A worker with its own simulation data and network state (dispose it to free the data).</summary>
    /// <param name="worker">Index of the worker thread (unused: workers are interchangeable).</param>
    public LocomotionWorker CreateWorker(int worker) => new(Setup, Model);

    // Distributed runs: the frozen statistics travel to the workers, each episode's own statistics come back into its slot.
    /// <summary>Doubles of the frozen statistics sent to remote workers each generation.</summary>
    public int SharedLength => Statistics.Current.StateLength;
    /// <summary>Writes the frozen statistics (<see cref="SharedLength"/> values) for the remote workers.</summary>
    /// <param name="destination"><see cref="SharedLength"/> values.</param>
    public void ExportShared(Span<double> destination) => Statistics.Current.ExportState(destination);

    /// <summary>A remote worker: adopts the coordinator's frozen statistics and empties its slots for the generation.</summary>
    /// <param name="source">What <see cref="ExportShared"/> wrote on the coordinator.</param>
    public void ImportShared(ReadOnlySpan<double> source)
    {
        Statistics.Current.ImportState(source);
        Statistics.Current.Prepare();
        Statistics.ResetSlots();
    }

    /// <summary>Doubles each episode sends back: its own observation statistics.</summary>
    public int ItemLength => Statistics.Current.StateLength;
    /// <summary>A remote worker: writes the statistics episode <paramref name="episode"/> of <paramref name="member"/> recorded.</summary>
    /// <param name="member">Member index within the population.</param>
    /// <param name="episode">Episode index within the member.</param>
    /// <param name="destination"><see cref="ItemLength"/> values.</param>
    public void ExportItem(int member, int episode, Span<double> destination) => Statistics.Slot(member, episode)!.ExportState(destination);
    /// <summary>The coordinator: stores a remote episode's statistics in its slot, to be merged in slot order.</summary>
    /// <param name="member">Member index within the population.</param>
    /// <param name="episode">Episode index within the member.</param>
    /// <param name="source">What <see cref="ExportItem"/> wrote on the worker.</param>
    public void ImportItem(int member, int episode, ReadOnlySpan<double> source) => Statistics.Slot(member, episode)!.ImportState(source);

    /// <summary>
    /// One episode of a member: training target <c>episode mod 8</c>, reset noise from the episode seed,
    /// observations normalised with the frozen statistics and recorded into the episode's slot.
    /// </summary>
    /// <param name="worker">The calling thread's worker.</param>
    /// <param name="parameters">The policy's genome, <see cref="Dimension"/> values.</param>
    /// <param name="episode">Member, episode index and seed.</param>
    /// <returns>The episode's return (sum of rewards), as a float.</returns>
    public float Evaluate(LocomotionWorker worker, ReadOnlySpan<float> parameters, in EpisodeContext episode)
    {
        float target = Setup.Task.TrainingTarget(episode.Episode % Setup.Task.TrainingTargetCount);
        var recorder = new NoRecorder();
        var slot = Statistics.Slot(episode.Member, episode.Episode);
        slot?.Reset(); // an item run again (a re-issued chunk of a distributed run) records its episode once
        return (float)worker.RunEpisode(parameters, target, episode.Seed, Statistics.Current, slot, ref recorder);
    }
}
