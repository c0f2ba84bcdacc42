namespace Shield.Cli.Api;

/// <summary>The Api answered with an error status; <see cref="Problem"/> says what it said.</summary>
public sealed class ShieldApiException(ProblemDocument problem) : Exception(problem.ToString())
{
    public ProblemDocument Problem { get; } = problem;

    public int Status => Problem.Status;

    /// <summary>401 or 403: every further request would be refused too.</summary>
    public bool IsAccessDenied => Status is 401 or 403;
}

/// <summary>The Api could not be reached at all (refused, no such host, timed out).</summary>
public sealed class ApiUnreachableException(Uri api, Exception inner)
    : Exception($"Cannot reach the Shield API at {api}: {inner.Message}", inner)
{
    public Uri Api { get; } = api;
}
