using Orleans;
using Orleans.Concurrency;
using Orleans.Placement;

namespace PdlfFast.Cluster;

/// <summary>
/// The work board of a run (see <see cref="ICoordinatorGrain"/>). Reentrant so that a coordinator waiting in
/// <see cref="Collect"/> does not block the workers' calls; every method changes state only between awaits.
/// Placed on the silo of the first caller, the coordinator, so publishing the state costs no network hop.
/// </summary>
[Reentrant, PreferLocalPlacement]
internal sealed class CoordinatorGrain : Grain, ICoordinatorGrain
{
    private const byte Pending = 0, Issued = 1, Done = 2;
    private static readonly TimeSpan CollectWait = TimeSpan.FromSeconds(2);
    /// <summary>How long a worker's ask waits for work before it is answered "none" (well within the client's 5 s timeout).</summary>
    private static readonly TimeSpan WorkWait = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, WorkerRecord> _workers = [];
    private GenerationOrder? _order;
    private float[] _fitness = [];
    private double[] _itemData = [];
    private byte[] _chunkState = [];
    private DateTime[] _issuedAt = [];
    private int _chunks, _done, _reissued;
    private double _workerSeconds;
    private readonly HashSet<string> _generationWorkers = [];
    private TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class WorkerRecord(WorkerInfo info)
    {
        public WorkerInfo Info { get; set; } = info;
        public long Items { get; set; }
        public double BusySeconds { get; set; }
        public DateTime LastSeen { get; set; } = DateTime.UtcNow;
        public string? Refusal { get; set; }
        public HashSet<string> RefusedRuns { get; } = [];
    }

