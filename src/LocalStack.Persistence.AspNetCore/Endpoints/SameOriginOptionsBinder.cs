using Microsoft.Extensions.Configuration;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>
/// Binds <see cref="SameOriginOptions"/> as the core binds its options: the <c>SnapshotPersistence:Endpoints</c> section
/// first, then LocalStack's names at the top level. Lists add up (<c>EXTRA_CORS_ALLOWED_ORIGINS</c> is "extra");
/// <c>DISABLE_CORS_CHECKS</c> wins over the section. Every bad value is collected, so that one error names them all.
/// </summary>
internal static class SameOriginOptionsBinder
{
    internal const string ExtraAllowedOriginsVariable = "EXTRA_CORS_ALLOWED_ORIGINS";
    internal const string DisableChecksVariable = "DISABLE_CORS_CHECKS";
    internal const string LocalStackHostVariable = "LOCALSTACK_HOST";

    internal const string OriginValues = "comma-separated origins scheme://host[:port] with scheme http or https, such as https://app.localstack.cloud (no path, no '*', not 'null')";
    internal const string HostValues = "comma-separated host names (a name, an IP address, '*.suffix', or '*' for any), without a port";
    private const string LocalStackHostValues = "host[:port], such as localhost.localstack.cloud:4566";
    private const string BooleanValues = "1, 0, true, false";

    /// <summary>Applies the section, then LocalStack's names, to <paramref name="options"/>; bad values go to <paramref name="errors"/>.</summary>
    /// <returns>The host name of <c>LOCALSTACK_HOST</c>, when set.</returns>
    public static string? Bind(IConfiguration configuration, SameOriginOptions options, List<string> errors)
    {
        var section = configuration.GetSection(SameOriginOptions.SectionName);
        foreach (var (path, origin) in ReadList(section.GetSection(nameof(SameOriginOptions.AllowedOrigins))))
        {
            AddOrigin(options, path, origin, errors);
        }

        foreach (var (path, host) in ReadList(section.GetSection(nameof(SameOriginOptions.AllowedHosts))))
        {
            if (SameOriginRules.TryNormalizeHostPattern(host, out var pattern))
            {
                options.AllowedHosts.Add(pattern);
            }
            else
            {
                errors.Add(Invalid(path, host, HostValues));
            }
        }

        var disable = section.GetSection(nameof(SameOriginOptions.DisableOriginChecks));
        if (Read(disable) is { } sectionValue)
        {
            SetDisabled(options, disable.Path, sectionValue, errors);
        }

        foreach (var (_, origin) in ReadList(configuration.GetSection(ExtraAllowedOriginsVariable)))
        {
            AddOrigin(options, ExtraAllowedOriginsVariable, origin, errors);
        }

        if (Read(configuration.GetSection(DisableChecksVariable)) is { } variableValue)
        {
            SetDisabled(options, DisableChecksVariable, variableValue, errors);
        }

        if (Read(configuration.GetSection(LocalStackHostVariable)) is not { } localStackHost)
        {
            return null;
        }

        if (SameOriginRules.TryReadHostName(localStackHost, out var name))
        {
            return name;
        }

        errors.Add(Invalid(LocalStackHostVariable, localStackHost, LocalStackHostValues));
        return null;
    }

    internal static string Invalid(string name, string value, string allowed)
        => $"{name}='{value}' is not valid; allowed values: {allowed}.";

    private static void AddOrigin(SameOriginOptions options, string path, string origin, List<string> errors)
    {
        if (SameOriginRules.TryNormalizeOrigin(origin, out _))
        {
            options.AllowedOrigins.Add(origin);
        }
        else
        {
            errors.Add(Invalid(path, origin, OriginValues));
        }
    }

    private static void SetDisabled(SameOriginOptions options, string path, string text, List<string> errors)
    {
        if (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            options.DisableOriginChecks = true;
        }
        else if (text == "0" || text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            options.DisableOriginChecks = false;
        }
        else
        {
            errors.Add(Invalid(path, text, BooleanValues));
        }
    }

    /// <summary>A comma-separated value, or an array of them (<c>AllowedOrigins:0</c>, ...); blank items are skipped.</summary>
    private static IEnumerable<(string Path, string Item)> ReadList(IConfigurationSection entry)
    {
        var values = entry.GetChildren().Select(child => (child.Path, child.Value)).Prepend((entry.Path, entry.Value));
        foreach (var (path, value) in values)
        {
            foreach (var item in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return (path, item);
            }
        }
    }

    /// <summary>The trimmed value; <see langword="null"/> when missing or blank (LocalStack treats an empty variable as unset).</summary>
    private static string? Read(IConfigurationSection entry)
    {
        var value = entry.Value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
