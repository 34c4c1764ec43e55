using System.Numerics;
using System.Runtime.InteropServices;

namespace PdlfFast.Training.Evolution;

/// <summary>
/// Adam (Kingma and Ba 2015) on a parameter vector, minimising, as jax.example_libraries.optimizers.adam applies
/// it: <c>m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; x -= lr * m_hat / (sqrt(v_hat) + eps)</c>.
/// State is explicit (the two moment vectors and <see cref="Steps"/>, written by <see cref="WriteState"/>) so it can be
/// checkpointed. Each element is computed in double precision and the moments are stored rounded to float, element by
/// element with no reduction, so the result is the same bits on any machine, vector width or split of the parameters
/// over threads (docs/design.md, "Vector paths and determinism").
/// </summary>
/// <remarks>
/// Both evolution strategies run Adam on their mean (<see cref="OpenAiEs"/>, <see cref="Pgpe"/>) and the BPTT trainer
/// runs it on the network's parameters (<see cref="Gradient.GradientTrainer{TTask}"/>). The moments are internal: a host
/// sees Adam's state only through <see cref="WriteState"/>, so it cannot leave a moment vector out of step with
/// <see cref="Steps"/>. Not thread-safe, except as <see cref="Update"/> describes. The constructor allocates two float
/// arrays of the dimension; nothing else allocates.
/// </remarks>
public sealed class Adam
{
    /// <summary>An optimiser at step 0 (both moments zero) for <paramref name="dimension"/> parameters.</summary>
    /// <param name="dimension">Number of parameters, at least 1.</param>
    /// <param name="learningRate">Step size (lr), a positive finite number.</param>
    /// <param name="beta1">Decay of the first moment (mean of the gradient), in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment (mean of the squared gradient), in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator's square root so a zero second moment cannot divide by zero; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside the range given above.</exception>
    public Adam(int dimension, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a positive finite number.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        FirstMoment = new float[dimension];
        SecondMoment = new float[dimension];
    }

    /// <summary>Step size lr of the update <c>x -= lr * m_hat / (sqrt(v_hat) + eps)</c>.</summary>
    public double LearningRate { get; }
    /// <summary>Decay rate b1 of the first moment m.</summary>
    public double Beta1 { get; }
    /// <summary>Decay rate b2 of the second moment v.</summary>
    public double Beta2 { get; }
    /// <summary>eps of the update's denominator.</summary>
    public double Epsilon { get; }
    /// <summary>Number of parameters the optimiser was made for; every span passed in must have this length.</summary>
    public int Dimension => FirstMoment.Length;
    /// <summary>First-moment estimate m, one per parameter (rounded to float after each update).</summary>
    internal float[] FirstMoment { get; }
    /// <summary>Second-moment estimate v, one per parameter (rounded to float after each update).</summary>
    internal float[] SecondMoment { get; }
    /// <summary>
    /// Steps begun so far (<see cref="Advance"/> or <see cref="Step"/>); the bias corrections <c>1 - b^Steps</c> use it.
    /// Restored by <see cref="ReadState"/>, zeroed by <see cref="Reset"/>.
    /// </summary>
    public long Steps { get; private set; }

