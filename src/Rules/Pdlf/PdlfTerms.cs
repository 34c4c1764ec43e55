using System.Runtime.CompilerServices;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// Which terms of <c>dW = eta * (A x (y - C) + B y + D)</c> a rule keeps. The paper's Synaptic Cooperation
/// Plasticity is the A/C term (pre x post cooperation with postsynaptic threshold C); Presynaptic-Dependent
/// Plasticity is the B/D part. The reference code's ablations are ACD (B = 0) and BD (A = 0).
/// </summary>
public enum PdlfTermSet
{
    /// <summary>All terms: eta, A, B, C, D evolved (5 parameters per synapse).</summary>
    Abcd,
    /// <summary>No B term: eta, A, C, D (4 per synapse).</summary>
    Acd,
    /// <summary>No A (and so no C) term: eta, B, D (3 per synapse).</summary>
    Bd,
}

/// <summary>Genome facts of a <see cref="PdlfTermSet"/> (its name and operator struct: <see cref="PdlfTermSets"/>).</summary>
public static class PdlfTermSetExtensions
{
    /// <summary>Per-synapse genome entries, in genome order. Allocates nothing (constant data).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="terms"/> is undefined.</exception>
    public static ReadOnlySpan<PdlfParameter> Parameters(this PdlfTermSet terms) => terms switch
    {
        PdlfTermSet.Abcd => [PdlfParameter.Eta, PdlfParameter.A, PdlfParameter.B, PdlfParameter.C, PdlfParameter.D],
        PdlfTermSet.Acd => [PdlfParameter.Eta, PdlfParameter.A, PdlfParameter.C, PdlfParameter.D],
        PdlfTermSet.Bd => [PdlfParameter.Eta, PdlfParameter.B, PdlfParameter.D],
        _ => throw new ArgumentOutOfRangeException(nameof(terms), terms, "Unknown PDLF term set."),
    };
}

/// <summary>One per-synapse parameter of the PDLF rule <c>dW = eta (A x (y - C) + B y + D)</c>; a genome holds one dense matrix per parameter.</summary>
public enum PdlfParameter
{
    /// <summary>Learning rate eta, scaling the whole update.</summary>
    Eta,
    /// <summary>Cooperation gain A of the <c>x (y - C)</c> term.</summary>
    A,
    /// <summary>Gain B of the postsynaptic-only term <c>B y</c>.</summary>
    B,
    /// <summary>Postsynaptic threshold C of the cooperation term.</summary>
    C,
    /// <summary>Constant drift D.</summary>
    D,
}

/// <summary>
/// A PDLF rule as an operator struct. The per-synapse parameters are folded once per individual into four
/// coefficient arrays, <c>etaA = eta*A</c>, <c>negEtaAC = -eta*A*C</c>, <c>etaB = eta*B</c>, <c>etaD = eta*D</c>, so that
/// <c>dW = x * (etaA * y + negEtaAC) + etaB * y + etaD</c>: three fused multiply-adds per synapse for the full rule.
/// The scalar and vector forms perform the same operations in the same order, so they agree bit for bit.
/// </summary>
public interface IPdlfTerms
{
    /// <summary>The term set this struct implements.</summary>
    static abstract PdlfTermSet Terms { get; }
    /// <summary>Whether the rule reads etaA and negEtaAC.</summary>
    static abstract bool UsesA { get; }
    /// <summary>Whether the rule reads etaB.</summary>
    static abstract bool UsesB { get; }
    /// <summary>dW of one synapse from presynaptic x, postsynaptic y and its folded coefficients.</summary>
    static abstract float Delta(float x, float y, float etaA, float negEtaAC, float etaB, float etaD);
    /// <summary>Lane-wise <see cref="Delta(float, float, float, float, float, float)"/>: same operations, same order.</summary>
    static abstract TVec Delta<TVec>(TVec x, TVec y, TVec etaA, TVec negEtaAC, TVec etaB, TVec etaD)
        where TVec : struct, IFloatVector<TVec>;
}

/// <summary><c>dW = eta * (A x (y - C) + B y + D)</c>.</summary>
public readonly struct AbcdTerms : IPdlfTerms
{
    /// <inheritdoc/>
    public static PdlfTermSet Terms => PdlfTermSet.Abcd;
    /// <inheritdoc/>
    public static bool UsesA => true;
    /// <inheritdoc/>
    public static bool UsesB => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Delta(float x, float y, float etaA, float negEtaAC, float etaB, float etaD) =>
        MathF.FusedMultiplyAdd(x, MathF.FusedMultiplyAdd(etaA, y, negEtaAC), MathF.FusedMultiplyAdd(etaB, y, etaD));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Delta<TVec>(TVec x, TVec y, TVec etaA, TVec negEtaAC, TVec etaB, TVec etaD)
        where TVec : struct, IFloatVector<TVec> =>
        TVec.Fma(x, TVec.Fma(etaA, y, negEtaAC), TVec.Fma(etaB, y, etaD));
}

/// <summary><c>dW = eta * (A x (y - C) + D)</c>: the B term off.</summary>
public readonly struct AcdTerms : IPdlfTerms
{
    /// <inheritdoc/>
    public static PdlfTermSet Terms => PdlfTermSet.Acd;
    /// <inheritdoc/>
    public static bool UsesA => true;
    /// <inheritdoc/>
    public static bool UsesB => false;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Delta(float x, float y, float etaA, float negEtaAC, float etaB, float etaD) =>
        MathF.FusedMultiplyAdd(x, MathF.FusedMultiplyAdd(etaA, y, negEtaAC), etaD);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Delta<TVec>(TVec x, TVec y, TVec etaA, TVec negEtaAC, TVec etaB, TVec etaD)
        where TVec : struct, IFloatVector<TVec> =>
        TVec.Fma(x, TVec.Fma(etaA, y, negEtaAC), etaD);
}

/// <summary><c>dW = eta * (B y + D)</c>: the A (and so C) term off.</summary>
public readonly struct BdTerms : IPdlfTerms
{
    /// <inheritdoc/>
    public static PdlfTermSet Terms => PdlfTermSet.Bd;
    /// <inheritdoc/>
    public static bool UsesA => false;
    /// <inheritdoc/>
    public static bool UsesB => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Delta(float x, float y, float etaA, float negEtaAC, float etaB, float etaD) =>
        MathF.FusedMultiplyAdd(etaB, y, etaD);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Delta<TVec>(TVec x, TVec y, TVec etaA, TVec negEtaAC, TVec etaB, TVec etaD)
        where TVec : struct, IFloatVector<TVec> =>
        TVec.Fma(etaB, y, etaD);
}
