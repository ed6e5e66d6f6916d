using System.Text;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>Builds aws-chunked bodies by hand, as the SDKs frame them (for raw HttpClient requests and decoder tests).</summary>
internal static class AwsChunked
{
    public static byte[] Encode(byte[] payload, int chunkSize, (string Name, string Value)? trailer, bool signed)
    {
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.ASCII.GetBytes(text));
        var signature = signed ? ";chunk-signature=" + new string('a', 64) : string.Empty;
        for (var offset = 0; offset < payload.Length; offset += chunkSize)
        {
            var count = Math.Min(chunkSize, payload.Length - offset);
            Write($"{count:x}{signature}\r\n");
            body.Write(payload, offset, count);
            Write("\r\n");
        }

        Write($"0{signature}\r\n");
        if (trailer is { } t)
        {
            Write($"{t.Name}:{t.Value}\r\n");
            if (signed)
            {
                Write($"x-amz-trailer-signature:{new string('b', 64)}\r\n");
            }
        }

        Write("\r\n");
        return body.ToArray();
    }
}
