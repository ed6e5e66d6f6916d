using System.Net;
using LocalStack.Persistence.AspNetCore.Endpoints;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary>
/// The state endpoints refuse web pages of other sites and DNS rebinding (<see cref="SameOriginEndpointConventionBuilderExtensions.RequireSameOrigin{TBuilder}"/>),
/// against a real Kestrel on 127.0.0.1: a refused save, load or reset leaves the live state and the disk as they were.
/// </summary>
public sealed class SameOriginTests
{
    private const string Prefix = "/_localstack/state";

    private static readonly string[] Operations =
    [
        "POST s3/save", "POST s3/load", "POST s3/reset", "POST save", "POST load", "POST reset", "GET ",
    ];

    private TestProvider _s3 = null!;
    private TestProvider _sqs = null!;
    private TestHost _host = null!;

    private int Port => _host.Client.BaseAddress!.Port;

    /// <summary>A test case's text with <c>{port}</c> replaced by the server's port.</summary>
    private string WithPort(string text) => text.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    [SetUp]
    public Task Start() => StartAsync(new Dictionary<string, string?>());

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task A_request_without_origin_like_curl_or_an_sdk_is_served([ValueSource(nameof(Operations))] string operation)
    {
        await AssertServedAsync(operation);
    }

    [TestCase("http://127.0.0.1:{port}")]
    [TestCase("http://localhost:{port}")]
    [TestCase("http://localhost.localstack.cloud:{port}")]
    [TestCase("http://[::1]:{port}")]
    public async Task The_servers_own_origins_are_served(string origin)
    {
        await AssertServedAsync("POST s3/save", ("Origin", WithPort(origin)), ("Sec-Fetch-Site", "same-origin"));
    }

    [TestCase("https://evil.example")]
    [TestCase("null")]
    [TestCase("http://localhost:1")]
    [TestCase("http://127.0.0.1.evil.example:{port}")]
    [TestCase("http://my-bucket.s3.localhost.localstack.cloud:{port}")]
    [TestCase("http://evil.localhost:{port}")]
    [TestCase("http://localhost:{port}/path")]
    [TestCase("not an origin")]
    public async Task A_foreign_origin_is_refused_and_touches_nothing(string origin)
    {
        foreach (var operation in Operations)
        {
            await AssertRefusedAsync(operation, "Origin '", ("Origin", WithPort(origin)));
        }
    }

