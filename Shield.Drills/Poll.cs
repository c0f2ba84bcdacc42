namespace Shield.Drills;

internal static class Poll
{
    /// <summary>Polls a condition every 200 ms until it holds; throws a <see cref="TimeoutException"/> with the message when the timeout passes first.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string message, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"{message} (waited {timeout})");
    }
}
