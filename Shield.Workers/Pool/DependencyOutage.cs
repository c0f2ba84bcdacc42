using System.Net.Sockets;
using Npgsql;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>Tells an unreachable dependency (wait and retry, forever if need be) from a chunk that fails (use up attempts).</summary>
public static class DependencyOutage
{
    public static bool IsOutage(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case NpgsqlException { IsTransient: true }:
                case PostgresException { SqlState: "57P01" or "57P02" or "57P03" }: // admin shutdown, crash shutdown, cannot connect now
                case RedisConnectionException:
                case SocketException:
                    return true;
            }
        }
        return false;
    }
}
