namespace LocalStack.Persistence.AspNetCore;

/// <summary>
/// What <see cref="SameOriginEndpointConventionBuilderExtensions.RequireSameOrigin{TBuilder}"/> lets through besides
/// requests without an <c>Origin</c> (curl, the AWS SDKs) and pages of the server itself. Bound from the
/// <c>SnapshotPersistence:Endpoints</c> section and LocalStack's names <c>EXTRA_CORS_ALLOWED_ORIGINS</c>,
/// <c>DISABLE_CORS_CHECKS</c> and <c>LOCALSTACK_HOST</c>, then from code (<c>services.Configure&lt;SameOriginOptions&gt;</c>);
/// a value that cannot be read stops start-up with an error naming the setting.
/// </summary>
public sealed class SameOriginOptions
{
    /// <summary>The configuration section the options bind from (keys <c>AllowedOrigins</c>, <c>AllowedHosts</c>, <c>DisableOriginChecks</c>).</summary>
    public const string SectionName = "SnapshotPersistence:Endpoints";

    /// <summary>
    /// Origins of other sites whose pages may call the endpoints, such as <c>https://app.localstack.cloud</c>: each
    /// <c>scheme://host[:port]</c>, no path, no <c>*</c>, never <c>null</c>. <c>EXTRA_CORS_ALLOWED_ORIGINS</c> (comma-separated) adds to them.
    /// </summary>
    /// <value>The default value is empty: only the server's own origins.</value>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Host names the server answers to besides <c>localhost</c>, <c>*.localhost</c>, <c>localhost.localstack.cloud</c>,
    /// <c>*.localhost.localstack.cloud</c> and IP addresses: exact names, <c>*.suffix</c>, or <c>*</c> for any. Once one is
    /// set, a server bound to a non-loopback address checks the <c>Host</c> header too. <c>LOCALSTACK_HOST</c>
    /// (<c>host[:port]</c>) adds its host name without turning that check on.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>Turns off the <c>Origin</c> and <c>Sec-Fetch-Site</c> checks (<c>DISABLE_CORS_CHECKS=1</c>); the <c>Host</c> check stays.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DisableOriginChecks { get; set; }
}
