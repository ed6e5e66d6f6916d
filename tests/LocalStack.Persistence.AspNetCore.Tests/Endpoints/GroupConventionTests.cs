using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary>The returned route group takes the host's conventions: authorization, another prefix.</summary>
public sealed class GroupConventionTests
{
    [TestCase("POST", "/admin/state/s3/save")]
    [TestCase("POST", "/admin/state/save")]
    [TestCase("GET", "/admin/state")]
    public async Task RequireAuthorization_on_the_group_guards_every_endpoint(string method, string path)
    {
        var s3 = new TestProvider("s3");
        await using var host = await TestHost.StartAsync(
            [s3],
            app => app.MapSnapshotEndpoints("/admin/state").RequireAuthorization(),
            configureServices: (builder, _) =>
            {
                builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                    .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
                builder.Services.AddAuthorization();
            });
        s3.Add("bucket");
        host.Manager.MarkModified("s3");

        using var anonymous = await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(s3.Writes, Is.Zero);

        using var signedIn = new HttpRequestMessage(new HttpMethod(method), path);
        signedIn.Headers.Add(HeaderAuthenticationHandler.Header, "alice");
        using var allowed = await host.Client.SendAsync(signedIn);
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(s3.Writes, Is.EqualTo(method == "POST" ? 1 : 0));
    }

    [Test]
    public async Task The_default_prefix_is_not_mapped_when_another_is_given()
    {
        await using var host = await TestHost.StartAsync([new TestProvider("s3")], app => app.MapSnapshotEndpoints("/admin/state"));

        using var moved = await host.Client.PostAsync("/admin/state/s3/load", null);
        using var old = await host.Client.PostAsync("/_localstack/state/s3/load", null);

        Assert.That(moved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    /// <summary>Authenticates whoever sends <c>X-Test-User</c>.</summary>
    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestHeader";
        public const string Header = "X-Test-User";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(Header, out var user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.ToString())], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
