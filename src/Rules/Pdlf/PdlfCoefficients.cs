using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Memory;
using PdlfFast.Kernel.Network;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// One layer's folded rule coefficients (see <see cref="IPdlfTerms"/>) in the layer's storage layout, zero in the
/// row padding. Built once per individual from its genome and shared read-only by all of its episodes.
/// </summary>
public sealed class PdlfLayerCoefficients
{
    private readonly AlignedBlock _block;
    private readonly BlockSegment _etaA, _negEtaAC, _etaB, _etaD;

    public PdlfLayerCoefficients(LayerShape shape)
    {
        Shape = shape;
        var layout = new BlockLayout();
        _etaA = layout.Reserve(shape.StorageLength);
        _negEtaAC = layout.Reserve(shape.StorageLength);
        _etaB = layout.Reserve(shape.StorageLength);
        _etaD = layout.Reserve(shape.StorageLength);
        _block = new AlignedBlock(layout.Total);
    }

    public LayerShape Shape { get; }
    public Span<float> EtaA => _block.Segment(_etaA);
    public Span<float> NegEtaAC => _block.Segment(_negEtaAC);
    public Span<float> EtaB => _block.Segment(_etaB);
    public Span<float> EtaD => _block.Segment(_etaD);

    /// <summary>
    /// Folds dense row-major (pre x post) parameter matrices into coefficients. Missing terms are passed empty and
    /// read as zero. Each non-empty span must hold <see cref="LayerShape.Synapses"/> values.
    /// </summary>
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
/// </summary>
public sealed class PdlfCoefficients
{
    public PdlfCoefficients(NetworkSpec spec, PdlfTermSet terms)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Variant != NetworkVariant.Pdlf)
            throw new ArgumentException($"PDLF coefficients need a {NetworkVariant.Pdlf} network, not {spec.Variant}.", nameof(spec));
        Spec = spec;
        Terms = terms;
        Input = new PdlfLayerCoefficients(spec.Input);
        Output = new PdlfLayerCoefficients(spec.Output);
    }

    public NetworkSpec Spec { get; }
    public PdlfTermSet Terms { get; }
    public PdlfLayerCoefficients Input { get; }
    public PdlfLayerCoefficients Output { get; }

    public static int GenomeLength(NetworkSpec spec, PdlfTermSet terms) => terms.Parameters().Length * spec.Synapses;
    public int GenomeLength() => GenomeLength(Spec, Terms);

    /// <summary>Folds an individual's genome. Allocates nothing.</summary>
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
