namespace Shield.Knowledge;

/// <summary>
/// Group commit for work that is cheaper in batches (an embedding model call, a vector write): a submission is
/// committed at once while fewer than <c>maxConcurrent</c> commits run, and the submissions that arrive meanwhile go
/// together in the next commit, up to <c>maxItems</c> items. So a lone request waits for nothing, and many concurrent
/// ones (the pool's consumers) share calls instead of queuing one call each.
/// </summary>
/// <remarks>
/// A submission's items stay together and in order; one larger than <c>maxItems</c> is committed in slices. A commit
/// that fails fails every submission in it (each is retried by its own caller). A caller that gives up (its token)
/// stops waiting; its items are still committed if they were already taken, which the callers' work allows (both
/// uses are idempotent).
/// </remarks>
public sealed class GroupCommit<TItem, TResult>
{
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _commit;
    private readonly int _maxItems;
    private readonly int _maxConcurrent;
    private readonly Queue<Submission> _queue = new();
    private readonly Lock _lock = new();
    private int _running;

    public GroupCommit(Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> commit, int maxItems, int maxConcurrent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        _commit = commit;
        _maxItems = maxItems;
        _maxConcurrent = maxConcurrent;
    }

    /// <summary>Commits <paramref name="items"/> (alone or with others'); the results come back in the items' order.</summary>
    public async Task<IReadOnlyList<TResult>> SubmitAsync(IReadOnlyList<TItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0) return [];
        var slices = items.Chunk(_maxItems).Select(slice => new Submission(slice)).ToList();
        lock (_lock)
        {
            foreach (var slice in slices) _queue.Enqueue(slice);
            while (_running < _maxConcurrent && _queue.Count > 0)
            {
                _running++;
                _ = Task.Run(DrainAsync, CancellationToken.None);
            }
        }
        var results = new List<TResult>(items.Count);
        foreach (var slice in slices)
        {
            results.AddRange(await slice.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            var batch = new List<Submission>();
            var count = 0;
            lock (_lock)
            {
                while (_queue.TryPeek(out var next) && (batch.Count == 0 || count + next.Items.Length <= _maxItems))
                {
                    batch.Add(_queue.Dequeue());
                    count += next.Items.Length;
                }
                if (batch.Count == 0)
                {
                    _running--;
                    return;
                }
            }
            try
            {
                var results = await _commit([.. batch.SelectMany(s => s.Items)], CancellationToken.None).ConfigureAwait(false);
                var offset = 0;
                foreach (var submission in batch)
                {
                    submission.Completion.TrySetResult([.. results.Skip(offset).Take(submission.Items.Length)]);
                    offset += submission.Items.Length;
                }
            }
            catch (Exception ex)
            {
                foreach (var submission in batch) submission.Completion.TrySetException(ex);
            }
        }
    }

    private sealed class Submission(TItem[] items)
    {
        public TItem[] Items { get; } = items;

        public TaskCompletionSource<IReadOnlyList<TResult>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
