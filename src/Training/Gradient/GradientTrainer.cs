using System.Diagnostics;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.SpikePropamine;
using PdlfFast.Training.Evolution;
using PdlfFast.Training.Workers;

namespace PdlfFast.Training.Gradient;

/// <summary>
/// A supervised sequence task for gradient training. Implementations are structs whose methods depend only on their
/// arguments, so workers may call them concurrently.
/// </summary>
/// <remarks>
/// A struct type argument makes <see cref="GradientTrainer{TTask}"/> and <see cref="SequenceEvaluator{TTask}"/>
/// specialised for the task (direct, inlinable calls), as for <see cref="IFitnessEvaluator{TWorker}"/>. Neither
/// method may allocate: they run once per episode on the training threads. The copy and cue tasks of PdlfFast.Tasks
/// implement it (docs/design.md, "Tasks").
/// </remarks>
public interface ISequenceTask
{
    /// <summary>Input channels per step (must equal the network's <see cref="PlasticSnnSpec.Inputs"/>).</summary>
    int Inputs { get; }
    /// <summary>Outputs per step (must equal the network's <see cref="PlasticSnnSpec.Outputs"/>).</summary>
    int Outputs { get; }
    /// <summary>Steps of every episode.</summary>
    int Steps { get; }
    /// <summary>Floats an episode's targets take (whatever <see cref="Loss"/> needs).</summary>
    int TargetLength { get; }
    /// <summary>
    /// Draws an episode from <paramref name="random"/>: inputs (Steps x Inputs, row-major) and targets
    /// (<see cref="TargetLength"/> floats). Everything random must come from <paramref name="random"/>, so an episode
    /// is a pure function of its stream.
    /// </summary>
    void Sample(ref RandomStream random, Span<float> inputs, Span<float> targets);
    /// <summary>
    /// Loss of an episode's outputs (Steps x Outputs); writes dLoss/dOutputs and the episode's accuracy in [0, 1]
    /// (1 or 0 for a single answer, the fraction of answers right for several).
    /// </summary>
    float Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> outputGradient, out float accuracy);
}

/// <summary>Minibatch size, Adam step size, gradient-norm clip, threads, seed, and parts kept fixed.</summary>
/// <param name="BatchSize">Episodes per step, 1 .. 65536; their gradients are averaged.</param>
/// <param name="LearningRate">Adam's step size, in (0, 10) (the Backpropamine code used 1e-4 to 3e-4; docs/design.md, "SpikePropamine plastic layers").</param>
/// <param name="ClipNorm">
/// Largest L2 norm of the averaged gradient; a larger one is scaled down to it (positive). A step whose norm is not
/// finite changes nothing but the step count.
/// </param>
/// <param name="Threads">Training threads (the calling thread included), 1 .. 1024; never changes a result.</param>
/// <param name="Seed">
/// Draws both the initial parameters (<see cref="PlasticSnnLayout.Initial"/>, unless given) and every training
/// episode (episode e of step s from its own stream), under separate stream purposes.
/// </param>
public sealed record GradientOptions(int BatchSize = 32, double LearningRate = 3e-3, float ClipNorm = 4f, int Threads = 1, ulong Seed = 1)
{
    /// <summary>Parts of the network not learned (their gradient is dropped), e.g. alpha for a non-plastic control.</summary>
    public IReadOnlySet<PlasticSnnPart> Frozen { get; init; } = new HashSet<PlasticSnnPart>();

