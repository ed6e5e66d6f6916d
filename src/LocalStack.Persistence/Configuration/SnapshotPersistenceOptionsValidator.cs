using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Configuration;

/// <summary>Validates <see cref="SnapshotPersistenceOptions"/> at start-up from its data annotations (source-generated, trim-safe).</summary>
[OptionsValidator]
internal sealed partial class SnapshotPersistenceOptionsValidator : IValidateOptions<SnapshotPersistenceOptions>;
