using System.Text.Json;
using Shield.Cli.Api;
using Shield.Contracts.Events;

namespace Shield.Cli.Progress;

/// <summary>
/// Follows one job to its end: from its event stream (<c>/events/stream?job_id=</c>, which replays the job from its
/// start), and if the stream drops or ends early, by polling <c>GET /jobs/{id}</c>.
/// </summary>
public sealed class JobFollower(ShieldApiClient api, IProgressView view, FollowOptions options)
{
    public async Task FollowAsync(FileJob job, CancellationToken cancellationToken)
    {
        Action<FileJob> changed = view.Changed;
        var jobId = job.JobId ?? throw new InvalidOperationException("The job was not submitted.");
        string? dropped;
        try
        {
            await foreach (var sse in api.StreamEventsAsync(jobId.ToString(), lastEventId: null, cancellationToken))
            {
                if (Parse(sse) is not { } e || e.JobId != jobId) continue;
                try
                {
                    job.Apply(e);
                }
                catch (JsonException)
                {
                    // An event this version cannot read; the next one, or the job's status, brings the counts up to date.
                    continue;
                }
                changed(job);
                if (job.Finished) return;
            }
            dropped = "the event stream ended";
        }
        catch (Exception ex) when (ex is ApiUnreachableException or ShieldApiException or TimeoutException)
        {
            dropped = ex.Message;
        }

        view.Note($"{job.DisplayName}: {dropped}; polling the job instead.");
        await PollAsync(job, changed, cancellationToken);
    }

    private async Task PollAsync(FileJob job, Action<FileJob> changed, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                job.Apply(await api.GetJobAsync(job.JobId!.Value.ToString(), cancellationToken));
                failures = 0;
                changed(job);
                if (job.Finished) return;
            }
            catch (ApiUnreachableException ex)
            {
                if (++failures >= options.MaxPollFailures)
                {
                    job.Lost(ex.Message);
                    changed(job);
                    return;
                }
            }
            catch (ShieldApiException ex) when (ex.Status is >= 400 and < 500)
            {
                job.Lost(ex.Problem.ToString());
                changed(job);
                return;
            }
            catch (ShieldApiException ex)
            {
                if (++failures >= options.MaxPollFailures)
                {
                    job.Lost(ex.Problem.ToString());
                    changed(job);
                    return;
                }
            }
            await Task.Delay(options.PollInterval, options.Time, cancellationToken);
        }
    }

    private static IngestionEvent? Parse(ServerSentEvent sse)
    {
        try
        {
            return IngestionEvent.Parse(sse.Data);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>How a job is polled once its event stream is gone.</summary>
public sealed record FollowOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed polls after which the job is given up as unknown.</summary>
    public int MaxPollFailures { get; init; } = 30;

    /// <summary>Jobs whose event streams are read at once; the rest wait their turn (their streams replay from the start).</summary>
    public int MaxConcurrentStreams { get; init; } = 8;

    /// <summary>The clock that paces polling and that the live view's elapsed and remaining times read.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