    [Test]
    public async Task A_refusal_is_logged_as_a_warning_because_the_page_never_shows_it()
    {
        var logs = new CapturingLoggerProvider();
        await _host.DisposeAsync();
        await StartAsync([], configureServices: builder => builder.Logging.AddProvider(logs));

        await AssertRefusedAsync("POST s3/reset", "Origin '", ("Origin", "https://evil.example"));

        var entry = logs.WithEventId(210).Single();
        Assert.That(entry.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(entry.Message, Does.StartWith("Refused POST /_localstack/state/s3/reset with 403: Origin 'https://evil.example'"));
    }

    [Test]
    public async Task Two_origin_headers_are_refused()
        => await AssertRefusedAsync("POST s3/reset", "Origin '", ("Origin", $"http://localhost:{Port}"), ("Origin", "https://evil.example"));

    [TestCase("cross-site")]
    [TestCase("same-site")]
    [TestCase("something-new")]
    public async Task A_request_from_a_page_of_another_site_is_refused_even_without_origin(string site)
    {
        foreach (var operation in Operations)
        {
            await AssertRefusedAsync(operation, $"Sec-Fetch-Site: {site}", ("Sec-Fetch-Site", site));
        }
    }

    [TestCase("same-origin")]
    [TestCase("none")]
    public async Task A_request_of_the_servers_own_page_or_typed_by_the_user_is_served(string site)
    {
        await AssertServedAsync("POST s3/save", ("Sec-Fetch-Site", site));
    }

    [TestCase("evil.example:{port}")]
    [TestCase("evil.example")]
    [TestCase("localhost.evil.example:{port}")]
    [TestCase("localstack.cloud:{port}")]
    public async Task A_foreign_host_name_on_a_loopback_server_is_refused_as_dns_rebinding(string host)
    {
        foreach (var operation in Operations)
        {
            await AssertRefusedAsync(operation, "DNS rebinding", ("Host", WithPort(host)));
        }
    }

    [TestCase("localhost:{port}")]
    [TestCase("LOCALHOST.:{port}")]
    [TestCase("127.0.0.1:{port}")]
    [TestCase("[::1]:{port}")]
    [TestCase("localhost.localstack.cloud:{port}")]
    [TestCase("foo.localhost.localstack.cloud:{port}")]
    [TestCase("my-bucket.localhost:{port}")]
    [TestCase("10.1.2.3:{port}")]
    public async Task The_names_of_a_loopback_server_and_ip_addresses_are_served(string host)
    {
        await AssertServedAsync("POST s3/save", ("Host", WithPort(host)));
    }

    [Test]
    public async Task Extra_cors_allowed_origins_lets_the_named_web_apps_in_and_no_other()
    {
        await RestartAsync(new() { ["EXTRA_CORS_ALLOWED_ORIGINS"] = "https://app.localstack.cloud, http://tools.example:8080" });

        await AssertServedAsync("POST s3/save", ("Origin", "https://app.localstack.cloud"), ("Sec-Fetch-Site", "cross-site"));

        await AssertServedAsync("GET ", ("Origin", "http://TOOLS.example:8080"), ("Sec-Fetch-Site", "cross-site"));

        await AssertRefusedAsync("POST s3/reset", "Origin '", ("Origin", "http://tools.example:8081"));
        await AssertRefusedAsync("POST reset", "Origin '", ("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"));
    }

    [TestCase("1")]
    [TestCase("true")]
    public async Task Disable_cors_checks_lets_any_origin_in_but_keeps_the_host_check(string value)
    {
        await RestartAsync(new() { ["DISABLE_CORS_CHECKS"] = value });

        await AssertServedAsync("POST s3/save", ("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"));

        await AssertServedAsync("POST s3/save", ("Origin", "null"));

        await AssertRefusedAsync("POST s3/reset", "DNS rebinding", ("Host", $"evil.example:{Port}"));
    }

    [Test]
    public async Task Configured_host_names_and_localstack_host_are_served_and_are_the_servers_own_origins()
    {
        await RestartAsync(new()
        {
            ["SnapshotPersistence:Endpoints:AllowedHosts"] = "emulator.test, *.dev.example",
            ["LOCALSTACK_HOST"] = "my-stack.internal:4566",
        });

        foreach (var host in new[] { "emulator.test", "a.dev.example", "my-stack.internal" })
        {
            await AssertServedAsync("POST s3/save", ("Host", $"{host}:{Port}"), ("Origin", $"http://{host}:{Port}"));
        }

        await AssertRefusedAsync("POST s3/reset", "DNS rebinding", ("Host", $"dev.example:{Port}"));
        await AssertRefusedAsync("POST s3/reset", "Origin '", ("Origin", $"http://emulator.test:{Port + 1}"));
    }

    [Test]
    public async Task Code_configuration_adds_to_the_environment()
    {
        await RestartAsync(
            new() { ["EXTRA_CORS_ALLOWED_ORIGINS"] = "https://app.localstack.cloud" },
            persistence => persistence.ConfigureSameOrigin(o => o.AllowedOrigins.Add("https://dashboard.example")));

        foreach (var origin in new[] { "https://app.localstack.cloud", "https://dashboard.example" })
        {
            await AssertServedAsync("POST s3/save", ("Origin", origin));
        }
    }

    [Test]
    public async Task Unreadable_settings_stop_the_start_naming_each_one()
    {
        var settings = new Dictionary<string, string?>
        {
            ["EXTRA_CORS_ALLOWED_ORIGINS"] = "https://ok.example,null,https://a.example/path,*",
            ["DISABLE_CORS_CHECKS"] = "maybe",
            ["SnapshotPersistence:Endpoints:AllowedHosts"] = "emulator.test:4566",
            ["LOCALSTACK_HOST"] = "http://x/",
        };

        var error = (await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(
            [new TestProvider("s3")],
            app => app.MapSnapshotEndpoints(),
            configureServices: (builder, _) => builder.Configuration.AddInMemoryCollection(settings))))!;

        Assert.That(error.Failures, Is.EquivalentTo(new[]
        {
            $"EXTRA_CORS_ALLOWED_ORIGINS='null' is not valid; allowed values: {OriginValues}.",
            $"EXTRA_CORS_ALLOWED_ORIGINS='https://a.example/path' is not valid; allowed values: {OriginValues}.",
            $"EXTRA_CORS_ALLOWED_ORIGINS='*' is not valid; allowed values: {OriginValues}.",
            "DISABLE_CORS_CHECKS='maybe' is not valid; allowed values: 1, 0, true, false.",
            $"SnapshotPersistence:Endpoints:AllowedHosts='emulator.test:4566' is not valid; allowed values: {HostValues}.",
            "LOCALSTACK_HOST='http://x/' is not valid; allowed values: host[:port], such as localhost.localstack.cloud:4566.",
        }));
    }

