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
}

/// <summary>
/// One individual's working-memory network: 3 inputs -> plastic 3-H-1 PDLF network and/or GRU(H) + dense(1), outputs
/// summed. Genome: the PDLF rule's parameters (if any) followed by the GRU's (if any). Shared read-only by episodes.
/// </summary>
public sealed class WorkingMemoryNetwork
{
    public WorkingMemoryNetwork(MemoryModel model, int hiddenSize = 128, PdlfTermSet terms = PdlfTermSet.Abcd)
    {
        if (!Enum.IsDefined(model)) throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown memory model.");
        Model = model;
        HiddenSize = hiddenSize;
        Snn = new NetworkSpec(CopyTask.Channels, hiddenSize, 1);
        if (model != MemoryModel.Gru) Rule = new PdlfCoefficients(Snn, terms);
        if (model != MemoryModel.PlasticSnn) Gru = new GruParameters(CopyTask.Channels, hiddenSize);
    }

    public MemoryModel Model { get; }
    public int HiddenSize { get; }
    public NetworkSpec Snn { get; }
    public PdlfCoefficients? Rule { get; }
    public GruParameters? Gru { get; }

    /// <summary>The genome length of a network, computed without building it (for memory estimates).</summary>
    public static long GenomeLengthOf(MemoryModel model, int hiddenSize, PdlfTermSet terms) =>
        (model != MemoryModel.Gru ? (long)PdlfCoefficients.GenomeLength(new NetworkSpec(CopyTask.Channels, hiddenSize, 1), terms) : 0)
        + (model != MemoryModel.PlasticSnn ? GruParameters.GenomeLength(CopyTask.Channels, hiddenSize) : 0);

    public int RuleLength => Rule?.GenomeLength() ?? 0;
    public int GenomeLength => RuleLength + (Gru?.GenomeLength() ?? 0);

    public void Load(ReadOnlySpan<float> genome)
    {
        if (genome.Length != GenomeLength)
            throw new ArgumentException($"Genome has {genome.Length} values; the {Model} working-memory network with {HiddenSize} units needs {GenomeLength}.", nameof(genome));
        Rule?.Load(genome[..RuleLength]);
        Gru?.Load(genome[RuleLength..]);
    }
}

/// <summary>One sequence's state: the SNN's membranes, traces and fast weights and the GRU's hidden state.</summary>
public sealed class WorkingMemoryState
{
    private readonly float[] _snnOutput = new float[1];

    public WorkingMemoryState(WorkingMemoryNetwork network)
    {
        Network = network;
        if (network.Rule is not null) Snn = new NetworkState(network.Snn);
        if (network.Gru is not null) Gru = new GruState(network.Gru);
    }

    public WorkingMemoryNetwork Network { get; }
    public NetworkState? Snn { get; }
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
    public float Step(ReadOnlySpan<float> input, SimdWidth width = SimdWidth.Auto)
    {
        float output = 0f;
        if (Snn is not null)
        {
            PdlfNetwork.Step(Snn, Network.Rule!, input, _snnOutput, width);
            output += _snnOutput[0];
        }
        if (Gru is not null) output += PdlfFast.Kernel.Recurrent.Gru.Step(Gru, Network.Gru!, input, width);
        return output;
    }

    /// <summary>Scalar twin of <see cref="Step"/> (every kernel's scalar twin).</summary>
    public float StepScalar(ReadOnlySpan<float> input)
    {
        float output = 0f;
        if (Snn is not null)
        {
            PdlfNetwork.StepScalar(Snn, Network.Rule!, input, _snnOutput);
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
public sealed class WorkingMemoryBatch
{
    private readonly float[] _snnOutput = new float[1];
    private readonly float[] _gruOutputs;

    public WorkingMemoryBatch(WorkingMemoryNetwork network, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Network = network;
        Batch = batch;
        Inputs = new float[batch * CopyTask.Channels];
        Outputs = new float[batch];
        _gruOutputs = new float[batch];
        if (network.Rule is not null) Snn = Enumerable.Range(0, batch).Select(_ => new NetworkState(network.Snn)).ToArray();
        if (network.Gru is not null) Gru = new GruBatchState(network.Gru, batch);
    }

    public WorkingMemoryNetwork Network { get; }
    public int Batch { get; }
    public NetworkState[]? Snn { get; }
    public GruBatchState? Gru { get; }
    /// <summary>Batch rows of <see cref="CopyTask.Channels"/> inputs for the next step.</summary>
    public float[] Inputs { get; }
    public float[] Outputs { get; }

    public void Reset()
    {
        if (Snn is not null) foreach (var s in Snn) s.Reset();
        Gru?.Reset();
    }

    /// <summary>The activity-reset probe for the first <paramref name="sequences"/> sequences of the batch (all by default).</summary>
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
    public void Step(SimdWidth width = SimdWidth.Auto)
    {
        int channels = CopyTask.Channels;
        if (Snn is not null)
        {
            for (int b = 0; b < Batch; b++)
            {
                PdlfNetwork.Step(Snn[b], Network.Rule!, Inputs.AsSpan(b * channels, channels), _snnOutput, width);
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
