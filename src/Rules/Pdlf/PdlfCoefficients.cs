using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Memory;
using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// One layer's folded rule coefficients (see <see cref="IPdlfTerms"/>) in the layer's storage layout, zero in the
/// row padding. Built once per individual from its genome and shared read-only by all of its episodes.
/// Four separate 64-byte-aligned arrays (structure of arrays), so the fused plasticity pass streams each once per
/// step (docs/design.md, "Memory layout and kernels"). The spans are writable for <see cref="Fold"/>; writing them
/// while episodes run changes those episodes' rule.
/// </summary>
public sealed class PdlfLayerCoefficients
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _etaA, _negEtaAC, _etaB, _etaD, _cooperationPairs, _presynapticPairs;

    /// <summary>Allocates zero coefficients (a rule that changes nothing) in <paramref name="shape"/>'s layout, in single precision.</summary>
    public PdlfLayerCoefficients(LayerShape shape) : this(shape, CoefficientPrecision.Single) { }

    /// <summary>Allocates zero coefficients in <paramref name="shape"/>'s layout, stored at <paramref name="precision"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="precision"/> is undefined.</exception>
    public PdlfLayerCoefficients(LayerShape shape, CoefficientPrecision precision)
    {
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown coefficient precision.");
        Shape = shape;
        Precision = precision;
        var layout = new BlockLayout();
        _etaA = layout.Reserve(shape.StorageLength);
        _negEtaAC = layout.Reserve(shape.StorageLength);
        _etaB = layout.Reserve(shape.StorageLength);
        _etaD = layout.Reserve(shape.StorageLength);
        if (precision == CoefficientPrecision.BFloat16)
        {
            _cooperationPairs = layout.Reserve(shape.StorageLength);
            _presynapticPairs = layout.Reserve(shape.StorageLength);
        }
        _block = new AlignedBlock(layout.Total);
    }

    /// <summary>The layer's layout (row = presynaptic neuron, padded stride); every coefficient array has it.</summary>
    public LayerShape Shape { get; }
    /// <summary>
    /// How the plasticity pass reads the coefficients. <see cref="CoefficientPrecision.BFloat16"/>: <see cref="Fold"/>
    /// rounds each coefficient to bfloat16 and the float arrays below hold the rounded values, which the pass reads from
    /// packed pairs instead (8 bytes a synapse rather than 16).
    /// </summary>
    public CoefficientPrecision Precision { get; }
    /// <summary>Per synapse <c>etaA</c> (high half) and <c>negEtaAC</c> (low half) as bfloat16; empty in single precision.</summary>
    internal Span<uint> CooperationPairs => Precision == CoefficientPrecision.BFloat16 ? MemoryMarshal.Cast<float, uint>(_block.Segment(_cooperationPairs)) : default;
    /// <summary>Per synapse <c>etaB</c> (high half) and <c>etaD</c> (low half) as bfloat16; empty in single precision.</summary>
    internal Span<uint> PresynapticPairs => Precision == CoefficientPrecision.BFloat16 ? MemoryMarshal.Cast<float, uint>(_block.Segment(_presynapticPairs)) : default;
    /// <summary><c>eta * A</c> per synapse: the Hebbian gain of the cooperation term.</summary>
    public Span<float> EtaA => _block.Segment(_etaA);
    /// <summary><c>-eta * A * C</c> per synapse: the cooperation term's postsynaptic threshold, folded.</summary>
    public Span<float> NegEtaAC => _block.Segment(_negEtaAC);
    /// <summary><c>eta * B</c> per synapse: the postsynaptic-only term.</summary>
    public Span<float> EtaB => _block.Segment(_etaB);
    /// <summary><c>eta * D</c> per synapse: the constant drift.</summary>
    public Span<float> EtaD => _block.Segment(_etaD);

    /// <summary><see cref="EtaA"/> as a Rows x Columns matrix (row = presynaptic), padding skipped. Allocates nothing.</summary>
    public ReadOnlySpan2D<float> EtaA2D => Shape.AsReadOnlySpan2D(EtaA);
    /// <summary><see cref="NegEtaAC"/> as a Rows x Columns matrix, padding skipped. Allocates nothing.</summary>
    public ReadOnlySpan2D<float> NegEtaAC2D => Shape.AsReadOnlySpan2D(NegEtaAC);
    /// <summary><see cref="EtaB"/> as a Rows x Columns matrix, padding skipped. Allocates nothing.</summary>
    public ReadOnlySpan2D<float> EtaB2D => Shape.AsReadOnlySpan2D(EtaB);
    /// <summary><see cref="EtaD"/> as a Rows x Columns matrix, padding skipped. Allocates nothing.</summary>
    public ReadOnlySpan2D<float> EtaD2D => Shape.AsReadOnlySpan2D(EtaD);

    /// <summary>
    /// Folds dense row-major (pre x post) parameter matrices into coefficients. Missing terms are passed empty and
    /// read as zero. Each non-empty span must hold <see cref="LayerShape.Synapses"/> values. Overwrites every
    /// coefficient (padding back to zero); allocates nothing. At <see cref="CoefficientPrecision.BFloat16"/> each
    /// folded coefficient is rounded to bfloat16 (nearest, ties to even); this is the only way to set such a layer's
    /// coefficients, since the pass reads the packed copies.
    /// </summary>
    /// <param name="eta">Learning rate per synapse (required).</param>
    /// <param name="a">Cooperation gain A, or empty.</param>
    /// <param name="b">Postsynaptic term B, or empty.</param>
    /// <param name="c">Postsynaptic threshold C, or empty (ignored without A).</param>
    /// <param name="d">Constant drift D, or empty.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Fold(ReadOnlySpan<float> eta, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d)
    {
        int n = Shape.Synapses;
        if (eta.Length != n) throw new ArgumentException($"eta has {eta.Length} values; the layer has {n} synapses.", nameof(eta));
        CheckOptional(a, n, nameof(a));
        CheckOptional(b, n, nameof(b));
        CheckOptional(c, n, nameof(c));
        CheckOptional(d, n, nameof(d));
        _block.Clear();
        Span<float> etaA = EtaA, negEtaAC = NegEtaAC, etaB = EtaB, etaD = EtaD;
        for (int i = 0; i < Shape.Rows; i++)
        {
            for (int j = 0; j < Shape.Columns; j++)
            {
                int g = i * Shape.Columns + j, s = Shape.Index(i, j);
                float e = eta[g];
                float ea = a.IsEmpty ? 0f : e * a[g];
                etaA[s] = ea;
                negEtaAC[s] = c.IsEmpty ? 0f : -(ea * c[g]);
                etaB[s] = b.IsEmpty ? 0f : e * b[g];
                etaD[s] = d.IsEmpty ? 0f : e * d[g];
            }
        }
        if (Precision == CoefficientPrecision.BFloat16) RoundAndPack();
    }

    /// <summary>Rounds every coefficient to bfloat16 in place and writes the packed pairs the pass reads.</summary>
    private void RoundAndPack()
    {
        Span<float> etaA = EtaA, negEtaAC = NegEtaAC, etaB = EtaB, etaD = EtaD;
        Span<uint> cooperation = CooperationPairs, presynaptic = PresynapticPairs;
        for (int s = 0; s < etaA.Length; s++)
        {
            ushort ea = BFloat16.Round(etaA[s]), nac = BFloat16.Round(negEtaAC[s]), eb = BFloat16.Round(etaB[s]), ed = BFloat16.Round(etaD[s]);
            (etaA[s], negEtaAC[s], etaB[s], etaD[s]) = (BFloat16.Widen(ea), BFloat16.Widen(nac), BFloat16.Widen(eb), BFloat16.Widen(ed));
            cooperation[s] = BFloat16.Pack(ea, nac);
            presynaptic[s] = BFloat16.Pack(eb, ed);
        }
    }

    private static void CheckOptional(ReadOnlySpan<float> values, int n, string name)
    {
        if (!values.IsEmpty && values.Length != n)
            throw new ArgumentException($"{name} has {values.Length} values; the layer has {n} synapses (or pass none).", name);
    }
}

