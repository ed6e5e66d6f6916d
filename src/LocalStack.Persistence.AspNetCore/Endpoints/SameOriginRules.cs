using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>Reading and matching of origins and host names for <see cref="SameOriginGuard"/>; pure functions.</summary>
internal static class SameOriginRules
{
    /// <summary>
    /// Names a loopback server answers to whatever is configured: they resolve to this machine on every system (RFC 6761
    /// for <c>.localhost</c>; LocalStack's public DNS for <c>localhost.localstack.cloud</c>), so no page can rebind them.
    /// </summary>
    public static readonly string[] BuiltInHosts = ["localhost", "*.localhost", "localhost.localstack.cloud", "*.localhost.localstack.cloud"];

    /// <summary>
    /// The built-in names whose pages, at the server's port, count as its own. Not the wildcards: bucket subdomains
    /// (<c>my-bucket.s3.localhost.localstack.cloud</c>, <c>my-bucket.localhost</c>) serve S3 objects, content anyone may upload.
    /// </summary>
    public static readonly string[] BuiltInOwnHosts = ["localhost", "localhost.localstack.cloud"];

    /// <summary>What an origin or a <c>host[:port]</c> never holds: a path, query, fragment, user, wildcard or space.</summary>
    private static readonly SearchValues<char> NotInAuthority = SearchValues.Create("/?#@*\\ ");

    /// <summary>An origin as <c>scheme://host:port</c>, the port always written: the form allowed origins are compared in.</summary>
    public static bool TryNormalizeOrigin(string? text, [NotNullWhen(true)] out string? origin)
    {
        origin = null;
        if (!TryParseOrigin(text, out var uri))
        {
            return false;
        }

        origin = string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.Host}:{uri.Port}");
        return true;
    }

    /// <summary>Parses <c>scheme://host[:port]</c> (http or https; a trailing <c>/</c> is tolerated); nothing else: no path, user, query, <c>null</c> or <c>*</c>.</summary>
    public static bool TryParseOrigin(string? text, [NotNullWhen(true)] out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || text.AsSpan(separator + 3).TrimEnd('/').IndexOfAny(NotInAuthority) >= 0)
        {
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(parsed.Host))
        {
            return false;
        }

        uri = parsed;
        return true;
    }

    /// <summary>A host-name pattern of the settings: a name or IP address, <c>*.suffix</c>, or <c>*</c>; lower case, no trailing dot.</summary>
    public static bool TryNormalizeHostPattern(string? text, [NotNullWhen(true)] out string? pattern)
    {
        pattern = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var name = NormalizeHostName(text.Trim());
        if (name == "*")
        {
            pattern = name;
            return true;
        }

        var bare = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
        if (bare.Contains('*', StringComparison.Ordinal) || Uri.CheckHostName(bare.Trim('[', ']')) == UriHostNameType.Unknown
            || (bare.StartsWith('[') && !IsIpLiteral(bare)))
        {
            return false;
        }

        pattern = name;
        return true;
    }

    /// <summary>The host name of <c>LOCALSTACK_HOST</c>'s <c>host[:port]</c>.</summary>
    public static bool TryReadHostName(string text, [NotNullWhen(true)] out string? name)
    {
        name = null;
        if (text.AsSpan().IndexOfAny(NotInAuthority) >= 0
            || !Uri.TryCreate("http://" + text, UriKind.Absolute, out var uri)
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        name = NormalizeHostName(uri.Host);
        return true;
    }

    /// <summary>Lower case and without a trailing dot (<c>localhost.</c> is <c>localhost</c>); IPv6 keeps its brackets.</summary>
    public static string NormalizeHostName(string host) => host.TrimEnd('.').ToLowerInvariant();

    /// <summary>An IP address as a host (<c>127.0.0.1</c>, <c>[::1]</c>): no DNS, so no rebinding.</summary>
    public static bool IsIpLiteral(string host)
    {
        if (host.StartsWith('['))
        {
            return host.EndsWith(']') && IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out _);
        }

        return Uri.CheckHostName(host) == UriHostNameType.IPv4;
    }

    /// <summary>A loopback address as a host: <c>127.x.x.x</c>, <c>[::1]</c>.</summary>
    public static bool IsLoopbackLiteral(string host)
        => IsIpLiteral(host) && IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    /// <summary>Whether a normalized host name matches a normalized pattern: equal, or under <c>*.suffix</c> (at least one more label), or <c>*</c>.</summary>
    public static bool Matches(string pattern, string host)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = pattern.AsSpan(1);
            return host.Length > suffix.Length && host.AsSpan().EndsWith(suffix, StringComparison.Ordinal);
        }

        return pattern == host;
    }
}
