using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// S3's flexible checksums: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, each sent and answered as the base64 of the
/// big-endian checksum bytes (<c>x-amz-checksum-&lt;algorithm&gt;</c>).
/// </summary>
internal abstract class S3Checksum
{
    public static readonly string[] Algorithms = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

    public abstract string Algorithm { get; }

    /// <summary>The response/request header carrying this checksum, e.g. <c>x-amz-checksum-crc32</c>.</summary>
    public string HeaderName => HeaderFor(Algorithm);

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>The checksum bytes, big-endian.</summary>
    public abstract byte[] GetHashAndReset();

    public string GetBase64AndReset() => Convert.ToBase64String(GetHashAndReset());

    public static string HeaderFor(string algorithm) => "x-amz-checksum-" + algorithm.ToLowerInvariant();

    /// <summary>The algorithm's canonical (upper-case) name, or <see langword="null"/> when S3 does not know it.</summary>
    public static string? Normalize(string? algorithm)
    {
        if (string.IsNullOrEmpty(algorithm))
        {
            return null;
        }

        foreach (var known in Algorithms)
        {
            if (known.Equals(algorithm, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }

    public static S3Checksum Create(string algorithm) => algorithm switch
    {
        "CRC32" => new Crc32Checksum(),
        "CRC32C" => new TableCrc32("CRC32C", 0x82F63B78u),
        "CRC64NVME" => new Crc64NvmeChecksum(),
        "SHA1" => new HashChecksum("SHA1", HashAlgorithmName.SHA1),
        "SHA256" => new HashChecksum("SHA256", HashAlgorithmName.SHA256),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown checksum algorithm"),
    };

    public static byte[] Compute(string algorithm, ReadOnlySpan<byte> data)
    {
        var checksum = Create(algorithm);
        checksum.Append(data);
        return checksum.GetHashAndReset();
    }

    private sealed class Crc32Checksum : S3Checksum
    {
        private readonly Crc32 _crc = new();

        public override string Algorithm => "CRC32";

        public override void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

        public override byte[] GetHashAndReset()
        {
            var result = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(result, _crc.GetCurrentHashAsUInt32());
            _crc.Reset();
            return result;
        }
    }

    /// <summary>A reflected 32-bit CRC (init and final XOR all ones); System.IO.Hashing has only the IEEE polynomial.</summary>
    private sealed class TableCrc32 : S3Checksum
    {
        private static readonly Dictionary<uint, uint[]> Tables = [];
        private readonly uint[] _table;
        private uint _state = uint.MaxValue;

        public TableCrc32(string algorithm, uint reflectedPolynomial)
        {
            Algorithm = algorithm;
            lock (Tables)
            {
                if (!Tables.TryGetValue(reflectedPolynomial, out _table!))
                {
                    _table = new uint[256];
                    for (uint i = 0; i < 256; i++)
                    {
                        var c = i;
                        for (var k = 0; k < 8; k++)
                        {
                            c = (c & 1) != 0 ? (c >> 1) ^ reflectedPolynomial : c >> 1;
                        }

                        _table[i] = c;
                    }

                    Tables[reflectedPolynomial] = _table;
                }
            }
        }

        public override string Algorithm { get; }

        public override void Append(ReadOnlySpan<byte> data)
        {
            var table = _table;
            var crc = _state;
            foreach (var b in data)
            {
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            _state = crc;
        }

        public override byte[] GetHashAndReset()
        {
            var result = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(result, ~_state);
            _state = uint.MaxValue;
            return result;
        }
    }

    /// <summary>CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5); System.IO.Hashing's Crc64 is the ECMA-182 one.</summary>
    private sealed class Crc64NvmeChecksum : S3Checksum
    {
        private static readonly ulong[] Table = BuildTable();
        private ulong _state = ulong.MaxValue;

        public override string Algorithm => "CRC64NVME";

        public override void Append(ReadOnlySpan<byte> data)
        {
            var table = Table;
            var crc = _state;
            foreach (var b in data)
            {
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            _state = crc;
        }

        public override byte[] GetHashAndReset()
        {
            var result = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(result, ~_state);
            _state = ulong.MaxValue;
            return result;
        }

        private static ulong[] BuildTable()
        {
            const ulong polynomial = 0x9A6C9329AC4BC9B5UL;
            var table = new ulong[256];
            for (ulong i = 0; i < 256; i++)
            {
                var c = i;
                for (var k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1;
                }

                table[i] = c;
            }

            return table;
        }
    }

    private sealed class HashChecksum(string algorithm, HashAlgorithmName name) : S3Checksum
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(name);

        public override string Algorithm => algorithm;

        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public override byte[] GetHashAndReset() => _hash.GetHashAndReset();
    }
}