    [Test]
    public async Task Every_state_endpoint_is_guarded_and_health_is_not()
    {
        await using var host = await TestHost.StartAsync(
            [new TestProvider("s3")],
            app =>
            {
                app.MapSnapshotEndpoints();
                app.MapSnapshotHealth();
            });
        var endpoints = host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        var state = endpoints.Where(e => e.RoutePattern.RawText!.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        Assert.That(state, Has.Count.EqualTo(3));
        Assert.That(state.Where(e => !e.Metadata.Contains(SameOriginRequirement.Instance)).Select(e => e.DisplayName), Is.Empty);
        Assert.That(endpoints.Single(e => e.RoutePattern.RawText == SnapshotEndpointRouteBuilderExtensions.DefaultHealthPath).Metadata.Contains(SameOriginRequirement.Instance), Is.False);

        // Health stays open: read-only, and LocalStack's tools poll it.
        using var request = new HttpRequestMessage(HttpMethod.Get, SnapshotEndpointRouteBuilderExtensions.DefaultHealthPath);
        request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        using var health = await host.Client.SendAsync(request);
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task An_endpoint_mapped_later_reuses_the_guard_and_its_handler_never_runs_for_a_foreign_page()
    {
        var exports = 0;
        await using var host = await TestHost.StartAsync(
            [new TestProvider("s3")],
            app =>
            {
                app.MapSnapshotEndpoints().MapPost("export", () => Interlocked.Increment(ref exports));
                app.MapPost("/_localstack/archive/import", () => Interlocked.Increment(ref exports)).RequireSameOrigin().RequireSameOrigin();
            });

        foreach (var path in new[] { $"{Prefix}/export", "/_localstack/archive/import" })
        {
            using var refused = new HttpRequestMessage(HttpMethod.Post, path);
            refused.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
            using (var response = await host.Client.SendAsync(refused))
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), path);
            }

            using var served = await host.Client.PostAsync(path, null);
            Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        }

