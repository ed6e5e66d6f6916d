using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>
/// Decides whether a request may reach an endpoint that changes or reveals state: refuses pages of other sites
/// (<c>Origin</c>, <c>Sec-Fetch-Site</c>) and, on a loopback-bound server, host names that are not its own (DNS rebinding).
/// One per application, built from its configuration the first time an endpoint asks for it.
/// </summary>
/// <remarks>
/// <para>
/// Why: a page the developer opens can send a "simple" request to 127.0.0.1 (<c>fetch(url, {method: 'POST', mode:
/// 'no-cors'})</c>, a form post); the browser sends it without asking, it only hides the answer. Browsers say where such a
/// request comes from (<c>Origin</c> on every POST, <c>Sec-Fetch-Site</c> on every request); curl and the AWS SDKs send
/// neither, so they pass.
/// </para>
/// <para>
/// <c>Sec-Fetch-Site</c>: <c>same-origin</c> and <c>none</c> (typed into the address bar) pass; <c>same-site</c> and
/// <c>cross-site</c> need an allowed <c>Origin</c>. <c>same-site</c> is not trusted because every other port of localhost
/// (any local dev server) and every bucket subdomain of <c>localhost.localstack.cloud</c> is the same site.
/// </para>
/// <para>
/// <c>Host</c>: checked only on a server bound to loopback addresses (or everywhere once
/// <see cref="SameOriginOptions.AllowedHosts"/> names some): a server bound to all interfaces is reached by names it
/// cannot know (a container name, the machine's name), and it is open to the network anyway. IP addresses always
/// pass: rebinding needs a name.
/// </para>
/// </remarks>
internal sealed partial class SameOriginGuard
{
    private const string SecFetchSite = "Sec-Fetch-Site";

    private static readonly ConditionalWeakTable<IServiceProvider, SameOriginGuard> Guards = [];

    private readonly string[] _hosts;
    private readonly string[] _ownHosts;
    private readonly HashSet<string> _allowedOrigins;
    private readonly bool _disableOriginChecks;
    private readonly bool _checkHostEverywhere;
    private readonly bool _anyHost;
    private readonly IServer? _server;
    private readonly ILogger _logger;

    // 0: not known yet (the server may not have started); 1: loopback only; 2: also other addresses.
    private int _binding;

    internal SameOriginGuard(SameOriginOptions options, string? localStackHost, IServer? server, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        var configuredHosts = options.AllowedHosts.Select(h => SameOriginRules.TryNormalizeHostPattern(h, out var p) ? p : h).ToArray();
        var extraHosts = localStackHost is null ? configuredHosts : [.. configuredHosts, localStackHost];
        _hosts = [.. SameOriginRules.BuiltInHosts, .. extraHosts];
        _ownHosts = [.. SameOriginRules.BuiltInOwnHosts, .. extraHosts];
        _allowedOrigins = new HashSet<string>(
            options.AllowedOrigins.Select(o => SameOriginRules.TryNormalizeOrigin(o, out var normalized) ? normalized : o),
            StringComparer.Ordinal);
        _disableOriginChecks = options.DisableOriginChecks;
        _checkHostEverywhere = configuredHosts.Length > 0;
        _anyHost = configuredHosts.Contains("*");
        _server = server;
    }

    /// <summary>The application's guard, built (and its settings validated) on first use.</summary>
    /// <exception cref="OptionsValidationException">A setting cannot be read; the message names each one.</exception>
    public static SameOriginGuard For(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Guards.GetValue(services, Create);
    }

    /// <summary>Why the request is refused, or <see langword="null"/> when it may go on.</summary>
    public string? Check(HttpContext context)
    {
        var request = context.Request;
        var host = SameOriginRules.NormalizeHostName(request.Host.Host);
        if (host.Length > 0 && ChecksHost(context) && !IsServedName(host))
        {
            return $"Host '{request.Host.Value}' is not a name this server answers to ({string.Join(", ", _hosts)}, IP addresses): a web page may have pointed its own name at this machine (DNS rebinding). Add the name to {SameOriginOptions.SectionName}:{nameof(SameOriginOptions.AllowedHosts)} (environment: {SameOriginOptions.SectionName.Replace(":", "__", StringComparison.Ordinal)}__{nameof(SameOriginOptions.AllowedHosts)}).";
        }

        if (_disableOriginChecks)
        {
            return null;
        }

        var origin = request.Headers.Origin;
        if (origin.Count > 0 && (origin.Count > 1 || !IsAllowedOrigin(origin[0], request)))
        {
            return $"Origin '{origin}' may not call this endpoint: only this server's own pages and clients that send no Origin (curl, the AWS SDKs) may. Allow a web app with {SameOriginOptionsBinder.ExtraAllowedOriginsVariable}, or turn the check off with {SameOriginOptionsBinder.DisableChecksVariable}=1.";
        }

        var site = request.Headers[SecFetchSite];
        if (site.Count > 0 && origin.Count == 0 && !IsSameOriginOrUser(site))
        {
            return $"A request from a page of another site ({SecFetchSite}: {site}) may not call this endpoint. Allow its origin with {SameOriginOptionsBinder.ExtraAllowedOriginsVariable}, or turn the check off with {SameOriginOptionsBinder.DisableChecksVariable}=1.";
        }

        return null;
    }