    /// <summary>
    /// One descent step of <paramref name="parameters"/> along <paramref name="gradient"/> (minimises: pass the negated
    /// gradient to ascend), on the calling thread: <see cref="Advance"/> and <see cref="Update"/> over the whole vector.
    /// </summary>
    /// <param name="parameters">Updated in place; length <see cref="Dimension"/>.</param>
    /// <param name="gradient">dLoss/dParameters; length <see cref="Dimension"/>.</param>
    /// <exception cref="ArgumentException">A span's length is not <see cref="Dimension"/>.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        if (parameters.Length != FirstMoment.Length || gradient.Length != FirstMoment.Length)
            throw new ArgumentException($"Adam has dimension {FirstMoment.Length}; got {parameters.Length} parameters and {gradient.Length} gradients.");
        Advance();
        Update(parameters, gradient, 0, parameters.Length);
    }

    /// <summary>
    /// Starts a step by incrementing <see cref="Steps"/>; <see cref="Update"/> then applies that step to any ranges of
    /// parameters. Call it once per step, on one thread, before any <see cref="Update"/> of the step.
    /// </summary>
    public void Advance() => Steps++;

    /// <summary>
    /// Applies the current step (<see cref="Steps"/>, begun by <see cref="Advance"/>) to parameters [start, end).
    /// Element-wise, so disjoint ranges may run on different threads at once and the result does not depend on how the
    /// vector was split; each element must be updated exactly once per step. Allocates nothing.
    /// </summary>
    /// <param name="parameters">The whole parameter vector (length <see cref="Dimension"/>); only [start, end) changes.</param>
    /// <param name="gradient">The whole gradient vector (length <see cref="Dimension"/>); only [start, end) is read.</param>
    /// <param name="start">First parameter of the range.</param>
    /// <param name="end">One past the last parameter of the range.</param>
    /// <exception cref="InvalidOperationException"><see cref="Advance"/> has never been called (<see cref="Steps"/> is 0).</exception>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradient, int start, int end)
    {
        if (Steps < 1) throw new InvalidOperationException("Call Advance before Update.");
        var x = parameters[start..end];
        var g = gradient[start..end];
        var m = FirstMoment.AsSpan(start, end - start);
        var v = SecondMoment.AsSpan(start, end - start);
        double correction1 = 1 - Math.Pow(Beta1, Steps), correction2 = 1 - Math.Pow(Beta2, Steps);
        int done = Vector.IsHardwareAccelerated ? UpdateVectors(x, g, m, v, correction1, correction2) : 0;
        UpdateScalar(x[done..], g[done..], m[done..], v[done..], correction1, correction2);
    }

    /// <summary>
    /// The whole vectors of <see cref="Update"/>'s range, lane-wise in double precision with the scalar loop's
    /// operations in its order (IEEE add, multiply, divide and square root, no FMA; float to double and back round as
    /// the casts do), so every width gives <see cref="UpdateScalar"/>'s bits. Returns how many elements it updated.
    /// Scalar, its three divisions and square root per element made Adam (with PGPE's sigma update) a third of a
    /// copy-task tell.
    /// </summary>
    private int UpdateVectors(Span<float> x, ReadOnlySpan<float> g, Span<float> m, Span<float> v, double correction1, double correction2)
    {
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        var beta1 = new Vector<double>(Beta1);
        var beta2 = new Vector<double>(Beta2);
        var keep1 = new Vector<double>(1 - Beta1);
        var keep2 = new Vector<double>(1 - Beta2);
        var c1 = new Vector<double>(correction1);
        var c2 = new Vector<double>(correction2);
        var rate = new Vector<double>(LearningRate);
        var epsilon = new Vector<double>(Epsilon);
        nuint i = 0, n = (nuint)x.Length, count = (nuint)Vector<float>.Count;
        for (; i + count <= n; i += count)
        {
            Vector.Widen(Vector.LoadUnsafe(ref gRef, i), out var gLow, out var gHigh);
            Vector.Widen(Vector.LoadUnsafe(ref mRef, i), out var mLow, out var mHigh);
            Vector.Widen(Vector.LoadUnsafe(ref vRef, i), out var vLow, out var vHigh);
            Vector.Widen(Vector.LoadUnsafe(ref xRef, i), out var xLow, out var xHigh);
            mLow = beta1 * mLow + keep1 * gLow;
            mHigh = beta1 * mHigh + keep1 * gHigh;
            vLow = beta2 * vLow + keep2 * gLow * gLow;
            vHigh = beta2 * vHigh + keep2 * gHigh * gHigh;
            Vector.Narrow(mLow, mHigh).StoreUnsafe(ref mRef, i);
            Vector.Narrow(vLow, vHigh).StoreUnsafe(ref vRef, i);
            xLow -= rate * (mLow / c1) / (Vector.SquareRoot(vLow / c2) + epsilon);
            xHigh -= rate * (mHigh / c1) / (Vector.SquareRoot(vHigh / c2) + epsilon);
            Vector.Narrow(xLow, xHigh).StoreUnsafe(ref xRef, i);
        }
        return (int)i;
    }

    /// <summary>The scalar twin of <see cref="Update"/>'s vectors (and its tail): the textbook loop, kept for tests.</summary>
    internal void UpdateScalar(Span<float> x, ReadOnlySpan<float> g, Span<float> m, Span<float> v, double correction1, double correction2)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double gradient = g[i];
            double first = Beta1 * m[i] + (1 - Beta1) * gradient;
            double second = Beta2 * v[i] + (1 - Beta2) * gradient * gradient;
            m[i] = (float)first;
            v[i] = (float)second;
            x[i] = (float)(x[i] - LearningRate * (first / correction1) / (Math.Sqrt(second / correction2) + Epsilon));
        }
    }

    /// <summary>
    /// Writes the moments and <see cref="Steps"/> (not the hyperparameters, which the restoring side sets in its
    /// constructor): what a restored optimiser needs to continue bit for bit.
    /// </summary>
    public void WriteState(BinaryWriter writer)
    {
        StrategyChecks.WriteFloats(writer, FirstMoment);
        StrategyChecks.WriteFloats(writer, SecondMoment);
        writer.Write(Steps);
    }

    /// <summary>Restores what <see cref="WriteState"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The stored moments are not of this optimiser's <see cref="Dimension"/>.</exception>
    /// <exception cref="EndOfStreamException">The state is truncated.</exception>
    public void ReadState(BinaryReader reader)
    {
        StrategyChecks.ReadFloats(reader, FirstMoment, "Adam first moment");
        StrategyChecks.ReadFloats(reader, SecondMoment, "Adam second moment");
        Steps = reader.ReadInt64();
    }

    /// <summary>Returns to step 0: both moments zero, as after construction; the hyperparameters stay.</summary>
    public void Reset()
    {
        Array.Clear(FirstMoment);
        Array.Clear(SecondMoment);
        Steps = 0;
    }
}
