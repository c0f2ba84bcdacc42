using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Shield.Workers.Extraction;

/// <summary>
/// Bounds the chat-model calls in flight in this process (<see cref="ExtractionOptions.MaxConcurrentModelCalls"/>),
/// whatever the number of consumers and chunks: register it once, as a singleton, and let every model call go
/// through it. This is model concurrency, not document concurrency (LightRAG #2264).
/// </summary>
public sealed class ModelCallLimiter : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private int _inFlight;
    private int _peak;

    public ModelCallLimiter(IOptions<ExtractionOptions> options)
        : this(options.Value.MaxConcurrentModelCalls)
    {
    }

    public ModelCallLimiter(int maxConcurrentCalls)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentCalls, 1);
        Capacity = maxConcurrentCalls;
        _slots = new SemaphoreSlim(maxConcurrentCalls, maxConcurrentCalls);
    }

    /// <summary>How many calls may run at once.</summary>
    public int Capacity { get; }

    /// <summary>Calls running now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most calls that ran at once since the process started.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Waits for a slot (cancellable), runs <paramref name="call"/>, and frees the slot however the call ends.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var running = Interlocked.Increment(ref _inFlight);
        for (var peak = Volatile.Read(ref _peak); running > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, running, peak) == peak) break;
        }
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slots.Release();
        }
    }

    /// <summary>
    /// One chat call in a slot, given <paramref name="timeout"/> to answer (not counting the wait for the slot); a call
    /// past it is cancelled and reported as a <see cref="TimeoutException"/> naming <paramref name="caller"/>.
    /// </summary>
    public Task<string> GetResponseTextAsync(
        IChatClient chat, IReadOnlyList<ChatMessage> messages, TimeSpan timeout, string caller, CancellationToken cancellationToken) =>
        RunAsync(async token =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(timeout);
            try
            {
                var response = await chat.GetResponseAsync(messages, options: null, deadline.Token).ConfigureAwait(false);
                return response.Text ?? "";
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                throw new TimeoutException($"{caller}: the chat model did not answer within {timeout.TotalSeconds:0.###} s.");
            }
        }, cancellationToken);

    public void Dispose() => _slots.Dispose();
}
