using PdlfFast.Kernel.Network;
using PdlfFast.Kernel.Recurrent;
using PdlfFast.Kernel.Simd;
using PdlfFast.Rules.Pdlf;

namespace PdlfFast.Tasks.Copy;

/// <summary>Which working-memory model runs (docs/design.md, "Network and neuron model").</summary>
public enum MemoryModel
{
    /// <summary>Plastic LIF path (PDLF rule, fast weights from zero) plus a GRU + dense branch; readouts summed.</summary>
    Pdlf,
    /// <summary>The GRU + dense branch alone, weights evolved directly: the baseline.</summary>
    Gru,
    /// <summary>The plastic LIF path alone.</summary>
    PlasticSnn,
    /// <summary>
    /// The same LIF network (3-H-1) with its weights evolved directly and no plasticity: the paper's directly trained
    /// SNN, whose only memory is membrane charge (docs/design.md, "Paper probes").
    /// </summary>
    DirectSnn,
}

/// <summary>
/// One individual's working-memory network: 3 inputs -> plastic 3-H-1 PDLF network and/or GRU(H) + dense(1), outputs
/// summed. Genome: the PDLF rule's parameters (if any) followed by the GRU's (if any). Shared read-only by episodes.
/// </summary>
/// <remarks>
/// Layouts are docs/design.md's ("Network and neuron model"): the rule part is <see cref="PdlfCoefficients"/>'s
/// (per parameter a dense pre x post matrix, layer 1 then layer 2), the GRU part is <see cref="GruParameters"/>'s.
/// With H = 128 and the ABCD rule the plastic part has 5 x (3 x 128 + 128 x 1) = 2,560 parameters and the GRU branch
/// 50,945. <see cref="Load"/> writes the coefficients; between loads the network is read-only and may be shared by
/// any number of <see cref="WorkingMemoryState"/>s and <see cref="WorkingMemoryBatch"/>es on different threads.
/// </remarks>
public sealed class WorkingMemoryNetwork
{
    /// <summary>Allocates the parts <paramref name="model"/> needs; weights and coefficients are zero until <see cref="Load"/>.</summary>
    /// <param name="model">Which paths run: plastic SNN, GRU or both.</param>
    /// <param name="hiddenSize">H: LIF neurons of the plastic path and GRU units (the same H for both).</param>
    /// <param name="terms">Terms of the PDLF rule (ignored by <see cref="MemoryModel.Gru"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="model"/> is not a defined value.</exception>
    public WorkingMemoryNetwork(MemoryModel model, int hiddenSize = 128, PdlfTermSet terms = PdlfTermSet.Abcd)
    {
        if (!Enum.IsDefined(model)) throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown memory model.");
        Model = model;
        HiddenSize = hiddenSize;
        // The directly trained SNN uses the reference's direct-weight LIF variant (its baseline's neuron constants).
        Snn = new NetworkSpec(CopyTask.Channels, hiddenSize, 1, model == MemoryModel.DirectSnn ? NetworkVariant.DirectWeight : NetworkVariant.Pdlf);
        if (model is MemoryModel.Pdlf or MemoryModel.PlasticSnn) Rule = new PdlfCoefficients(Snn, terms);
        if (model is MemoryModel.Pdlf or MemoryModel.Gru) Gru = new GruParameters(CopyTask.Channels, hiddenSize);
        if (model == MemoryModel.DirectSnn) Direct = new DirectWeightParameters(Snn);
    }

    /// <summary>Which paths this network runs.</summary>
    public MemoryModel Model { get; }
    /// <summary>H: plastic LIF neurons and GRU units.</summary>
    public int HiddenSize { get; }
    /// <summary>Shape of the plastic path, 3-H-1 (described even when <see cref="Model"/> has no plastic path).</summary>
    public NetworkSpec Snn { get; }
    /// <summary>The plastic path's rule coefficients after <see cref="Load"/>; null for <see cref="MemoryModel.Gru"/>.</summary>
    public PdlfCoefficients? Rule { get; }
    /// <summary>The GRU branch's weights after <see cref="Load"/>; null for <see cref="MemoryModel.PlasticSnn"/>.</summary>
    public GruParameters? Gru { get; }
    /// <summary>The directly evolved SNN's weights after <see cref="Load"/>; null except for <see cref="MemoryModel.DirectSnn"/>.</summary>
    public DirectWeightParameters? Direct { get; }

    /// <summary>The genome length of a network, computed without building it (for memory estimates).</summary>
    /// <param name="model">Which paths run.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="terms">Terms of the PDLF rule.</param>
    public static long GenomeLengthOf(MemoryModel model, int hiddenSize, PdlfTermSet terms)
    {
        var spec = new NetworkSpec(CopyTask.Channels, hiddenSize, 1, model == MemoryModel.DirectSnn ? NetworkVariant.DirectWeight : NetworkVariant.Pdlf);
        return (model is MemoryModel.Pdlf or MemoryModel.PlasticSnn ? (long)PdlfCoefficients.GenomeLength(spec, terms) : 0)
            + (model is MemoryModel.Pdlf or MemoryModel.Gru ? GruParameters.GenomeLength(CopyTask.Channels, hiddenSize) : 0)
            + (model == MemoryModel.DirectSnn ? DirectWeightParameters.GenomeLength(spec) : 0);
    }