    public Task Publish(GenerationOrder order)
    {
        // The same generation published again (a coordinator retrying the call) keeps the results already in.
        if (_order is { } current && current.Run == order.Run && current.Generation == order.Generation) return Task.CompletedTask;
        _order = order;
        _chunks = (order.Items + order.ChunkItems - 1) / order.ChunkItems;
        _fitness = new float[order.Items];
        _itemData = new double[order.Items * order.ItemLength];
        _chunkState = new byte[_chunks];
        _issuedAt = new DateTime[_chunks];
        _done = 0;
        _reissued = 0;
        _workerSeconds = 0;
        _generationWorkers.Clear();
        _complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_chunks == 0) _complete.TrySetResult();
        // Wake the workers waiting in Next: the generation starts without a polling delay.
        var published = _published;
        _published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        published.TrySetResult();
        return Task.CompletedTask;
    }

    public async Task<GenerationResult?> Collect(string run, int generation)
    {
        if (_order is null || _order.Run != run || _order.Generation != generation)
            throw new InvalidOperationException($"Generation {generation} of run {run} was not published here (the coordinator silo restarted?).");
        var complete = _complete.Task;
        if (!complete.IsCompleted) await Task.WhenAny(complete, Task.Delay(CollectWait));
        if (!complete.IsCompleted || _order.Generation != generation) return null;
        return new GenerationResult(_fitness, _itemData, _reissued, _workerSeconds, _generationWorkers.Count);
    }

    public async Task<Assignment?> Next(WorkerInfo worker, string? knownRun, int knownGeneration)
    {
        var assignment = Assign(worker, knownRun, knownGeneration, out bool mayWait);
        if (assignment is not null || !mayWait) return assignment;
        // Nothing to hand out now: hold the ask until the next generation is published (or an issued chunk may be
        // overdue) rather than have every worker poll, which would add a polling delay to each generation.
        await Task.WhenAny(_published.Task, Task.Delay(WorkWait));
        return Assign(worker, knownRun, knownGeneration, out _);
    }

    private Assignment? Assign(WorkerInfo worker, string? knownRun, int knownGeneration, out bool mayWait)
    {
        var record = Touch(worker);
        mayWait = false;
        if (_order is not { } order || record.RefusedRuns.Contains(order.Run))
        {
            mayWait = _order is null;
            return null;
        }
        if (worker.Build != order.Build)
        {
            string reason = $"refused: this worker runs build {worker.Build}, the coordinator {order.Build}; install the same pdlf build on every machine";
            record.Refusal = reason;
            record.RefusedRuns.Add(order.Run);
            return new Assignment(order.Run, order.Generation, 0, 0, null, null, null, null, reason);
        }
        int chunk = Array.IndexOf(_chunkState, Pending);
        if (chunk < 0)
        {
            // Nothing new: hand out again the oldest chunk that is overdue (its worker is slow, dead or cut off).
            var now = DateTime.UtcNow;
            for (int c = 0; c < _chunks; c++)
                if (_chunkState[c] == Issued && (now - _issuedAt[c]).TotalSeconds > order.ReissueSeconds && (chunk < 0 || _issuedAt[c] < _issuedAt[chunk]))
                    chunk = c;
            if (chunk < 0)
            {
                mayWait = true;
                return null;
            }
            _reissued++;
        }
        // A worker gets as many consecutive pending chunks as it has threads (at least one): each thread then has a unit.
        int last = chunk;
        if (_chunkState[chunk] == Pending)
            while (last + 1 < _chunks && last + 1 - chunk < Math.Max(1, worker.Threads) && _chunkState[last + 1] == Pending) last++;
        for (int c = chunk; c <= last; c++)
        {
            _chunkState[c] = Issued;
            _issuedAt[c] = DateTime.UtcNow;
        }
        int start = chunk * order.ChunkItems, end = Math.Min(order.Items, (last + 1) * order.ChunkItems);
        bool newRun = knownRun != order.Run, newGeneration = newRun || knownGeneration != order.Generation;
        return new Assignment(order.Run, order.Generation, start, end,
            newRun ? order.RunKind : null, newRun ? order.ConfigJson : null,
            newGeneration ? order.StrategyState : null, newGeneration ? order.Shared : null, null);
    }

    public Task Complete(WorkerInfo worker, ChunkResult result)
    {
        var record = Touch(worker);
        if (_order is not { } order || order.Run != result.Run || order.Generation != result.Generation) return Task.CompletedTask; // late: an older generation
        int first = result.Start / order.ChunkItems, count = result.Fitness.Length;
        if (result.Start != first * order.ChunkItems || count == 0 || result.Start + count > order.Items
            || (result.Start + count != order.Items && count % order.ChunkItems != 0) || result.ItemData.Length != count * order.ItemLength)
            throw new ArgumentException($"A result for items {result.Start}+{count} does not cover whole chunks of {order.ChunkItems}.");
        record.Items += count;
        record.BusySeconds += result.Seconds;
        bool used = false;
        for (int start = result.Start; start < result.Start + count; start += order.ChunkItems)
        {
            int chunk = start / order.ChunkItems, length = Math.Min(order.Items, start + order.ChunkItems) - start;
            if (_chunkState[chunk] == Done) continue; // re-issued and already returned: the bits are the same
            result.Fitness.AsSpan(start - result.Start, length).CopyTo(_fitness.AsSpan(start));
            result.ItemData.AsSpan((start - result.Start) * order.ItemLength, length * order.ItemLength).CopyTo(_itemData.AsSpan(start * order.ItemLength));
            _chunkState[chunk] = Done;
            used = true;
            if (++_done == _chunks) _complete.TrySetResult();
        }
        if (used)
        {
            _workerSeconds += result.Seconds;
            _generationWorkers.Add(worker.Id);
        }
        return Task.CompletedTask;
    }

    public Task Refuse(WorkerInfo worker, string run, string reason)
    {
        var record = Touch(worker);
        record.Refusal = reason;
        record.RefusedRuns.Add(run);
        return Task.CompletedTask;
    }

    public Task<WorkerStatus[]> Status() => Task.FromResult(_workers.Values
        .Select(w => new WorkerStatus(w.Info, w.Items, w.BusySeconds > 0 ? w.Items / w.BusySeconds : 0, w.LastSeen, w.Refusal))
        .OrderBy(w => w.Worker.Id, StringComparer.Ordinal).ToArray());

    private WorkerRecord Touch(WorkerInfo worker)
    {
        if (!_workers.TryGetValue(worker.Id, out var record)) _workers[worker.Id] = record = new WorkerRecord(worker);
        record.Info = worker;
        record.LastSeen = DateTime.UtcNow;
        return record;
    }
}
