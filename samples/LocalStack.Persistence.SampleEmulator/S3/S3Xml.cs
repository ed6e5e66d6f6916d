using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>The XML side of S3's REST-XML protocol: response documents, error documents and request bodies.</summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    public const string ContentType = "application/xml";

    // Bodies S3 parses as XML (DeleteObjects, CompleteMultipartUpload, CreateBucketConfiguration) are small.
    private const int MaxXmlBodyBytes = 4 * 1024 * 1024;

    private static readonly XmlWriterSettings WriterSettings = new() { Encoding = new UTF8Encoding(false), Indent = false, Async = false };

    /// <summary>Writes a 200 (or <paramref name="statusCode"/>) XML document built by <paramref name="build"/>.</summary>
    public static async Task WriteAsync(HttpResponse response, string root, Action<XmlWriter> build, CancellationToken cancellationToken, int statusCode = 200)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, WriterSettings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement(root, Namespace);
            build(writer);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }

        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    /// <summary>An S3 error; HEAD requests get the status code only, as S3 sends no body to them.</summary>
    public static async Task WriteErrorAsync(HttpContext http, S3Exception error, string requestId, string? resource)
    {
        var response = http.Response;
        response.StatusCode = error.StatusCode;
        foreach (var (name, value) in error.Headers)
        {
            response.Headers[name] = value;
        }

        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, WriterSettings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement("Error");
            writer.WriteElementString("Code", error.Code);
            writer.WriteElementString("Message", error.Message);
            foreach (var (name, value) in error.Details)
            {
                writer.WriteElementString(name, value);
            }

            if (resource is not null)
            {
                writer.WriteElementString("Resource", resource);
            }

            writer.WriteElementString("RequestId", requestId);
            writer.WriteElementString("HostId", requestId);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }

        response.ContentType = ContentType;
        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
    }

    /// <summary>Reads and parses a small XML request body (no DTDs, no external entities).</summary>
    public static XElement ReadBody(byte[] body)
    {
        if (body.Length == 0)
        {
            throw S3Exception.MalformedXml();
        }

        try
        {
            using var stream = new MemoryStream(body, writable: false);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XDocument.Load(reader).Root ?? throw S3Exception.MalformedXml();
        }
        catch (XmlException)
        {
            throw S3Exception.MalformedXml();
        }
    }

    public static int MaxBodyBytes => MaxXmlBodyBytes;

    /// <summary>Child elements by local name, whatever namespace the client used (SDKs send S3's, curl users often none).</summary>
    public static IEnumerable<XElement> Children(this XElement element, string localName)
        => element.Elements().Where(e => e.Name.LocalName == localName);

    public static string? ChildValue(this XElement element, string localName)
        => element.Children(localName).FirstOrDefault()?.Value;

    /// <summary>ISO 8601 with milliseconds, as S3 writes dates in XML: <c>2009-10-12T17:50:30.000Z</c>.</summary>
    public static string Timestamp(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>RFC 1123, as S3 writes dates in headers (<c>Last-Modified</c>).</summary>
    public static string HttpDate(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);
}
