namespace Shield.Ingestion.Events;

/// <summary>Redis names of the event log that <c>/events/stream</c> serves.</summary>
public static class EventStream
{
    /// <summary>
    /// Events are kept in a capped Redis stream rather than only published, so a client that reconnects with
    /// <c>Last-Event-ID</c> (the entry id) can be sent what it missed.
    /// </summary>
    public const string Key = "shield:events";

    /// <summary>Published after every append so event-stream readers wake without polling.</summary>
    public const string NotifyChannel = "shield:events:notify";

    public const string TypeField = "type";
    public const string JobField = "job";
    public const string PayloadField = "data";
}
