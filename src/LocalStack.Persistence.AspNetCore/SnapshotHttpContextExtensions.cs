using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>Access to the persistence request scope from a handler.</summary>
public static class SnapshotHttpContextExtensions
{
    /// <summary>
    /// Gets the request scope the persistence middleware opened for this request, or <see langword="null"/> when the
    /// request runs outside one (persistence disabled, or no service resolved). A handler that waits long (SQS
    /// <c>WaitTimeSeconds</c>) steps out of it so that snapshots are not held up:
    /// <code>
    /// var scope = context.GetSnapshotRequestScope();
    /// await using (scope is null ? null : await scope.StepOutAsync(ct))
    /// {
    ///     await WaitForMessagesAsync(ct);
    /// }
    /// </code>
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The scope, or <see langword="null"/>.</returns>
    public static SnapshotRequestScope? GetSnapshotRequestScope(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<ISnapshotRequestFeature>()?.Scope;
    }
}
