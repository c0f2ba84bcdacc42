using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace Shield.Tests.Knowledge;

/// <summary>
/// Qdrant's gRPC protocol answered in memory, under the real <c>QdrantClient</c> (through its
/// <see cref="CallInvoker"/> seam): collections, tenant indexes, upsert, query (cosine, keyword filter, score
/// threshold, limit) and delete. It records every request so tests can check what the client sent. It is not
/// Qdrant: HNSW, persistence and the rest of its filter language are not modelled.
/// </summary>
public sealed class InMemoryQdrant : CallInvoker
{
    public ConcurrentDictionary<string, CreateCollection> Collections { get; } = new();
    public ConcurrentDictionary<string, ConcurrentDictionary<string, PointStruct>> Points { get; } = new();
    public ConcurrentQueue<(string Method, IMessage Request)> Requests { get; } = new();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Requests.Enqueue((method.FullName, (IMessage)request));
        var response = (TResponse)(object)(method.FullName switch
        {
            "/qdrant.Qdrant/HealthCheck" => new HealthCheckReply { Title = "in-memory", Version = "1.16.0" },
            "/qdrant.Collections/CollectionExists" => new CollectionExistsResponse
            {
                Result = new CollectionExists { Exists = Collections.ContainsKey(((CollectionExistsRequest)(object)request).CollectionName) },
            },
            "/qdrant.Collections/Create" => Create((CreateCollection)(object)request),
            "/qdrant.Points/CreateFieldIndex" => Completed(),
            "/qdrant.Points/Upsert" => Upsert((UpsertPoints)(object)request),
            "/qdrant.Points/Delete" => Delete((DeletePoints)(object)request),
            "/qdrant.Points/Query" => Query((QueryPoints)(object)request),
            _ => throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName)),
        });
        return new AsyncUnaryCall<TResponse>(Task.FromResult(response), Task.FromResult(new Metadata()),
            () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    public int Count(string method) => Requests.Count(r => r.Method == method);

    private CollectionOperationResponse Create(CreateCollection request)
    {
        if (!Collections.TryAdd(request.CollectionName, request))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Collection `{request.CollectionName}` already exists!"));
        }
        Points[request.CollectionName] = new();
        return new CollectionOperationResponse { Result = true };
    }

    private PointsOperationResponse Upsert(UpsertPoints request)
    {
        var points = Existing(request.CollectionName);
        var size = (int)Collections[request.CollectionName].VectorsConfig.Params.Size;
        foreach (var point in request.Points)
        {
            var length = Vector(point).Length;
            if (length != size)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {size}, got {length}"));
            }
            points[point.Id.Uuid] = point.Clone();
        }
        return Completed();
    }

    private PointsOperationResponse Delete(DeletePoints request)
    {
        var points = Existing(request.CollectionName);
        foreach (var id in request.Points.Points.Ids)
        {
            points.TryRemove(id.Uuid, out _);
        }
        return Completed();
    }

    private QueryResponse Query(QueryPoints request)
    {
        var points = Existing(request.CollectionName);
        var query = request.Query.Nearest.Dense.Data.ToArray();
        var matches = points.Values
            .Where(p => request.Filter is null || request.Filter.Must.All(c =>
                p.Payload.TryGetValue(c.Field.Key, out var value) && value.StringValue == c.Field.Match.Keyword))
            .Select(p => (Point: p, Score: Cosine(query, Vector(p))))
            .Where(m => !request.HasScoreThreshold || m.Score >= request.ScoreThreshold)
            .OrderByDescending(m => m.Score)
            .Take(request.HasLimit ? (int)request.Limit : 10);
        var response = new QueryResponse();
        response.Result.AddRange(matches.Select(m => new ScoredPoint { Id = m.Point.Id, Score = m.Score, Payload = { m.Point.Payload } }));
        return response;
    }

    private ConcurrentDictionary<string, PointStruct> Existing(string collection) =>
        Points.TryGetValue(collection, out var points)
            ? points
            : throw new RpcException(new Status(StatusCode.NotFound, $"Collection `{collection}` doesn't exist!"));

    // The client may write a dense vector in the deprecated flat field or in Dense; a server reads either.
#pragma warning disable CS0612
    private static float[] Vector(PointStruct point) =>
        point.Vectors.Vector.Data.Count > 0 ? [.. point.Vectors.Vector.Data] : [.. point.Vectors.Vector.Dense.Data];
#pragma warning restore CS0612

    private static float Cosine(float[] a, float[] b)
    {
        float dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / (MathF.Sqrt(na) * MathF.Sqrt(nb));
    }

    private static PointsOperationResponse Completed() => new() { Result = new UpdateResult { Status = UpdateStatus.Completed } };
}
