using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PdlfFast.Kernel.Layers;
using PdlfFast.Kernel.Simd;

namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// One layer's plasticity step, fused with its normalisation (docs/design.md, "Network and neuron model" and "Memory layout and kernels"):
/// <code>
/// W      &lt;- scale * W + dW,   dW[i,j] = eta (A x[i] (y[j] - C) + B y[j] + D)   (TTerms picks the terms)
/// return max |W|
/// </code>
/// <c>scale</c> is the previous step's <c>1 / max|W|</c>: the caller stores W unnormalised and multiplies by the new
/// scale on use, so each synapse's W and coefficients are read once and W written once per step, with the max
/// tracked in the same pass. Rows are presynaptic (x broadcast), columns postsynaptic (y loaded as a vector).
/// Every stored column is updated, padding included: its coefficients are zero, so it stays zero while the
/// loop runs without a tail (<c>post</c> must therefore cover the stride, with finite padding).
/// </summary>
public static partial class PdlfRule
{
    /// <summary>
    /// Applies one plasticity step to a layer's stored weights, in place, and returns the new largest |W|, the input
    /// of <see cref="NormalisingScale"/>. Allocates nothing; <paramref name="width"/> changes only the speed.
    /// </summary>
    /// <typeparam name="TTerms">Which terms to apply; the JIT compiles a pass per term set.</typeparam>
    /// <param name="weights">Stored weights in <paramref name="coefficients"/>' <see cref="PdlfLayerCoefficients.Shape"/>.</param>
    /// <param name="coefficients">The layer's folded rule.</param>
    /// <param name="pre">Presynaptic activity x, at least Rows values.</param>
    /// <param name="post">Postsynaptic activity y, at least Stride values (padding finite, e.g. zero).</param>
    /// <param name="scale">The layer's current stored-to-effective multiplier (<c>1 / max|W|</c> of the previous step).</param>
    /// <param name="width">Vector width.</param>
    /// <returns>max |W| over the updated stored weights (0 if all are zero).</returns>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="width"/> is not accelerated here.</exception>
    public static float Apply<TTerms>(Span<float> weights, PdlfLayerCoefficients coefficients, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> post, float scale, SimdWidth width = SimdWidth.Auto) where TTerms : struct, IPdlfTerms
    {
        var shape = coefficients.Shape;
        Check(weights, shape, pre, post);
        bool packed = coefficients.Precision == CoefficientPrecision.BFloat16;
        return Vectorisation.Resolve(width) switch
        {
            SimdWidth.Vector512 when packed => ApplyCore<TTerms, Vec512, PackedPairs>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector512 => ApplyCore<TTerms, Vec512, SingleArrays>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector256 when packed => ApplyCore<TTerms, Vec256, PackedPairs>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector256 => ApplyCore<TTerms, Vec256, SingleArrays>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector128 when packed => ApplyCore<TTerms, Vec128, PackedPairs>(weights, coefficients, pre, post, scale),
            SimdWidth.Vector128 => ApplyCore<TTerms, Vec128, SingleArrays>(weights, coefficients, pre, post, scale),
            _ => ApplyScalar<TTerms>(weights, coefficients, pre, post, scale),
        };
    }

    /// <summary>
    /// Where the vector stages read the coefficients: a type parameter rather than a flag, so the JIT compiles each
    /// layout's pass on its own and the single-precision pass is the code it was before bfloat16 existed (a runtime
    /// flag measured 20 % slower at 256-1024-64).
    /// </summary>
    private interface ICoefficientLayout
    {
        static abstract bool Packed { get; }
    }

    /// <summary>Four float arrays (<see cref="CoefficientPrecision.Single"/>).</summary>
    private readonly struct SingleArrays : ICoefficientLayout
    {
        public static bool Packed => false;
    }

    /// <summary>Two arrays of bfloat16 pairs (<see cref="CoefficientPrecision.BFloat16"/>).</summary>
    private readonly struct PackedPairs : ICoefficientLayout
    {
        public static bool Packed => true;
    }

