using System.Diagnostics;
using PdlfFast.Kernel.Observation;
using PdlfFast.Kernel.Random;
using PdlfFast.Rules.Pdlf;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Cli.Bench;

/// <summary>One task's figures: whole environment steps (physics + PDLF policy) and the policy's share.</summary>
public sealed record PhysicsMeasurement(string Task, int Threads, double EnvironmentStepsPerSecond, double PhysicsMicroseconds,
    double PolicyMicroseconds)
{
    /// <summary>Policy (SNN forward + plasticity + normalisation) time as a fraction of physics time per step.</summary>
    public double PolicyShare => PolicyMicroseconds / PhysicsMicroseconds;
}

/// <summary>
/// Environment steps per second of each locomotion task with a 128-neuron PDLF policy, on 1 and N threads (one
/// simulation and network per thread), and the cost split of one step: physics alone (fixed actions) and the policy
/// alone (its step on recorded observations). Best of a few rounds, as in <see cref="StepBench"/>.
/// </summary>
public sealed class PhysicsBench(TimeSpan roundLength, int rounds)
{
    public IReadOnlyList<PhysicsMeasurement> Measure(LocomotionTask task, IReadOnlyList<int> threadCounts)
    {
        var setup = new LocomotionSetup(task, LocomotionPolicyKind.Pdlf, PdlfTermSet.Abcd, Hidden: 128);
        using var model = MuJoCoModel.FromEmbedded(task.ModelName);
        var parameters = new float[setup.Dimension];
        new RandomStream(1, new StreamId(0, 0, 0, 5)).FillGaussian(parameters, 0f, 0.05f);
        var normaliser = new ObservationNormaliser(task.StateObservationSize);
        normaliser.Prepare();
        var (physics, policy) = SplitCost(setup, model, parameters, normaliser);
        return threadCounts.Select(t => new PhysicsMeasurement(task.Name, t, StepsPerSecond(setup, model, parameters, normaliser, t), physics, policy)).ToArray();
    }

    private (double Physics, double Policy) SplitCost(LocomotionSetup setup, MuJoCoModel model, float[] parameters, ObservationNormaliser normaliser)
    {
        using var worker = new LocomotionWorker(setup, model);
        var environment = worker.Environment;
        var action = new float[setup.Task.ActionSize];
        var observations = new float[64 * setup.Task.ObservationSize];
        double physicsBest = double.MaxValue, policyBest = double.MaxValue;
        for (int r = 0; r <= rounds; r++)
        {
            var noise = new RandomStream(3, new StreamId(0, 0, (uint)r, 0));
            // A middle training target (ant_forward has only one).
            float target = setup.Task.TrainingTarget(Math.Min(2, setup.Task.TrainingTargetCount - 1));
            environment.Reset(target, ref noise);
            long steps = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < roundLength)
            {
                for (int i = 0; i < action.Length; i++) action[i] = MathF.Sin(0.1f * steps + i);
                if (steps < 64) environment.Observe(observations.AsSpan((int)steps * setup.Task.ObservationSize, setup.Task.ObservationSize));
                if (environment.Step(action).Terminated) environment.Reset(target, ref noise);
                steps++;
            }
            if (r > 0) physicsBest = Math.Min(physicsBest, clock.Elapsed.TotalMicroseconds / steps);

            worker.Rule!.Load(parameters);
            worker.State!.Reset();
            var input = new float[setup.Task.ObservationSize];
            steps = 0;
            clock.Restart();
            // The clock is read once per 64 steps: a ~1 us policy step would otherwise carry the timer's cost.
            while (clock.Elapsed < roundLength / 4)
            {
                for (int k = 0; k < 64; k++)
                {
                    var observation = observations.AsSpan(k * input.Length, input.Length);
                    normaliser.Normalise(observation[..setup.Task.StateObservationSize], input.AsSpan(0, setup.Task.StateObservationSize));
                    input[^1] = observation[^1];
                    PdlfNetwork.Step(worker.State, worker.Rule, input, action);
                }
                steps += 64;
            }
            if (r > 0) policyBest = Math.Min(policyBest, clock.Elapsed.TotalMicroseconds / steps);
        }
        return (physicsBest, policyBest);
    }

    private double StepsPerSecond(LocomotionSetup setup, MuJoCoModel model, float[] parameters, ObservationNormaliser normaliser, int threads)
    {
        var workers = Enumerable.Range(0, threads).Select(_ => new LocomotionWorker(setup, model)).ToArray();
        try
        {
            double best = 0;
            for (int r = 0; r <= rounds; r++)
            {
                var steps = new long[threads];
                using var start = new Barrier(threads + 1);
                var clock = new Stopwatch();
                var running = Enumerable.Range(0, threads).Select(w => new Thread(() =>
                {
                    start.SignalAndWait();
                    var recorder = new NoRecorder();
                    ulong episode = 0;
                    while (clock.Elapsed < roundLength)
                    {
                        workers[w].RunEpisode(parameters, setup.Task.TrainingTarget((int)(episode % (ulong)setup.Task.TrainingTargetCount)), episode * 31 + (ulong)w, normaliser, null, ref recorder);
                        steps[w] += workers[w].Environment.Steps;
                        episode++;
                    }
                }) { IsBackground = true }).ToArray();
                foreach (var t in running) t.Start();
                clock.Start();
                start.SignalAndWait();
                foreach (var t in running) t.Join();
                if (r > 0) best = Math.Max(best, steps.Sum() / clock.Elapsed.TotalSeconds);
            }
            return best;
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }
}
