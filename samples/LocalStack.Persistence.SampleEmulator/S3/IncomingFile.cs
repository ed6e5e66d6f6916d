using LocalStack.Persistence.AspNetCore;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Writes a new object or part file outside the service's gate: a client's slow upload (or a long copy) must hold up
/// neither a save nor, through the save waiting for the gate, any other S3 request. The request steps out of its scope
/// while the file is written and verified, and steps back in for the caller to commit it (under the lock, no I/O).
/// </summary>
internal static class IncomingFile
{
    /// <summary>
    /// Writes <paramref name="file"/> (from <see cref="S3Store.NewIncomingFile"/>) with <paramref name="write"/> while out of the
    /// gate. On any failure (bad digest, client gone, cancelled, re-entry refused) the file is deleted before this throws;
    /// on success the request is back inside the gate, and the service may have been reset or loaded meanwhile: the
    /// caller looks its bucket up again and commits, or drops the file (<see cref="S3Store.DeleteAfterResponse"/>).
    /// </summary>
    public static async Task<T> WriteAsync<T>(S3Request r, S3Store store, string file, Func<Stream, Task<T>> write)
    {
        var scope = r.Http.HttpContext.GetSnapshotRequestScope(); // null when persistence is off
        T result;
        try
        {
            var stepOut = scope is null ? null : await scope.StepOutAsync(r.Aborted);
            await using (var destination = ObjectOperations.CreateFile(store.PathOf(file)))
            {
                result = await write(destination);
            }

            if (stepOut is not null)
            {
                await stepOut.DisposeAsync(); // back into the gate
            }
        }
        catch
        {
            // Outside the gate (a failed re-entry leaves the request outside): the file goes at once, and the scope's
            // end knows it holds no gate.
            store.Abandon(file);
            throw;
        }

        return result;
    }
}
