using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Configuration;

/// <summary>
/// Binds the options from the container's <see cref="IConfiguration"/> (a host's configuration, with environment
/// variables as top-level keys); leaves the defaults when none is registered. Its own type so that it is registered once.
/// </summary>
internal sealed class ConfigureFromHostConfiguration(IConfiguration? configuration = null) : IConfigureOptions<SnapshotPersistenceOptions>
{
    public void Configure(SnapshotPersistenceOptions options)
    {
        if (configuration is not null)
        {
            SnapshotPersistenceBinder.Bind(configuration, options);
        }
    }
}
