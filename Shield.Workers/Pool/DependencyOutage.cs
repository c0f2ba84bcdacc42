using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Npgsql;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>Tells an unreachable dependency (wait and retry, forever if need be) from a chunk that fails (use up attempts).</summary>
public static class DependencyOutage
{
    public static bool IsOutage(Exception exception)
    {
        if (CredentialsRefused(exception))
        {
            return false;
        }
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case NpgsqlException { IsTransient: true }:
                case PostgresException { SqlState: "57P01" or "57P02" or "57P03" }: // admin shutdown, crash shutdown, cannot connect now
                case RedisConnectionException:
                case SocketException:
                // The model server or Qdrant is down, restarting or overloaded; a model that answers with another
                // error (500: the model failed on this input) is the chunk's failure and costs an attempt.
                case HttpRequestException { StatusCode: HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout }:
                case RpcException { StatusCode: StatusCode.Unavailable }:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Redis answered but refused this process's password: not an outage to wait out but a process that belongs to
    /// another deployment or another local run (each local run has its own password), or a rotated password.
    /// </summary>
    public static bool CredentialsRefused(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }:
                case RedisServerException server when server.Message.StartsWith("NOAUTH", StringComparison.Ordinal)
                    || server.Message.StartsWith("WRONGPASS", StringComparison.Ordinal):
                    return true;
            }
        }
        return false;
    }
}