    /// <summary>Answers 403 in the endpoints' error shape (the service is the route's, when it has one) and logs it: the page that sent it never shows the answer.</summary>
    public Task RefuseAsync(HttpContext context, string message)
    {
        LogRefused(_logger, context.Request.Method, context.Request.Path, message);
        var service = context.Request.RouteValues.TryGetValue("service", out var value) ? value as string : null;
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.Response.WriteAsJsonAsync(
            new ServiceResultLine(service, ServiceResultLine.ErrorStatus, message),
            AspNetCoreJsonContext.Relaxed.ServiceResultLine,
            "application/json",
            context.RequestAborted);
    }

    private static SameOriginGuard Create(IServiceProvider services)
    {
        var options = new SameOriginOptions();
        var errors = new List<string>();
        var localStackHost = services.GetService<IConfiguration>() is { } configuration
            ? SameOriginOptionsBinder.Bind(configuration, options, errors)
            : null;

        // Code runs after configuration and wins, as with AddSnapshotPersistence(configure).
        foreach (var configure in services.GetServices<IConfigureOptions<SameOriginOptions>>())
        {
            configure.Configure(options);
        }

        foreach (var origin in options.AllowedOrigins.Where(o => !SameOriginRules.TryNormalizeOrigin(o, out _)))
        {
            errors.Add(SameOriginOptionsBinder.Invalid($"{nameof(SameOriginOptions)}.{nameof(SameOriginOptions.AllowedOrigins)}", origin, SameOriginOptionsBinder.OriginValues));
        }

        foreach (var host in options.AllowedHosts.Where(h => !SameOriginRules.TryNormalizeHostPattern(h, out _)))
        {
            errors.Add(SameOriginOptionsBinder.Invalid($"{nameof(SameOriginOptions)}.{nameof(SameOriginOptions.AllowedHosts)}", host, SameOriginOptionsBinder.HostValues));
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SameOriginOptions), errors.Distinct());
        }

        return new SameOriginGuard(options, localStackHost, services.GetService<IServer>(), services.GetService<ILogger<SameOriginGuard>>());
    }

    private static bool IsSameOriginOrUser(string? site)
        => string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase) || string.Equals(site, "none", StringComparison.OrdinalIgnoreCase);

    private bool IsServedName(string host)
        => SameOriginRules.IsIpLiteral(host) || _hosts.Any(pattern => SameOriginRules.Matches(pattern, host));

    /// <summary>A listed origin, the request's own (<c>scheme://Host</c>), or one of the server's own names at the port it was reached on.</summary>
    private bool IsAllowedOrigin(string? text, HttpRequest request)
    {
        if (!SameOriginRules.TryParseOrigin(text, out var origin) || !SameOriginRules.TryNormalizeOrigin(text, out var normalized))
        {
            return false;
        }

        if (_allowedOrigins.Contains(normalized))
        {
            return true;
        }

        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        if (origin.Port != port)
        {
            return false;
        }

        var host = SameOriginRules.NormalizeHostName(origin.Host);
        return host == SameOriginRules.NormalizeHostName(request.Host.Host)
            || SameOriginRules.IsLoopbackLiteral(host)
            || _ownHosts.Any(pattern => SameOriginRules.Matches(pattern, host));
    }

    private bool ChecksHost(HttpContext context)
        => !_anyHost && (_checkHostEverywhere || IsLoopbackBound(context));

    private bool IsLoopbackBound(HttpContext context)
    {
        var binding = Volatile.Read(ref _binding);
        if (binding != 0)
        {
            return binding == 1;
        }

        var addresses = _server?.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            // No addresses (an in-memory test server): judge by the connection, not cached.
            return context.Connection.LocalIpAddress is not { } local || IPAddress.IsLoopback(local);
        }

        var loopback = addresses.All(IsLoopbackAddress);
        Volatile.Write(ref _binding, loopback ? 1 : 2);
        return loopback;
    }

    private static bool IsLoopbackAddress(string address)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }

        // A Unix socket or a named pipe cannot be reached from a browser by any name.
        if (binding.IsUnixPipe || binding.IsNamedPipe)
        {
            return true;
        }

        var host = SameOriginRules.NormalizeHostName(binding.Host);
        return host == "localhost" || SameOriginRules.IsLoopbackLiteral(host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host);
    }

    [LoggerMessage(210, LogLevel.Warning, "Refused {Method} {Path} with 403: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, string reason);
}