        Assert.That(exports, Is.EqualTo(2));
    }

    [TestCase("http://0.0.0.0:4566", "", true)]
    [TestCase("http://[::]:4566", "", true)]
    [TestCase("http://+:4566", "", true)]
    [TestCase("http://127.0.0.1:4566", "", false)]
    [TestCase("http://localhost:4566", "", false)]
    [TestCase("http://[::1]:4566", "", false)]
    [TestCase("http://0.0.0.0:4566", "emulator.test", false)]
    [TestCase("http://0.0.0.0:4566", "*", true)]
    [TestCase("http://127.0.0.1:4566", "*", true)]
    public void Only_a_loopback_bound_server_checks_the_host_unless_names_are_configured(string address, string allowedHosts, bool anyHostServed)
    {
        var options = new SameOriginOptions();
        foreach (var name in allowedHosts.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            options.AllowedHosts.Add(name);
        }

        var guard = new SameOriginGuard(options, localStackHost: null, new AddressesOnly(address));
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString("evil.example:4566");

        Assert.That(guard.Check(context), anyHostServed ? Is.Null : Does.Contain("DNS rebinding"));
    }

    private const string OriginValues = "comma-separated origins scheme://host[:port] with scheme http or https, such as https://app.localstack.cloud (no path, no '*', not 'null')";
    private const string HostValues = "comma-separated host names (a name, an IP address, '*.suffix', or '*' for any), without a port";

    private async Task RestartAsync(Dictionary<string, string?> settings, Action<SnapshotPersistenceBuilder>? configure = null)
    {
        await _host.DisposeAsync();
        await StartAsync(settings, configure);
    }

    /// <summary>A saved snapshot of each service, then a live change after it: what a save, load or reset would alter.</summary>
    private async Task StartAsync(Dictionary<string, string?> settings, Action<SnapshotPersistenceBuilder>? configure = null, Action<WebApplicationBuilder>? configureServices = null)
    {
        _s3 = new TestProvider("s3");
        _sqs = new TestProvider("sqs");
        _host = await TestHost.StartAsync(
            [_s3, _sqs],
            app => app.MapSnapshotEndpoints(),
            configureServices: (builder, persistence) =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                configure?.Invoke(persistence);
                configureServices?.Invoke(builder);
            });
        foreach (var provider in new[] { _s3, _sqs })
        {
            provider.Add("saved");
            _host.Manager.MarkModified(provider.ServiceName);
            await _host.Manager.SaveAsync(provider.ServiceName);
            provider.Add("live");
            _host.Manager.MarkModified(provider.ServiceName);
        }

        Assert.That(Snapshot(), Is.Not.Empty, "a snapshot on disk that a refused request must leave alone");
    }

    private Dictionary<string, byte[]> Snapshot()
        => Directory.EnumerateFiles(_host.StateDirectory, "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(path => path, File.ReadAllBytes);

    private async Task<HttpResponseMessage> SendAsync(string operation, params (string Name, string Value)[] headers)
    {
        var method = operation[..operation.IndexOf(' ', StringComparison.Ordinal)];
        var path = operation[(method.Length + 1)..];
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Length == 0 ? Prefix : $"{Prefix}/{path}");
        foreach (var (name, value) in headers)
        {
            if (name == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await _host.Client.SendAsync(request);
    }

    private async Task AssertServedAsync(string operation, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(operation, headers);

        var what = $"{operation} with {string.Join(", ", headers.Select(h => $"{h.Name}: {h.Value}"))}";
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{what}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task AssertRefusedAsync(string operation, string reason, params (string Name, string Value)[] headers)
    {
        var (s3Items, sqsItems) = (_s3.Items, _sqs.Items);
        var dirty = (_host.Manager.GetStatus("s3").Dirty, _host.Manager.GetStatus("sqs").Dirty);
        Assert.That(s3Items, Is.Not.Empty, "state a reset would clear");
        var before = Snapshot();

        using var response = await SendAsync(operation, headers);

        var what = $"{operation} with {string.Join(", ", headers.Select(h => $"{h.Name}: {h.Value}"))}";
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), $"{what}: {await response.Content.ReadAsStringAsync()}");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), what);
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["status"], Is.EqualTo("error"), what);
        Assert.That((string?)body["message"], Does.Contain(reason), what);
        Assert.That((string?)body["service"], Is.EqualTo(operation.StartsWith("POST s3/", StringComparison.Ordinal) ? "s3" : null), what);
        Assert.That(body.AsObject().ContainsKey("services"), Is.False, $"{what}: the status must not leak");

        // Nothing ran: the live state, the dirty flags and every file of the state folder are as before.
        Assert.That(_s3.Items, Is.EqualTo(s3Items), what);
        Assert.That(_sqs.Items, Is.EqualTo(sqsItems), what);
        Assert.That((_host.Manager.GetStatus("s3").Dirty, _host.Manager.GetStatus("sqs").Dirty), Is.EqualTo(dirty), what);
        var disk = Snapshot();
        Assert.That(disk.Keys, Is.EquivalentTo(before.Keys), what);
        foreach (var (path, bytes) in before)
        {
            Assert.That(disk[path], Is.EqualTo(bytes), $"{what}: {path}");
        }
    }

    /// <summary>The addresses a server bound elsewhere than 127.0.0.1 reports (tests bind loopback only).</summary>
    private sealed class AddressesOnly : Microsoft.AspNetCore.Hosting.Server.IServer
    {
        public AddressesOnly(string address)
        {
            var addresses = new Microsoft.AspNetCore.Hosting.Server.Features.ServerAddressesFeature();
            addresses.Addresses.Add(address);
            Features.Set<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>(addresses);
        }

        public Microsoft.AspNetCore.Http.Features.IFeatureCollection Features { get; } = new Microsoft.AspNetCore.Http.Features.FeatureCollection();

        public Task StartAsync<TContext>(Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull
            => throw new NotSupportedException();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
