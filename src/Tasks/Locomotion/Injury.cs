using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Random;

namespace PdlfFast.Tasks.Locomotion;

public enum InjuryKind
{
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
public sealed record Injury(InjuryKind Kind, double Fraction = 0, int FirstStep = 501, int LastStep = 549, ulong Seed = 7)
{
    public static Injury None { get; } = new(InjuryKind.None);
    public static Injury Temporary { get; } = new(InjuryKind.Temporary);
    public static Injury Permanent(double fraction, ulong seed = 7) => new(InjuryKind.Permanent, fraction, Seed: seed);

    public void Validate()
    {
        if (Kind == InjuryKind.Permanent && !(Fraction >= 0 && Fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(Fraction), Fraction, "The injured fraction must be in [0, 1].");
        if (Kind == InjuryKind.Temporary && (FirstStep < 1 || LastStep < FirstStep))
            throw new ArgumentOutOfRangeException(nameof(FirstStep), $"Temporary injury window {FirstStep}..{LastStep} is empty or starts before step 1.");
    }

    /// <summary>True when the plastic weights are wiped before policy step <paramref name="step"/> (1-based).</summary>
    public bool WipesAt(int step) => Kind == InjuryKind.Temporary && step >= FirstStep && step <= LastStep;

    /// <summary>Number of the <paramref name="synapses"/> a permanent injury blocks: round(fraction x synapses).</summary>
    public int BlockedCount(int synapses) => Kind == InjuryKind.Permanent ? (int)Math.Round(Fraction * synapses) : 0;

    /// <summary>
    /// Storage indices (into a layer of <paramref name="shape"/>) of the blocked synapses: the first
    /// <see cref="BlockedCount"/> of a seeded shuffle of all synapses. Empty unless permanent.
    /// </summary>
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
