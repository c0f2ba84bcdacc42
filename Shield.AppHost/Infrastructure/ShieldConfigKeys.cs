namespace Shield.AppHost.Infrastructure;

/// <summary>
/// Every configuration key the AppHost reads, in one place, so appsettings.json, the
/// README and the tests can be checked against a single list.
/// </summary>
public static class ShieldConfigKeys
{
    /// <summary><c>auto</c> (default), <c>containers</c> or <c>local</c>.</summary>
    public const string Infrastructure = "Shield:Infrastructure";

    /// <summary>Where local-mode Redis and PostgreSQL keep their files; default <c>&lt;repo&gt;/.data</c>.</summary>
    public const string DataDirectory = "Shield:DataDirectory";

    public const string RedisServer = "Shield:Local:RedisServer";
    public const string RedisPort = "Shield:Local:RedisPort";
    public const string PostgresBin = "Shield:Local:PostgresBin";
    public const string PostgresPort = "Shield:Local:PostgresPort";

    /// <summary>PostgreSQL settings (name → value) for the servers the AppHost starts, over <see cref="PostgresServerSettings.Defaults"/>.</summary>
    public const string PostgresSettings = "Shield:PostgresSettings";

    public const string ChatModel = "Shield:Models:Chat";
    public const string EmbeddingModel = "Shield:Models:Embedding";

    public const string DefaultChatModel = "qwen2.5:3b";
    public const string DefaultEmbeddingModel = "nomic-embed-text";
}