    private static float ApplyCore<TTerms, TVec, TLayout>(Span<float> weights, PdlfLayerCoefficients coefficients,
        ReadOnlySpan<float> pre, ReadOnlySpan<float> post, float scale)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        var shape = coefficients.Shape;
        var c = new Operands(weights, coefficients, pre, post);
        if (shape.Stride == 1 && shape.Rows >= TVec.Count)
            return ApplyColumn<TTerms, TVec, TLayout>(c, shape.Rows, scale);
        if (typeof(TVec) == typeof(Vec512) && shape.Stride == Vec256.Count)
            return ApplyRowPairs<TTerms, TLayout>(c, shape.Rows, scale);
        TVec scaleV = TVec.Broadcast(scale), maxV = TVec.Zero;
        Vec256 max256 = Vec256.Zero;
        Vec128 max128 = Vec128.Zero;
        float maxTail = 0f;
        nuint columns = (nuint)shape.Stride, rowStart = 0;
        for (int i = 0; i < shape.Rows; i++, rowStart += columns)
        {
            float xi = pre[i];
            TVec x = TVec.Broadcast(xi);
            nuint j = 0;
            maxV = UpdateWide<TTerms, TVec, TLayout>(c, rowStart, columns, x, scaleV, maxV, ref j);
            // Rows narrower than TVec (e.g. 8 outputs under AVX-512) finish with one narrower vector each, then
            // scalar; every stage performs the same lane-wise operations, so the result does not depend on the split.
            if (TVec.Count > Vec256.Count && j + (nuint)Vec256.Count <= columns)
            {
                max256 = Vec256.Max(max256, Vec256.Abs(Update<TTerms, Vec256, TLayout>(c, rowStart + j, Vec256.Broadcast(xi),
                    Vec256.Load(ref c.Post, j), Vec256.Broadcast(scale))));
                j += (nuint)Vec256.Count;
            }
            if (TVec.Count > Vec128.Count && j + (nuint)Vec128.Count <= columns)
            {
                max128 = Vec128.Max(max128, Vec128.Abs(Update<TTerms, Vec128, TLayout>(c, rowStart + j, Vec128.Broadcast(xi),
                    Vec128.Load(ref c.Post, j), Vec128.Broadcast(scale))));
                j += (nuint)Vec128.Count;
            }
            for (; j < columns; j++)
                maxTail = MathF.Max(maxTail, MathF.Abs(UpdateOne<TTerms>(c, rowStart + j, xi, Unsafe.Add(ref c.Post, j), scale)));
        }
        return MathF.Max(MathF.Max(TVec.MaxAcross(maxV), Vec256.MaxAcross(max256)), MathF.Max(Vec128.MaxAcross(max128), maxTail));
    }

    /// <summary>
    /// Running max |W| of a row pass, one accumulator per vector stage; combined once at the end by <see cref="Max"/>.
    /// </summary>
    private struct RowMaxima<TVec> where TVec : struct, IFloatVector<TVec>
    {
        public TVec Wide;
        public Vec256 Mid;
        public Vec128 Narrow;
        public float Tail;

        public readonly float Max =>
            MathF.Max(MathF.Max(TVec.MaxAcross(Wide), Vec256.MaxAcross(Mid)), MathF.Max(Vec128.MaxAcross(Narrow), Tail));
    }

    /// <summary>
    /// Updates the <paramref name="columns"/> stored synapses of one row (presynaptic value <paramref name="xi"/>) for
    /// the lock-step pass: the same stages and operations as ApplyCore's row loop, which keeps its own copy because
    /// routing the single-episode pass through this helper measured 5-12 % slower (ant_dir, AOT x86-64-v3; re-checked
    /// after UpdateWide held the row's references in locals).
    /// The lock-step tests hold the two to the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RowMaxima<TVec> UpdateRow<TTerms, TVec, TLayout>(in Operands c, nuint rowStart, nuint columns, float xi, float scale,
        RowMaxima<TVec> maxima) where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        TVec x = TVec.Broadcast(xi), scaleV = TVec.Broadcast(scale), maxV = maxima.Wide;
        nuint j = 0;
        maxima.Wide = UpdateWide<TTerms, TVec, TLayout>(c, rowStart, columns, x, scaleV, maxV, ref j);
        return UpdateRowTail<TTerms, TVec, TLayout>(c, rowStart, columns, j, xi, scale, maxima);
    }

    /// <summary>
    /// UpdateRow for two episodes of one rule (lock-step): the whole vectors of both rows in one loop that loads each
    /// coefficient vector once for the two, then each row's tail. Per synapse and episode, UpdateWide's operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (RowMaxima<TVec>, RowMaxima<TVec>) UpdateRowPair<TTerms, TVec>(in Operands first, in Operands second, nuint rowStart,
        nuint columns, float x0, float x1, float scale0, float scale1, RowMaxima<TVec> maxima0, RowMaxima<TVec> maxima1)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec>
    {
        ref float w0 = ref Unsafe.Add(ref first.W, rowStart);
        ref float w1 = ref Unsafe.Add(ref second.W, rowStart);
        ref float etaA = ref Unsafe.Add(ref first.EtaA, rowStart);
        ref float negEtaAC = ref Unsafe.Add(ref first.NegEtaAC, rowStart);
        ref float etaB = ref Unsafe.Add(ref first.EtaB, rowStart);
        ref float etaD = ref Unsafe.Add(ref first.EtaD, rowStart);
        ref float post0 = ref first.Post;
        ref float post1 = ref second.Post;
        TVec pre0 = TVec.Broadcast(x0), pre1 = TVec.Broadcast(x1), s0 = TVec.Broadcast(scale0), s1 = TVec.Broadcast(scale1);
        TVec max0 = maxima0.Wide, max1 = maxima1.Wide;
        nuint count = (nuint)TVec.Count, k = 0;
        for (; k + count <= columns; k += count)
        {
            TVec a = TTerms.UsesA ? TVec.Load(ref etaA, k) : TVec.Zero;
            TVec nac = TTerms.UsesA ? TVec.Load(ref negEtaAC, k) : TVec.Zero;
            TVec b = TTerms.UsesB ? TVec.Load(ref etaB, k) : TVec.Zero;
            TVec d = TVec.Load(ref etaD, k);
            TVec updated0 = TVec.Fma(TVec.Load(ref w0, k), s0, TTerms.Delta(pre0, TVec.Load(ref post0, k), a, nac, b, d));
            TVec.Store(updated0, ref w0, k);
            max0 = TVec.Max(max0, TVec.Abs(updated0));
            TVec updated1 = TVec.Fma(TVec.Load(ref w1, k), s1, TTerms.Delta(pre1, TVec.Load(ref post1, k), a, nac, b, d));
            TVec.Store(updated1, ref w1, k);
            max1 = TVec.Max(max1, TVec.Abs(updated1));
        }
        maxima0.Wide = max0;
        maxima1.Wide = max1;
        return (UpdateRowTail<TTerms, TVec, SingleArrays>(first, rowStart, columns, k, x0, scale0, maxima0),
            UpdateRowTail<TTerms, TVec, SingleArrays>(second, rowStart, columns, k, x1, scale1, maxima1));
    }

    /// <summary>The synapses of a row from <paramref name="j"/> on, after its whole vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RowMaxima<TVec> UpdateRowTail<TTerms, TVec, TLayout>(in Operands c, nuint rowStart, nuint columns, nuint j, float xi, float scale,
        RowMaxima<TVec> maxima) where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        // Rows narrower than TVec (e.g. 8 outputs under AVX-512) finish with one narrower vector each, then
        // scalar; every stage performs the same lane-wise operations, so the result does not depend on the split.
        if (TVec.Count > Vec256.Count && j + (nuint)Vec256.Count <= columns)
        {
            maxima.Mid = Vec256.Max(maxima.Mid, Vec256.Abs(Update<TTerms, Vec256, TLayout>(c, rowStart + j, Vec256.Broadcast(xi),
                Vec256.Load(ref c.Post, j), Vec256.Broadcast(scale))));
            j += (nuint)Vec256.Count;
        }
        if (TVec.Count > Vec128.Count && j + (nuint)Vec128.Count <= columns)
        {
            maxima.Narrow = Vec128.Max(maxima.Narrow, Vec128.Abs(Update<TTerms, Vec128, TLayout>(c, rowStart + j, Vec128.Broadcast(xi),
                Vec128.Load(ref c.Post, j), Vec128.Broadcast(scale))));
            j += (nuint)Vec128.Count;
        }
        for (; j < columns; j++)
            maxima.Tail = MathF.Max(maxima.Tail, MathF.Abs(UpdateOne<TTerms>(c, rowStart + j, xi, Unsafe.Add(ref c.Post, j), scale)));
        return maxima;
    }

    /// <summary>
    /// A single-output layer stores one synapse per row, so vectorise down the rows instead: x (the presynaptic
    /// vector) is loaded and the lone y broadcast. Same operations per synapse as the row path.
    /// </summary>
    private static float ApplyColumn<TTerms, TVec, TLayout>(in Operands c, int rows, float scale)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        float y = c.Post;
        TVec yV = TVec.Broadcast(y), scaleV = TVec.Broadcast(scale), maxV = TVec.Zero;
        float maxTail = 0f;
        nuint n = (nuint)rows, i = 0;
        for (; i + (nuint)TVec.Count <= n; i += (nuint)TVec.Count)
            maxV = TVec.Max(maxV, TVec.Abs(Update<TTerms, TVec, TLayout>(c, i, TVec.Load(ref c.Pre, i), yV, scaleV)));
        for (; i < n; i++)
            maxTail = MathF.Max(maxTail, MathF.Abs(UpdateOne<TTerms>(c, i, Unsafe.Add(ref c.Pre, i), y, scale)));
        return MathF.Max(TVec.MaxAcross(maxV), maxTail);
    }

    /// <summary>
    /// Rows of 8 synapses (an 8-output layer) under AVX-512: two rows per Vector512, x broadcast into each half and y
    /// repeated, instead of one Vector256 per row. Same operations per synapse as the row path.
    /// </summary>
    private static float ApplyRowPairs<TTerms, TLayout>(in Operands c, int rows, float scale)
        where TTerms : struct, IPdlfTerms where TLayout : struct, ICoefficientLayout
    {
        var y8 = Vector256.LoadUnsafe(ref c.Post);
        var y = new Vec512(Vector512.Create(y8, y8));
        var scaleV = Vec512.Broadcast(scale);
        var maxV = Vec512.Zero;
        int i = 0;
        for (; i + 2 <= rows; i += 2)
        {
            var x = new Vec512(Vector512.Create(Vector256.Create(Unsafe.Add(ref c.Pre, i)), Vector256.Create(Unsafe.Add(ref c.Pre, i + 1))));
            maxV = Vec512.Max(maxV, Vec512.Abs(Update<TTerms, Vec512, TLayout>(c, (nuint)(i * 8), x, y, scaleV)));
        }
        float max = Vec512.MaxAcross(maxV);
        if (i < rows)
            max = MathF.Max(max, Vec256.MaxAcross(Vec256.Abs(Update<TTerms, Vec256, TLayout>(c, (nuint)(i * 8), Vec256.Broadcast(Unsafe.Add(ref c.Pre, i)),
                new Vec256(y8), Vec256.Broadcast(scale)))));
        return max;
    }

    /// <summary>
    /// The whole-vector part of one row: updates synapses from 0 while a full TVec fits, leaves <paramref name="j"/> at
    /// the first synapse not updated and returns the running max |W|. The row's references live in locals here
    /// because Operands (seven references) is not promoted to registers: read through it, every iteration reloads
    /// five pointers from the stack, which costs more load slots than the 24 bytes of the synapses themselves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec UpdateWide<TTerms, TVec, TLayout>(in Operands c, nuint rowStart, nuint columns, TVec x, TVec scale, TVec maxV, ref nuint j)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        if (TLayout.Packed) return UpdateWidePacked<TTerms, TVec>(c, rowStart, columns, x, scale, maxV, ref j);
        ref float w = ref Unsafe.Add(ref c.W, rowStart);
        ref float etaA = ref Unsafe.Add(ref c.EtaA, rowStart);
        ref float negEtaAC = ref Unsafe.Add(ref c.NegEtaAC, rowStart);
        ref float etaB = ref Unsafe.Add(ref c.EtaB, rowStart);
        ref float etaD = ref Unsafe.Add(ref c.EtaD, rowStart);
        ref float post = ref c.Post;
        nuint count = (nuint)TVec.Count, k = 0;
        for (; k + count <= columns; k += count)
        {
            TVec delta = TTerms.Delta(x, TVec.Load(ref post, k),
                TTerms.UsesA ? TVec.Load(ref etaA, k) : TVec.Zero,
                TTerms.UsesA ? TVec.Load(ref negEtaAC, k) : TVec.Zero,
                TTerms.UsesB ? TVec.Load(ref etaB, k) : TVec.Zero,
                TVec.Load(ref etaD, k));
            TVec updated = TVec.Fma(TVec.Load(ref w, k), scale, delta);
            TVec.Store(updated, ref w, k);
            maxV = TVec.Max(maxV, TVec.Abs(updated));
        }
        j = k;
        return maxV;
    }

    /// <summary>
    /// <see cref="UpdateWide"/> over bfloat16 pairs: two loads for the four coefficients (8 bytes a synapse instead of
    /// 16), each widened exactly to the float the single-precision arrays hold, so the same operations give the same
    /// bits. A method of its own so that the single-precision UpdateWide keeps the size that lets it inline.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec UpdateWidePacked<TTerms, TVec>(in Operands c, nuint rowStart, nuint columns, TVec x, TVec scale, TVec maxV, ref nuint j)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec>
    {
        ref float w = ref Unsafe.Add(ref c.W, rowStart);
        ref float post = ref c.Post;
        ref uint cooperation = ref Unsafe.Add(ref c.CooperationPairs, rowStart);
        ref uint presynaptic = ref Unsafe.Add(ref c.PresynapticPairs, rowStart);
        nuint count = (nuint)TVec.Count, k = 0;
        for (; k + count <= columns; k += count)
        {
            TVec pairA = TVec.Zero, pairNegAC = TVec.Zero;
            if (TTerms.UsesA) TVec.LoadBFloat16Pairs(ref cooperation, k, out pairA, out pairNegAC);
            TVec.LoadBFloat16Pairs(ref presynaptic, k, out var pairB, out var pairD);
            TVec delta = TTerms.Delta(x, TVec.Load(ref post, k), pairA, pairNegAC, pairB, pairD);
            TVec updated = TVec.Fma(TVec.Load(ref w, k), scale, delta);
            TVec.Store(updated, ref w, k);
            maxV = TVec.Max(maxV, TVec.Abs(updated));
        }
        j = k;
        return maxV;
    }

    /// <summary>Updates TVec.Count consecutive synapses starting at storage index s; returns the new weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Update<TTerms, TVec, TLayout>(in Operands c, nuint s, TVec x, TVec y, TVec scale)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec> where TLayout : struct, ICoefficientLayout
    {
        if (TLayout.Packed) return UpdatePacked<TTerms, TVec>(c, s, x, y, scale);
        TVec delta = TTerms.Delta(x, y,
            TTerms.UsesA ? TVec.Load(ref c.EtaA, s) : TVec.Zero,
            TTerms.UsesA ? TVec.Load(ref c.NegEtaAC, s) : TVec.Zero,
            TTerms.UsesB ? TVec.Load(ref c.EtaB, s) : TVec.Zero,
            TVec.Load(ref c.EtaD, s));
        TVec updated = TVec.Fma(TVec.Load(ref c.W, s), scale, delta);
        TVec.Store(updated, ref c.W, s);
        return updated;
    }

    /// <summary><see cref="Update"/> reading bfloat16 pairs (see <see cref="UpdateWidePacked"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec UpdatePacked<TTerms, TVec>(in Operands c, nuint s, TVec x, TVec y, TVec scale)
        where TTerms : struct, IPdlfTerms where TVec : struct, IFloatVector<TVec>
    {
        TVec etaA = TVec.Zero, negEtaAC = TVec.Zero;
        if (TTerms.UsesA) TVec.LoadBFloat16Pairs(ref c.CooperationPairs, s, out etaA, out negEtaAC);
        TVec.LoadBFloat16Pairs(ref c.PresynapticPairs, s, out var etaB, out var etaD);
        TVec delta = TTerms.Delta(x, y, etaA, negEtaAC, etaB, etaD);
        TVec updated = TVec.Fma(TVec.Load(ref c.W, s), scale, delta);
        TVec.Store(updated, ref c.W, s);
        return updated;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float UpdateOne<TTerms>(in Operands c, nuint s, float x, float y, float scale) where TTerms : struct, IPdlfTerms
    {
        float delta = TTerms.Delta(x, y, Unsafe.Add(ref c.EtaA, s), Unsafe.Add(ref c.NegEtaAC, s),
            Unsafe.Add(ref c.EtaB, s), Unsafe.Add(ref c.EtaD, s));
        float updated = MathF.FusedMultiplyAdd(Unsafe.Add(ref c.W, s), scale, delta);
        Unsafe.Add(ref c.W, s) = updated;
        return updated;
    }

    /// <summary>
    /// References to the first element of every array one update reads or writes. Under bfloat16 the vector stages
    /// read the packed pairs and the scalar tail the float arrays, which hold the same rounded values.
    /// </summary>
    private readonly ref struct Operands(Span<float> weights, PdlfLayerCoefficients coefficients, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> post)
    {
        public readonly ref float W = ref MemoryMarshal.GetReference(weights);
        public readonly ref float EtaA = ref MemoryMarshal.GetReference(coefficients.EtaA);
        public readonly ref float NegEtaAC = ref MemoryMarshal.GetReference(coefficients.NegEtaAC);
        public readonly ref float EtaB = ref MemoryMarshal.GetReference(coefficients.EtaB);
        public readonly ref float EtaD = ref MemoryMarshal.GetReference(coefficients.EtaD);
        public readonly ref uint CooperationPairs = ref MemoryMarshal.GetReference(coefficients.CooperationPairs);
        public readonly ref uint PresynapticPairs = ref MemoryMarshal.GetReference(coefficients.PresynapticPairs);
        public readonly ref float Pre = ref MemoryMarshal.GetReference(pre);
        public readonly ref float Post = ref MemoryMarshal.GetReference(post);
    }

    /// <summary>Plain scalar twin of <see cref="Apply{TTerms}"/> (same bits), kept for tests and as the bench baseline.</summary>
    public static float ApplyScalar<TTerms>(Span<float> weights, PdlfLayerCoefficients coefficients, ReadOnlySpan<float> pre,
        ReadOnlySpan<float> post, float scale) where TTerms : struct, IPdlfTerms
    {
        var shape = coefficients.Shape;
        Check(weights, shape, pre, post);
        ReadOnlySpan<float> etaA = coefficients.EtaA, negEtaAC = coefficients.NegEtaAC, etaB = coefficients.EtaB, etaD = coefficients.EtaD;
        float max = 0f;
        for (int i = 0; i < shape.Rows; i++)
        {
            for (int j = 0; j < shape.Stride; j++)
            {
                int s = shape.Index(i, j);
                float delta = TTerms.Delta(pre[i], post[j], etaA[s], negEtaAC[s], etaB[s], etaD[s]);
                float updated = MathF.FusedMultiplyAdd(weights[s], scale, delta);
                weights[s] = updated;
                max = MathF.Max(max, MathF.Abs(updated));
            }
        }
        return max;
    }

    /// <summary>The multiplier that normalises a layer whose largest stored |W| is <paramref name="maxAbs"/>.</summary>
    /// <remarks>
    /// max == 0 means W is all zero: leave it as is (the reference would divide by zero there). A subnormal max is
    /// treated the same way: its reciprocal overflows float, and such a layer is zero for every practical purpose.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalisingScale(float maxAbs) => maxAbs >= SmallestNormalisableMax ? 1f / maxAbs : 1f;

    /// <summary>float's smallest normal value; below it 1/max may overflow.</summary>
    public const float SmallestNormalisableMax = 1.17549435E-38f;

    private static void Check(Span<float> weights, LayerShape shape, ReadOnlySpan<float> pre, ReadOnlySpan<float> post)
    {
        shape.Validate(weights.Length);
        if (pre.Length < shape.Rows)
            throw new ArgumentException($"Presynaptic span has {pre.Length} values; the layer has {shape.Rows} rows.", nameof(pre));
        if (post.Length < shape.Stride)
            throw new ArgumentException($"Postsynaptic span has {post.Length} values; the layer stores {shape.Stride} columns per row.", nameof(post));
    }
}