    /// <summary>
    /// Steps whose activity is wiped in every training episode (the activity-reset probe, Start inclusive, End
    /// exclusive; default none): what must survive them has to be held in the plastic traces.
    /// </summary>
    public (int Start, int End) Silence { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (BatchSize is < 1 or > 1 << 16) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be in 1..65536.");
        if (!(LearningRate > 0 && LearningRate < 10)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Learning rate must be in (0, 10).");
        if (!(ClipNorm > 0)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "The gradient clip must be positive.");
        if (Threads is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be in 1..1024.");
    }
}

/// <summary>One training step's figures (loss and accuracy over the minibatch, gradient norm before clipping).</summary>
/// <param name="Step">Steps done, this one included (1-based).</param>
/// <param name="Loss">The minibatch's mean loss before the update.</param>
/// <param name="Accuracy">The minibatch's mean accuracy in [0, 1] before the update.</param>
/// <param name="GradientNorm">L2 norm of the averaged gradient before clipping; not finite: the update was skipped.</param>
/// <param name="Seconds">Wall seconds of the step.</param>
public readonly record struct GradientStepReport(int Step, float Loss, float Accuracy, float GradientNorm, double Seconds);

/// <summary>
/// Backpropagation through time for a <see cref="PlasticSnnSpec"/> network on an <see cref="ISequenceTask"/>:
/// each step draws a minibatch (episode e of step s from its own counter-based stream), runs forward and backward
/// on a pool of workers, sums the episodes' gradients in episode order (so a seed gives the same bits on any thread
/// count), clips the norm and applies Adam. Nothing is allocated per step after construction.
/// </summary>
/// <remarks>
/// docs/design.md, "SpikePropamine plastic layers". The constructor allocates one <see cref="PlasticSnnTape"/> and
/// episode buffers per thread, one gradient vector per minibatch episode and the pool's threads. One caller at a
/// time: <see cref="Step"/>, <see cref="Evaluate"/> and the state methods must not overlap; the calling thread works
/// as worker 0. A run is a pure function of the spec, the task, <see cref="Options"/> (thread count aside) and the
/// initial parameters, and continues bit for bit from <see cref="WriteState"/>.
/// </remarks>
/// <typeparam name="TTask">The task, a struct (see <see cref="ISequenceTask"/>).</typeparam>
public sealed class GradientTrainer<TTask> : IParallelJob, IDisposable where TTask : struct, ISequenceTask
{
    private const uint TrainPurpose = 81, TestPurpose = 82;
    private readonly TTask _task;
    private readonly WorkerPool _pool;
    private readonly PlasticSnnTape[] _tapes;
    private readonly float[][] _inputs, _targets, _outputs, _outputGradients;
    private readonly float[][] _episodeGradients;
    private readonly float[] _episodeLoss, _episodeAccuracy, _gradient;
    private readonly bool[] _learned;
    private int _next, _episodes, _step;
    private uint _purpose;
    private bool _backward;
    private ulong _streamSeed;

    /// <summary>A trainer at step 0.</summary>
    /// <param name="spec">The network; its input and output counts must be the task's.</param>
    /// <param name="task">The task, copied by value.</param>
    /// <param name="options">Batch, learning rate, clip, threads, seed, frozen parts and the silence probe; validated here.</param>
    /// <param name="initial">Starting parameters (copied; <see cref="PlasticSnnLayout.Length"/> values); null: <see cref="PlasticSnnLayout.Initial"/> of the seed.</param>
    /// <exception cref="ArgumentException">The task does not fit the network, or <paramref name="initial"/> has the wrong length.</exception>
    public GradientTrainer(PlasticSnnSpec spec, TTask task, GradientOptions options, float[]? initial = null)
    {
        options.Validate();
        if (task.Inputs != spec.Inputs || task.Outputs != spec.Outputs)
            throw new ArgumentException($"The task has {task.Inputs} inputs and {task.Outputs} outputs; the network {spec.Inputs} and {spec.Outputs}.", nameof(task));
        Layout = new PlasticSnnLayout(spec);
        _task = task;
        Options = options;
        ParameterBuffer = initial?.ToArray() ?? Layout.Initial(options.Seed);
        if (ParameterBuffer.Length != Layout.Length) throw new ArgumentException($"Initial parameters have {ParameterBuffer.Length} values; the network {Layout.Length}.", nameof(initial));
        Optimiser = new Adam(Layout.Length, options.LearningRate);
        _learned = new bool[Layout.Length];
        foreach (var part in Enum.GetValues<PlasticSnnPart>())
        {
            if (!Layout.Used(part) || options.Frozen.Contains(part)) continue;
            var (offset, length) = Layout[part];
            _learned.AsSpan(offset, length).Fill(true);
        }
        int threads = options.Threads;
        _pool = new WorkerPool(threads);
        _tapes = new PlasticSnnTape[threads];
        _inputs = new float[threads][];
        _targets = new float[threads][];
        _outputs = new float[threads][];
        _outputGradients = new float[threads][];
        for (int w = 0; w < threads; w++)
        {
            _tapes[w] = new PlasticSnnTape(spec, task.Steps);
            _inputs[w] = new float[task.Steps * task.Inputs];
            _targets[w] = new float[task.TargetLength];
            _outputs[w] = new float[task.Steps * task.Outputs];
            _outputGradients[w] = new float[task.Steps * task.Outputs];
        }
        _episodeGradients = new float[options.BatchSize][];
        for (int e = 0; e < options.BatchSize; e++) _episodeGradients[e] = new float[Layout.Length];
        _episodeLoss = new float[Math.Max(options.BatchSize, 1)];
        _episodeAccuracy = new float[Math.Max(options.BatchSize, 1)];
        _gradient = new float[Layout.Length];
    }

    /// <summary>Where each part of the network lives in <see cref="Parameters"/>.</summary>
    public PlasticSnnLayout Layout { get; }
    /// <summary>The options the trainer was built with.</summary>
    public GradientOptions Options { get; }
    /// <summary>
    /// The current parameters (<see cref="PlasticSnnLayout.Length"/> floats, laid out by <see cref="Layout"/>), as a
    /// read-only view that <see cref="Step"/> and <see cref="ReadState"/> update in place: copy it to keep a snapshot.
    /// </summary>
    public ReadOnlySpan<float> Parameters => ParameterBuffer;
    /// <summary>The parameters, writable: only the trainer writes them.</summary>
    internal float[] ParameterBuffer { get; }
    /// <summary>Adam on <see cref="ParameterBuffer"/>; its state is part of <see cref="WriteState"/>.</summary>
    internal Adam Optimiser { get; }
    /// <summary>Training steps done so far.</summary>
    public int StepCount => _step;
    /// <summary>The last step's clipped, averaged gradient.</summary>
    public ReadOnlySpan<float> Gradient => _gradient;

    /// <summary>
    /// One training step: draw the minibatch (episode e from stream (seed, step, e)), forward and backward on the
    /// threads, average the gradients in episode order (frozen and unused parts get zero), clip the norm to
    /// <see cref="GradientOptions.ClipNorm"/>, and take an Adam step unless the norm is not finite. Allocates nothing.
    /// </summary>
    public GradientStepReport Step()
    {
        long start = Stopwatch.GetTimestamp();
        RunEpisodes(Options.BatchSize, Options.Seed, TrainPurpose, backward: true);
        // Sum in episode order: the same bits whatever thread ran which episode.
        Array.Clear(_gradient);
        float loss = 0f, accuracy = 0f;
        for (int e = 0; e < Options.BatchSize; e++)
        {
            var g = _episodeGradients[e];
            for (int k = 0; k < g.Length; k++) _gradient[k] += g[k];
            loss += _episodeLoss[e];
            accuracy += _episodeAccuracy[e];
        }
        double squared = 0;
        float inverseBatch = 1f / Options.BatchSize;
        for (int k = 0; k < _gradient.Length; k++)
        {
            float g = _learned[k] ? _gradient[k] * inverseBatch : 0f;
            _gradient[k] = g;
            squared += (double)g * g;
        }
        float norm = (float)Math.Sqrt(squared);
        if (norm > Options.ClipNorm)
        {
            float scale = Options.ClipNorm / norm;
            for (int k = 0; k < _gradient.Length; k++) _gradient[k] *= scale;
        }
        if (float.IsFinite(norm)) Optimiser.Step(ParameterBuffer, _gradient);
        _step++;
        return new GradientStepReport(_step, loss * inverseBatch, accuracy * inverseBatch, norm,
            Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>
    /// Mean loss and accuracy of the current parameters on <paramref name="episodes"/> held-out episodes, drawn from
    /// <paramref name="seed"/> under another stream purpose than training. Episodes run in chunks of
    /// <see cref="GradientOptions.BatchSize"/> (chunk c from seed + c x batch), so which episodes are drawn depends on
    /// the batch size, never on the thread count. Changes nothing; allocates nothing.
    /// </summary>
    public (float Loss, float Accuracy) Evaluate(int episodes, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        double loss = 0, accuracy = 0;
        for (int first = 0; first < episodes; first += _episodeLoss.Length)
        {
            int count = Math.Min(_episodeLoss.Length, episodes - first);
            RunEpisodes(count, seed + (ulong)first, TestPurpose, backward: false);
            for (int e = 0; e < count; e++)
            {
                loss += _episodeLoss[e];
                accuracy += _episodeAccuracy[e];
            }
        }
        return ((float)(loss / episodes), (float)(accuracy / episodes));
    }

    private void RunEpisodes(int count, ulong seed, uint purpose, bool backward)
    {
        _episodes = count;
        _next = 0;
        _purpose = purpose;
        _backward = backward;
        _streamSeed = seed;
        _pool.Run(this);
    }

    /// <summary>Worker body: pulls episodes from a shared counter (IParallelJob).</summary>
    void IParallelJob.Execute(int worker)
    {
        var tape = _tapes[worker];
        var inputs = _inputs[worker];
        var targets = _targets[worker];
        var outputs = _outputs[worker];
        var outputGradient = _outputGradients[worker];
        int steps = _task.Steps;
        while (true)
        {
            int e = Interlocked.Increment(ref _next) - 1;
            if (e >= _episodes) return;
            var random = new RandomStream(_streamSeed, new StreamId(_purpose == TrainPurpose ? (uint)_step : 0u, 0, (uint)e, _purpose));
            _task.Sample(ref random, inputs, targets);
            tape.Forward(ParameterBuffer, inputs, steps, outputs, _backward ? Options.Silence : default);
            _episodeLoss[e] = _task.Loss(outputs, targets, outputGradient, out _episodeAccuracy[e]);
            if (!_backward) continue;
            var g = _episodeGradients[e];
            Array.Clear(g);
            tape.Backward(ParameterBuffer, outputGradient, g);
        }
    }

    /// <summary>Writes what a restored trainer needs to continue bit for bit: the step count, parameters and Adam's state.</summary>
    public void WriteState(BinaryWriter writer)
    {
        writer.Write(_step);
        StrategyChecks.WriteFloats(writer, ParameterBuffer);
        Optimiser.WriteState(writer);
    }

    /// <summary>Restores what <see cref="WriteState"/> wrote; throws <see cref="InvalidDataException"/> when it does not fit this network.</summary>
    public void ReadState(BinaryReader reader)
    {
        int step = reader.ReadInt32();
        if (step < 0) throw new InvalidDataException($"negative step count {step}");
        StrategyChecks.ReadFloats(reader, ParameterBuffer, "parameters");
        Optimiser.ReadState(reader);
        _step = step;
    }

    /// <summary>Stops the training threads.</summary>
    public void Dispose() => _pool.Dispose();
}
