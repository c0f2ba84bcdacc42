using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Shield.Api.Security;

/// <summary>The two scopes a key or session grants: <c>read</c>, and <c>write</c> (which also reads).</summary>
public static class AccessScopes
{
    public const string Read = "read";
    public const string Write = "write";
}

/// <summary>A configured key as the rest of the Api may know it: its scope and a fingerprint, never the key.</summary>
public sealed record ApiKeyIdentity(string Fingerprint, string Scope);

/// <summary>
/// The configured read and write keys (<see cref="ApiSecurityOptions"/>). Keys are kept as SHA-256 hashes and a
/// presented key is compared with every one of them in constant time, so neither its length nor how much of it
/// matched shows in the time an answer takes.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly (byte[] Hash, ApiKeyIdentity Identity)[] _keys;
    private readonly Dictionary<string, ApiKeyIdentity> _byFingerprint;

    public ApiKeyStore(IOptions<ApiSecurityOptions> options)
    {
        var settings = options.Value;
        _keys =
        [
            .. settings.WriteKeys.Select(key => (Hash(key), new ApiKeyIdentity(Fingerprint(key), AccessScopes.Write))),
            .. settings.ReadKeys.Select(key => (Hash(key), new ApiKeyIdentity(Fingerprint(key), AccessScopes.Read))),
        ];
        _byFingerprint = _keys.Select(k => k.Identity).DistinctBy(i => i.Fingerprint).ToDictionary(i => i.Fingerprint);
        WriteKeyCount = settings.WriteKeys.Count;
        ReadKeyCount = settings.ReadKeys.Count;
    }

    /// <summary>No key configured: every request may read and write (local development only, or AllowOpenAccess).</summary>
    public bool IsOpen => _keys.Length == 0;

    public int WriteKeyCount { get; }

    public int ReadKeyCount { get; }

    public ApiKeyIdentity? Find(string presented)
    {
        var hash = Hash(presented);
        ApiKeyIdentity? found = null;
        // No early exit: every key is compared whichever matches.
        foreach (var (expected, identity) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(expected, hash)) found = identity;
        }
        return found;
    }

    /// <summary>The key a session was signed in with, if it is still configured (a rotated-out key ends its sessions).</summary>
    public ApiKeyIdentity? FindByFingerprint(string fingerprint) => _byFingerprint.GetValueOrDefault(fingerprint);

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>64 bits of the key's SHA-256: tells keys apart in limits and sessions, and cannot be turned back into the key.</summary>
    private static string Fingerprint(string key) => Convert.ToHexStringLower(Hash(key))[..16];
}

public static class ApiKeys
{
    public const string Header = "X-Api-Key";

    /// <summary>The key a request presents in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, if any.</summary>
    public static string? FromRequest(HttpRequest request)
    {
        if (request.Headers.TryGetValue(Header, out var header) && !string.IsNullOrEmpty(header))
        {
            return header.ToString();
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}