    /// <summary>Genome values of the SNN path (the PDLF rule, or the direct-weight SNN's weights and biases): the first <see cref="RuleLength"/> values of a genome (0 for the GRU alone).</summary>
    public int RuleLength => Rule?.GenomeLength() ?? (Direct is null ? 0 : DirectWeightParameters.GenomeLength(Direct.Spec));
    /// <summary>Total genome length: rule part, then GRU part. The ES searches this many parameters.</summary>
    public int GenomeLength => RuleLength + (Gru?.GenomeLength() ?? 0);

    /// <summary>
    /// Loads an individual: folds the rule part into the stored coefficients and copies the GRU part. Not thread-safe
    /// with states of this network stepping at the same time; one worker loads, then steps.
    /// </summary>
    /// <param name="genome">Exactly <see cref="GenomeLength"/> values.</param>
    /// <exception cref="ArgumentException">The genome has the wrong length.</exception>
    public void Load(ReadOnlySpan<float> genome)
    {
        if (genome.Length != GenomeLength)
            throw new ArgumentException($"Genome has {genome.Length} values; the {Model} working-memory network with {HiddenSize} units needs {GenomeLength}.", nameof(genome));
        Rule?.Load(genome[..RuleLength]);
        Direct?.Load(genome[..RuleLength]);
        Gru?.Load(genome[RuleLength..]);
    }
}

/// <summary>One sequence's state: the SNN's membranes, traces and fast weights and the GRU's hidden state.</summary>
/// <remarks>Mutable and single-threaded: one per running sequence (or per worker, reset between sequences).</remarks>
public sealed class WorkingMemoryState
{
    private readonly float[] _snnOutput = new float[1];

    /// <summary>Allocates the state of one sequence of <paramref name="network"/>, all zero (call <see cref="Reset"/> between sequences).</summary>
    /// <param name="network">The network whose coefficients the steps read.</param>
    public WorkingMemoryState(WorkingMemoryNetwork network)
    {
        Network = network;
        if (network.Rule is not null || network.Direct is not null) Snn = new NetworkState(network.Snn);
        if (network.Gru is not null) Gru = new GruState(network.Gru);
    }

    /// <summary>The network this state runs.</summary>
    public WorkingMemoryNetwork Network { get; }
    /// <summary>The plastic path's membranes, spike traces and fast weights (for recorders and plots); null without a plastic path.</summary>
    public NetworkState? Snn { get; }
    /// <summary>The GRU's hidden state; null for <see cref="MemoryModel.PlasticSnn"/>.</summary>
    public GruState? Gru { get; }

    /// <summary>A new sequence: fast weights back to zero, all activity cleared (fast weights are per sequence).</summary>
    public void Reset()
    {
        Snn?.Reset();
        Gru?.Reset();
    }

    /// <summary>The activity-reset probe: zero membranes, traces and the GRU state, keep the fast weights.</summary>
    public void ResetActivity()
    {
        Snn?.ResetActivity();
        Gru?.Reset();
    }

    /// <summary>One step; returns the summed readout. Allocates nothing.</summary>
    /// <param name="input"><see cref="CopyTask.Channels"/> values (<see cref="CopyTask.Input"/>).</param>
    /// <param name="width">Vector width of the kernels; every width gives the same bits (docs/design.md, "Vector paths and determinism").</param>
    public float Step(ReadOnlySpan<float> input, SimdWidth width = SimdWidth.Auto)
    {
        float output = 0f;
        if (Snn is not null)
        {
            if (Network.Direct is { } direct) DirectWeightNetwork.Step(Snn, direct, input, _snnOutput, width);
            else PdlfNetwork.Step(Snn, Network.Rule!, input, _snnOutput, width);
            output += _snnOutput[0];
        }
        if (Gru is not null) output += PdlfFast.Kernel.Recurrent.Gru.Step(Gru, Network.Gru!, input, width);
        return output;
    }

    /// <summary>Scalar twin of <see cref="Step"/> (every kernel's scalar twin): the same bits without vector code, for tests and benchmarks.</summary>
    /// <param name="input"><see cref="CopyTask.Channels"/> values.</param>
    public float StepScalar(ReadOnlySpan<float> input)
    {
        float output = 0f;
        if (Snn is not null)
        {
            // The direct-weight step's scalar path is its own twin (bit-identical, tested in the kernel tests).
            if (Network.Direct is { } direct) DirectWeightNetwork.Step(Snn, direct, input, _snnOutput, SimdWidth.Scalar);
            else PdlfNetwork.StepScalar(Snn, Network.Rule!, input, _snnOutput);
            output += _snnOutput[0];
        }
        if (Gru is not null) output += PdlfFast.Kernel.Recurrent.Gru.StepScalar(Gru, Network.Gru!, input);
        return output;
    }
}

