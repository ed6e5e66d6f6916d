namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>An S3 error answered as <c>&lt;Error&gt;&lt;Code&gt;…&lt;/Code&gt;&lt;Message&gt;…&lt;/Message&gt;…&lt;/Error&gt;</c>.</summary>
internal sealed class S3Exception(int statusCode, string code, string message, params (string Name, string Value)[] details) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Code { get; } = code;

    /// <summary>Extra elements of the error document, such as <c>BucketName</c>, <c>Key</c> or <c>UploadId</c>.</summary>
    public IReadOnlyList<(string Name, string Value)> Details { get; } = details;

    /// <summary>Extra response headers (e.g. <c>Allow</c> for 405).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static S3Exception NoSuchBucket(string bucket)
        => new(404, "NoSuchBucket", "The specified bucket does not exist", ("BucketName", bucket));

    public static S3Exception NoSuchKey(string key)
        => new(404, "NoSuchKey", "The specified key does not exist.", ("Key", key));

    public static S3Exception NoSuchUpload(string uploadId)
        => new(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", ("UploadId", uploadId));

    public static S3Exception InvalidArgument(string message, string name, string value)
        => new(400, "InvalidArgument", message, ("ArgumentName", name), ("ArgumentValue", value));

    public static S3Exception InvalidRequest(string message) => new(400, "InvalidRequest", message);

    public static S3Exception MalformedXml()
        => new(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");

    public static S3Exception BadDigest(string message) => new(400, "BadDigest", message);

    public static S3Exception IncompleteBody(string message) => new(400, "IncompleteBody", message);

    public static S3Exception MethodNotAllowed(string method, string resourceType)
        => new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", ("Method", method), ("ResourceType", resourceType));

    public static S3Exception NotImplemented(string what)
        => new(501, "NotImplemented", $"A header or query you provided implies functionality that is not implemented: {what}.");
}