/// <summary>
/// The evolved rule of a whole two-layer network: term set plus both layers' folded coefficients.
/// Genome layout (the reference's): layer 1 then layer 2; within a layer, one dense row-major (pre x post) matrix
/// per parameter of <see cref="PdlfTermSetExtensions.Parameters"/> in that order (eta, A, B, C, D for ABCD).
/// Built once per individual (or per worker, reloaded per individual) and shared read-only by its episodes.
/// </summary>
public sealed class PdlfCoefficients
{
    /// <summary>Allocates zero coefficients for both layers of <paramref name="spec"/>; fill them with <see cref="Load"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is not a <see cref="NetworkVariant.Pdlf"/> network.</exception>
    public PdlfCoefficients(NetworkSpec spec, PdlfTermSet terms) : this(spec, terms, CoefficientPrecision.Single) { }

    /// <summary>
    /// Allocates zero coefficients for both layers of <paramref name="spec"/>, stored at <paramref name="precision"/>
    /// (<see cref="CoefficientPrecision.BFloat16"/>: an opt-in that rounds the rule, see <see cref="PdlfLayerCoefficients.Precision"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is not a <see cref="NetworkVariant.Pdlf"/> network.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="precision"/> is undefined.</exception>
    public PdlfCoefficients(NetworkSpec spec, PdlfTermSet terms, CoefficientPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Variant != NetworkVariant.Pdlf)
            throw new ArgumentException($"PDLF coefficients need a {NetworkVariant.Pdlf} network, not {spec.Variant}.", nameof(spec));
        Spec = spec;
        Terms = terms;
        Input = new PdlfLayerCoefficients(spec.Input, precision);
        Output = new PdlfLayerCoefficients(spec.Output, precision);
    }

    /// <summary>How both layers store their coefficients.</summary>
    public CoefficientPrecision Precision => Input.Precision;

    /// <summary>The network the rule was built for.</summary>
    public NetworkSpec Spec { get; }
    /// <summary>Which terms the genome holds; <see cref="PdlfNetwork.Step"/> picks the matching operator struct.</summary>
    public PdlfTermSet Terms { get; }
    /// <summary>Layer 1 (input to hidden) coefficients, <see cref="NetworkSpec.Input"/> layout.</summary>
    public PdlfLayerCoefficients Input { get; }
    /// <summary>Layer 2 (hidden to output) coefficients, <see cref="NetworkSpec.Output"/> layout.</summary>
    public PdlfLayerCoefficients Output { get; }

    /// <summary>Genome floats: parameters per synapse (5, 4 or 3) x <see cref="NetworkSpec.Synapses"/>.</summary>
    public static int GenomeLength(NetworkSpec spec, PdlfTermSet terms) => terms.Parameters().Length * spec.Synapses;
    /// <summary>Genome floats for this rule (see <see cref="GenomeLength(NetworkSpec, PdlfTermSet)"/>).</summary>
    public int GenomeLength() => GenomeLength(Spec, Terms);

    /// <summary>Folds an individual's genome into both layers' coefficients. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="genome"/> is not <see cref="GenomeLength()"/> long.</exception>
    public void Load(ReadOnlySpan<float> genome)
    {
        if (genome.Length != GenomeLength())
            throw new ArgumentException($"Genome has {genome.Length} values; a {Spec} network with {Terms} terms needs {GenomeLength()}.", nameof(genome));
        int offset = LoadLayer(Input, genome, 0);
        LoadLayer(Output, genome, offset);
    }

    private int LoadLayer(PdlfLayerCoefficients layer, ReadOnlySpan<float> genome, int offset)
    {
        int n = layer.Shape.Synapses;
        ReadOnlySpan<float> eta = default, a = default, b = default, c = default, d = default;
        foreach (var p in Terms.Parameters())
        {
            var slice = genome.Slice(offset, n);
            offset += n;
            switch (p)
            {
                case PdlfParameter.Eta: eta = slice; break;
                case PdlfParameter.A: a = slice; break;
                case PdlfParameter.B: b = slice; break;
                case PdlfParameter.C: c = slice; break;
                default: d = slice; break;
            }
        }
        layer.Fold(eta, a, b, c, d);
        return offset;
    }
}

/// <summary>How PDLF rule coefficients are stored for the plasticity pass.</summary>
public enum CoefficientPrecision
{
    /// <summary>float, as folded: the reference's numbers (the default).</summary>
    Single,
    /// <summary>
    /// bfloat16 (8 significant bits, float's range), an opt-in: each folded coefficient is rounded once (relative
    /// error at most 2^-8), and the pass reads half the coefficient bytes. Results differ from single precision; they
    /// are still the same bits on every vector width.
    /// </summary>
    BFloat16,
}
