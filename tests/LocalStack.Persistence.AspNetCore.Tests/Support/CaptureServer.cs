using System.Collections.Concurrent;
using LocalStack.Persistence.AspNetCore.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>What the resolver made of one request that reached the capture server.</summary>
// Operation: what AwsOperation.ReadAsync gives the handler after the resolver ran; OperationReadOnce: whether that is the
// very instance the resolver read (the request was parsed once).
internal sealed record CapturedRequest(
    string Method,
    string PathAndQuery,
    string? Target,
    ServiceRequest? Resolved,
    AwsCredentialScope? Scope,
    string BodyReadAfterwards,
    AwsOperation? Operation = null,
    bool OperationReadOnce = false);

/// <summary>
/// A real Kestrel server that runs <see cref="AwsServiceRequestResolver"/> on every request it receives (from real AWS SDK
/// clients or raw HTTP), records the outcome, reads the body afterwards as a handler would, and answers 400.
/// </summary>
internal sealed class CaptureServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CapturedRequest> _captured = new();

    private CaptureServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<CaptureServer> StartAsync(AwsServiceRequestResolver resolver)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        CaptureServer? server = null;
        app.Run(async context =>
        {
            var resolved = await resolver.ResolveAsync(context, context.RequestAborted);
            var readByResolver = context.Features.Get<AwsOperation>();
            var operation = await AwsOperation.ReadAsync(context, context.RequestAborted);
            var scope = AwsCredentialScope.FromRequest(context.Request);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            server!._captured.Enqueue(new CapturedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers["X-Amz-Target"].FirstOrDefault(),
                resolved,
                scope,
                body,
                operation,
                ReferenceEquals(operation, readByResolver)));
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        });
        await app.StartAsync().WaitAsync(TestHost.Patience);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new CaptureServer(app, new Uri(address));
        return server;
    }

    /// <summary>Runs <paramref name="call"/> (its failure on the dummy answer is expected) and returns the one request it sent.</summary>
    public async Task<CapturedRequest> CaptureAsync(Func<Task> call)
    {
        _captured.Clear();
        try
        {
            await call().WaitAsync(TestHost.Patience);
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            // The SDK cannot parse the capture server's empty 400; what it sent is what matters.
        }

        Assert.That(_captured, Has.Count.EqualTo(1), "exactly one request per call (retries are off)");
        return _captured.Single();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TestHost.Patience);
        await _app.DisposeAsync();
    }
}
