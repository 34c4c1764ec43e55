using PdlfFast.Tasks.Runs;
using PdlfFast.Tasks.Locomotion;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Cli.Locomotion;

/// <summary>A path to trace, as waypoints in the plane (metres), starting next to the origin.</summary>
public static class SteeringPaths
{
    public static readonly string[] Shapes = ["square", "circle", "figure8"];

    public static (double X, double Y)[] Waypoints(string shape, double size) => shape switch
    {
        "square" => [(size, 0), (size, size), (0, size), (0, 0)],
        "circle" => Enumerable.Range(1, 24).Select(i => 2 * Math.PI * i / 24)
            .Select(a => (size / 2 * Math.Sin(a), size / 2 * (1 - Math.Cos(a)))).ToArray(),
        "figure8" => Enumerable.Range(1, 32).Select(i => 2 * Math.PI * i / 32)
            .Select(a => (size / 2 * Math.Sin(a), size / 4 * Math.Sin(2 * a))).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, $"Shape must be one of {string.Join(", ", Shapes)}."),
    };
}

/// <summary>
/// Steers a direction-task policy (ant_dir, swimmer_dir) along waypoints: before every step the target direction is
/// overwritten with the bearing of the current waypoint, which advances when the body comes within
/// <see cref="ReachedWithin"/>. Records the body's path.
/// </summary>
public struct SteeringRecorder((double X, double Y)[] waypoints, double reachedWithin, List<(double X, double Y)> path) : ILocomotionRecorder
{
    public const double ReachedWithin = 0.5;
    public int Waypoint { get; private set; }

    public void BeforeStep(int step, LocomotionWorker worker)
    {
        var position = worker.Environment.Position;
        double x = position[0], y = position[1];
        path.Add((x, y));
        if (Waypoint < waypoints.Length)
        {
            var (wx, wy) = waypoints[Waypoint];
            if (Math.Sqrt((wx - x) * (wx - x) + (wy - y) * (wy - y)) < reachedWithin) Waypoint++;
        }
        var (tx, ty) = waypoints[Math.Min(Waypoint, waypoints.Length - 1)];
        worker.Environment.Target = (float)Math.Atan2(ty - y, tx - x);
    }

    public readonly void AfterStep(int step, LocomotionWorker worker, in EnvironmentStep result) { }

    /// <summary>Runs one steered episode of <paramref name="steps"/> steps; returns the path and waypoints reached.</summary>
    public static (List<(double X, double Y)> Path, int Reached) Run(TrainedPolicy policy, (double X, double Y)[] waypoints, int steps,
        double reachedWithin = ReachedWithin)
    {
        var setup = policy.Config.Setup() with { EpisodeSteps = steps };
        if (setup.Task is not (AntDirection or SwimmerDirection))
            throw new PdlfFast.Training.Runs.ConfigException($"steer needs a direction task (ant_dir or swimmer_dir); this checkpoint is {setup.Task.Name}");
        using var model = MuJoCoModel.FromEmbedded(setup.Task.ModelName);
        using var worker = new LocomotionWorker(setup, model);
        var path = new List<(double X, double Y)>(steps);
        var recorder = new SteeringRecorder(waypoints, reachedWithin, path);
        var (wx, wy) = waypoints[0];
        worker.RunEpisode(policy.Parameters, (float)Math.Atan2(wy, wx), LocomotionRun.TestSeed, policy.Normaliser, null, ref recorder);
        return (path, recorder.Waypoint);
    }
}
