namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// Damages snapshot bytes the way Redis's corrupt-dump fuzzer does: bit flips, truncations, splices (bytes of another
/// snapshot, a duplicated range, inserted garbage), deleted and overwritten ranges, appended bytes. Deterministic for a
/// given <see cref="Random"/>.
/// </summary>
internal static class SnapshotMutator
{
    // The header is where the length fields live: bias some damage towards it.
    private const int HeaderRegion = 96;

    public static readonly string[] Kinds =
    [
        "bit-flips", "header-bit-flips", "truncate", "splice-other", "splice-other-tail", "duplicate-range",
        "insert-garbage", "delete-range", "overwrite-constant", "append-garbage", "swap-whole-file",
    ];

    /// <summary>Applies one to three mutations; returns the new bytes and the names of the mutations applied.</summary>
    public static (byte[] Bytes, string Description) Mutate(Random random, byte[] original, IReadOnlyList<byte[]> others)
    {
        // Now and then a whole other valid snapshot (a valid file that must load), else one to three damages.
        if (random.Next(50) == 0)
        {
            return ([.. others[random.Next(others.Count)]], "swap-whole-file");
        }

        var bytes = new List<byte>(original);
        var applied = new List<string>();
        var count = 1 + random.Next(3);
        for (var k = 0; k < count; k++)
        {
            var kind = Kinds[random.Next(Kinds.Length - 1)];
            applied.Add(kind + Apply(kind, random, bytes, others));
        }

        return ([.. bytes], string.Join(" + ", applied));
    }

    private static string Apply(string kind, Random random, List<byte> bytes, IReadOnlyList<byte[]> others)
    {
        switch (kind)
        {
            case "bit-flips":
            case "header-bit-flips":
            {
                if (bytes.Count == 0)
                {
                    return "(empty)";
                }

                var flips = 1 + random.Next(8);
                var limit = kind == "header-bit-flips" ? Math.Min(HeaderRegion, bytes.Count) : bytes.Count;
                for (var f = 0; f < flips; f++)
                {
                    var at = random.Next(limit);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                return $"({flips})";
            }

            case "truncate":
            {
                var length = random.Next(bytes.Count);
                bytes.RemoveRange(length, bytes.Count - length);
                return $"(to {length})";
            }

            case "splice-other":
            {
                var other = others[random.Next(others.Count)];
                var from = random.Next(other.Length);
                var length = 1 + random.Next(Math.Min(512, other.Length - from));
                var at = random.Next(bytes.Count + 1);
                var overwrite = Math.Min(length, bytes.Count - at);
                bytes.RemoveRange(at, overwrite);
                bytes.InsertRange(at, other.AsSpan(from, length).ToArray());
                return $"({length} at {at})";
            }

            case "splice-other-tail":
            {
                var other = others[random.Next(others.Count)];
                var at = random.Next(Math.Min(bytes.Count, other.Length) + 1);
                bytes.RemoveRange(at, bytes.Count - at);
                bytes.AddRange(other.AsSpan(at).ToArray());
                return $"(from {at})";
            }

            case "duplicate-range":
            {
                if (bytes.Count == 0)
                {
                    return "(empty)";
                }

                var from = random.Next(bytes.Count);
                var length = 1 + random.Next(Math.Min(4096, bytes.Count - from));
                var copy = bytes.GetRange(from, length);
                bytes.InsertRange(random.Next(bytes.Count + 1), copy);
                return $"({length})";
            }

            case "insert-garbage":
            {
                var garbage = new byte[1 + random.Next(64)];
                random.NextBytes(garbage);
                bytes.InsertRange(random.Next(bytes.Count + 1), garbage);
                return $"({garbage.Length})";
            }

            case "delete-range":
            {
                if (bytes.Count == 0)
                {
                    return "(empty)";
                }

                var from = random.Next(bytes.Count);
                var length = 1 + random.Next(Math.Min(256, bytes.Count - from));
                bytes.RemoveRange(from, length);
                return $"({length})";
            }

            case "overwrite-constant":
            {
                if (bytes.Count == 0)
                {
                    return "(empty)";
                }

                var value = random.Next(2) == 0 ? (byte)0x00 : (byte)0xFF;
                var from = random.Next(bytes.Count);
                var length = 1 + random.Next(Math.Min(64, bytes.Count - from));
                for (var i = from; i < from + length; i++)
                {
                    bytes[i] = value;
                }

                return $"({length}x{value:X2})";
            }

            case "append-garbage":
            {
                var garbage = new byte[1 + random.Next(128)];
                random.NextBytes(garbage);
                bytes.AddRange(garbage);
                return $"({garbage.Length})";
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown mutation.");
        }
    }
}
