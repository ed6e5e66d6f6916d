namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>Folds a base database and its segments into one database file: restore's first step, and the background fold.</summary>
internal static class WalFold
{
    /// <summary>
    /// Writes <paramref name="destinationPath"/> as <paramref name="basePath"/> with <paramref name="segmentPaths"/>
    /// applied in order. The destination is written next to itself first and renamed when complete; on failure nothing
    /// is left at the destination.
    /// </summary>
    /// <exception cref="WalSegmentException">A segment is damaged, of another page size, or out of order.</exception>
    public static async ValueTask FoldAsync(string basePath, IReadOnlyList<string> segmentPaths, string destinationPath, CancellationToken cancellationToken)
    {
        var temp = destinationPath + ".folding";
        try
        {
            File.Copy(basePath, temp, overwrite: true);
            using (var applier = new WalSegmentApplier(temp))
            {
                for (var i = 0; i < segmentPaths.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var bytes = await File.ReadAllBytesAsync(segmentPaths[i], cancellationToken).ConfigureAwait(false);
                    try
                    {
                        applier.Apply(bytes);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new WalSegmentException(i, e.Message, e);
                    }
                }
            }

            File.Move(temp, destinationPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>A segment that cannot be applied: its index in the chain and why.</summary>
internal sealed class WalSegmentException(int segmentIndex, string reason, Exception? inner = null)
    : Exception($"WAL segment {segmentIndex} cannot be applied: {reason}.", inner)
{
    public int SegmentIndex { get; } = segmentIndex;

    public string Reason { get; } = reason;
}
