namespace PdlfFast.Cli.Plots;

/// <summary>
/// Principal components of a small data set (rows = samples) for 2-D embeddings: the covariance matrix's leading
/// eigenvectors by power iteration with deflation. Deterministic (fixed start vector and iteration count).
/// </summary>
public static class Pca
{
    public static double[][] Project(IReadOnlyList<double[]> rows, int components = 2, int iterations = 300)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows.Count, 2);
        int d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows)
            for (int j = 0; j < d; j++) mean[j] += r[j] / rows.Count;
        var covariance = new double[d, d];
        foreach (var r in rows)
            for (int i = 0; i < d; i++)
            {
                double ci = r[i] - mean[i];
                for (int j = 0; j < d; j++) covariance[i, j] += ci * (r[j] - mean[j]) / (rows.Count - 1);
            }
        var axes = new double[components][];
        for (int c = 0; c < components; c++)
        {
            var v = Enumerable.Range(0, d).Select(i => 1.0 + 0.01 * i).ToArray();
            double eigenvalue = 0;
            for (int it = 0; it < iterations; it++)
            {
                var next = new double[d];
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++) next[i] += covariance[i, j] * v[j];
                double norm = Math.Sqrt(next.Sum(x => x * x));
                if (norm == 0) break;
                for (int i = 0; i < d; i++) v[i] = next[i] / norm;
                eigenvalue = norm;
            }
            axes[c] = v;
            // Deflate: remove the found component so the next iteration finds the following one.
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) covariance[i, j] -= eigenvalue * v[i] * v[j];
        }
        return rows.Select(r => axes.Select(a => Enumerable.Range(0, d).Sum(j => (r[j] - mean[j]) * a[j])).ToArray()).ToArray();
    }
}
