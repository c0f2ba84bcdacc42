namespace Shield.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls a condition until it holds; fails with the message when the timeout passes first.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string? message = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(200);
        }
        Assert.Fail(message ?? $"Condition not met within {timeout}");
    }
}
