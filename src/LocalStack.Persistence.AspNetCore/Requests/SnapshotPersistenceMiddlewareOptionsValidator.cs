using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>Validates <see cref="SnapshotPersistenceMiddlewareOptions"/> from its data annotations (source-generated, trim-safe).</summary>
[OptionsValidator]
internal sealed partial class SnapshotPersistenceMiddlewareOptionsValidator : IValidateOptions<SnapshotPersistenceMiddlewareOptions>;
