using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Configuration;

/// <summary>Binds the options from a configuration given to <c>AddSnapshotPersistence(IConfiguration)</c>.</summary>
internal sealed class ConfigureFromConfiguration(IConfiguration configuration) : IConfigureOptions<SnapshotPersistenceOptions>
{
    public void Configure(SnapshotPersistenceOptions options) => SnapshotPersistenceBinder.Bind(configuration, options);
}
