using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Random;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>The injury protocols of docs/design.md, "Tasks", used to probe a trained locomotion policy.</summary>
public enum InjuryKind
{
    /// <summary>No injury: the policy runs intact.</summary>
    None,
    /// <summary>All plastic weights zeroed for steps <see cref="Injury.FirstStep"/>..<see cref="Injury.LastStep"/>.</summary>
    Temporary,
    /// <summary>A fraction of the output-layer synapses blocked for the whole episode (weight 0, never updated).</summary>
    Permanent,
}

/// <summary>
/// The injury protocols of docs/design.md, "Tasks". Steps are counted from 1, so the default temporary window
/// 501..549 is the reference's. Which synapses a permanent injury blocks depends only on <see cref="Seed"/>.
/// </summary>
/// <remarks>
/// An immutable description; <see cref="LocomotionWorker.Injury"/> applies it to the worker's following episodes.
/// Out-of-range values are accepted here and rejected by <see cref="Validate"/> (which the worker calls).
/// </remarks>
/// <param name="Kind">Which protocol.</param>
/// <param name="Fraction">Permanent: share of output-layer synapses blocked, 0..1 (the paper's sweep goes to 0.95).</param>
/// <param name="FirstStep">Temporary: first policy step (1-based) with the plastic weights wiped.</param>
/// <param name="LastStep">Temporary: last wiped policy step (inclusive).</param>
/// <param name="Seed">Permanent: seed of the shuffle that picks the blocked synapses.</param>
public sealed record Injury(InjuryKind Kind, double Fraction = 0, int FirstStep = 501, int LastStep = 549, ulong Seed = 7)
{
    /// <summary>No injury.</summary>
    public static Injury None { get; } = new(InjuryKind.None);
    /// <summary>The reference's temporary injury: all plastic weights zeroed for steps 501-549.</summary>
    public static Injury Temporary { get; } = new(InjuryKind.Temporary);
    /// <summary>
    /// The reference's temporary injury placed in an episode of <paramref name="episodeSteps"/> steps the way the
    /// reference places it in its 1,000: 49 steps from mid-episode (steps 501-549 of 1,000, 251-299 of 500).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="episodeSteps"/> is below 2.</exception>
    public static Injury TemporaryFor(int episodeSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodeSteps, 2);
        int first = episodeSteps / 2 + 1;
        return new(InjuryKind.Temporary, FirstStep: first, LastStep: Math.Min(episodeSteps, first + 48));
    }
    /// <summary>A permanent injury blocking a share <paramref name="fraction"/> of the output-layer synapses.</summary>
    /// <param name="fraction">Share blocked, 0..1; round(fraction x synapses) synapses are blocked.</param>
    /// <param name="seed">Picks which synapses; the same seed and layer shape block the same ones.</param>
    public static Injury Permanent(double fraction, ulong seed = 7) => new(InjuryKind.Permanent, fraction, Seed: seed);

    /// <summary>Throws when the values do not describe an injury: a permanent fraction outside [0, 1] or an empty temporary window or one starting before step 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Describes the bad value.</exception>
    public void Validate()
    {
        if (Kind == InjuryKind.Permanent && !(Fraction >= 0 && Fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(Fraction), Fraction, "The injured fraction must be in [0, 1].");
        if (Kind == InjuryKind.Temporary && (FirstStep < 1 || LastStep < FirstStep))
            throw new ArgumentOutOfRangeException(nameof(FirstStep), $"Temporary injury window {FirstStep}..{LastStep} is empty or starts before step 1.");
    }

    /// <summary>True when the plastic weights are wiped before policy step <paramref name="step"/> (1-based).</summary>
    /// <param name="step">1-based policy step of the episode.</param>
    public bool WipesAt(int step) => Kind == InjuryKind.Temporary && step >= FirstStep && step <= LastStep;

    /// <summary>Number of the <paramref name="synapses"/> a permanent injury blocks: round(fraction x synapses).</summary>
    /// <param name="synapses">Synapses of the layer (its rows x columns, without padding).</param>
    public int BlockedCount(int synapses) => Kind == InjuryKind.Permanent ? (int)Math.Round(Fraction * synapses) : 0;

    /// <summary>
    /// Storage indices (into a layer of <paramref name="shape"/>) of the blocked synapses: the first
    /// <see cref="BlockedCount"/> of a seeded shuffle of all synapses. Empty unless permanent.
    /// </summary>
    /// <param name="shape">The output layer's shape; indices account for its row padding.</param>
    /// <returns>Sorted storage indices; a new array per call.</returns>
    public int[] BlockedSynapses(LayerShape shape)
    {
        int count = BlockedCount(shape.Synapses);
        if (count == 0) return [];
        var order = new int[shape.Synapses];
        for (int i = 0; i < order.Length; i++) order[i] = shape.Index(i / shape.Columns, i % shape.Columns);
        var random = new RandomStream(Seed, new StreamId(0, 0, 0, Purpose: 41));
        // Partial Fisher-Yates: only the first `count` places are needed.
        for (int i = 0; i < count; i++)
        {
            int j = i + random.NextInt(order.Length - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var blocked = order[..count];
        Array.Sort(blocked);
        return blocked;
    }
}