/// <summary>
/// A batch of independent sequences run in lock-step (the copy task's sequences share one timeline): one SNN state per
/// sequence, one batched GRU. Every sequence's output equals what <see cref="WorkingMemoryState"/> would give.
/// </summary>
/// <remarks>
/// Batching is only a speed-up (the GRU's weights are read once per step for the whole batch); each sequence keeps its
/// own fast weights, as in docs/design.md's deliberate deviation. Mutable and single-threaded: one per worker.
/// </remarks>
public sealed class WorkingMemoryBatch
{
    private readonly float[] _snnOutput = new float[1];
    private readonly float[] _gruOutputs;

    /// <summary>Allocates <paramref name="batch"/> sequences' states of <paramref name="network"/>.</summary>
    /// <param name="network">The network whose coefficients the steps read.</param>
    /// <param name="batch">Sequences stepped together, at least 1.</param>
    public WorkingMemoryBatch(WorkingMemoryNetwork network, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Network = network;
        Batch = batch;
        Inputs = new float[batch * CopyTask.Channels];
        Outputs = new float[batch];
        _gruOutputs = new float[batch];
        if (network.Rule is not null || network.Direct is not null) Snn = Enumerable.Range(0, batch).Select(_ => new NetworkState(network.Snn)).ToArray();
        if (network.Gru is not null) Gru = new GruBatchState(network.Gru, batch);
    }

    /// <summary>The network this batch runs.</summary>
    public WorkingMemoryNetwork Network { get; }
    /// <summary>Sequences in the batch.</summary>
    public int Batch { get; }
    /// <summary>One plastic-path state per sequence; null without a plastic path.</summary>
    public NetworkState[]? Snn { get; }
    /// <summary>The GRU hidden states of all sequences; null for <see cref="MemoryModel.PlasticSnn"/>.</summary>
    public GruBatchState? Gru { get; }
    /// <summary>Batch rows of <see cref="CopyTask.Channels"/> inputs for the next step.</summary>
    public float[] Inputs { get; }
    /// <summary>Each sequence's summed readout after the last <see cref="Step"/> (<see cref="Batch"/> values).</summary>
    public float[] Outputs { get; }

    /// <summary>New sequences in every row: fast weights back to zero, all activity cleared.</summary>
    public void Reset()
    {
        if (Snn is not null) foreach (var s in Snn) s.Reset();
        Gru?.Reset();
    }

    /// <summary>The paper's probe: zeros the LIF membrane potentials of the first <paramref name="sequences"/> sequences (nothing else).</summary>
    /// <param name="sequences">How many sequences, from the first; more than <see cref="Batch"/> means all.</param>
    public void ResetMembranes(int sequences = int.MaxValue)
    {
        if (Snn is null) return;
        sequences = Math.Min(sequences, Batch);
        for (int b = 0; b < sequences; b++) Snn[b].Membrane.Clear();
    }

    /// <summary>The activity-reset probe for the first <paramref name="sequences"/> sequences of the batch (all by default).</summary>
    /// <param name="sequences">How many leading rows to wipe (membranes, traces, GRU state); fast weights are kept.</param>
    public void ResetActivity(int sequences = int.MaxValue)
    {
        sequences = Math.Min(sequences, Batch);
        for (int b = 0; b < sequences; b++)
        {
            Snn?[b].ResetActivity();
            Gru?.ResetSequence(b);
        }
    }

    /// <summary>Steps every sequence once, reading <see cref="Inputs"/> and writing <see cref="Outputs"/>. Allocates nothing.</summary>
    /// <param name="width">Vector width of the kernels; every width gives the same bits.</param>
    public void Step(SimdWidth width = SimdWidth.Auto)
    {
        int channels = CopyTask.Channels;
        if (Snn is not null)
        {
            for (int b = 0; b < Batch; b++)
            {
                var input = Inputs.AsSpan(b * channels, channels);
                if (Network.Direct is { } direct) DirectWeightNetwork.Step(Snn[b], direct, input, _snnOutput, width);
                else PdlfNetwork.Step(Snn[b], Network.Rule!, input, _snnOutput, width);
                Outputs[b] = _snnOutput[0];
            }
        }
        else
        {
            Array.Clear(Outputs);
        }
        if (Gru is not null)
        {
            PdlfFast.Kernel.Recurrent.Gru.StepBatch(Gru, Network.Gru!, Inputs, _gruOutputs, width);
            for (int b = 0; b < Batch; b++) Outputs[b] += _gruOutputs[b];
        }
    }
}
