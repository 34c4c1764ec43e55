using PdlfFast.Training.Evolution;

namespace PdlfFast.Tests.Training;

public enum Objective { Sphere, Rosenbrock, Rastrigin, Linear, NoisySphere }

/// <summary>Per-worker scratch of the test evaluators; counts episodes so tests can see the work was spread.</summary>
public sealed class ObjectiveWorker
{
    public int Episodes;
}

/// <summary>Classic test functions as fitness (negated: higher is better).</summary>
public readonly struct ObjectiveEvaluator(Objective objective, float nanEvery = 0) : IFitnessEvaluator<ObjectiveWorker>
{
    public ObjectiveWorker CreateWorker(int worker) => new();

    public float Evaluate(ObjectiveWorker worker, ReadOnlySpan<float> x, in EpisodeContext episode)
    {
        worker.Episodes++;
        if (nanEvery > 0 && episode.Member % (int)nanEvery == 1) return float.NaN;
        return (float)-Value(objective, x, episode.Seed);
    }

    public static double Value(Objective objective, ReadOnlySpan<float> x, ulong seed = 0)
    {
        double f = 0;
        switch (objective)
        {
            case Objective.Sphere:
                foreach (var v in x) f += (double)v * v;
                return f;
            case Objective.NoisySphere:
                foreach (var v in x) f += (double)v * v;
                return f + (seed % 1000) * 1e-4; // depends on the episode seed: common random numbers matter
            case Objective.Rosenbrock:
                for (int i = 0; i + 1 < x.Length; i++)
                {
                    double a = x[i + 1] - (double)x[i] * x[i], b = 1 - (double)x[i];
                    f += 100 * a * a + b * b;
                }
                return f;
            case Objective.Rastrigin:
                f = 10 * x.Length;
                foreach (var v in x) f += (double)v * v - 10 * Math.Cos(2 * Math.PI * v);
                return f;
            default:
                for (int i = 0; i < x.Length; i++) f -= LinearSlope(i) * x[i];
                return f;
        }
    }

    /// <summary>The linear objective's gradient component i (fitness = sum_i slope_i x_i).</summary>
    public static double LinearSlope(int i) => 1.0 + 0.5 * Math.Sin(i);
}
