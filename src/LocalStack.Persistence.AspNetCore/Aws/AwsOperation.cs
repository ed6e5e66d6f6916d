using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace LocalStack.Persistence.AspNetCore.Aws;

/// <summary>
/// The AWS operation a request names, read once per request and kept on the <see cref="HttpContext"/>, so that the
/// persistence middleware (which counts the request as a read or a write) and the handler (which runs it) act on the
/// same operation. The operation comes from <c>X-Amz-Target: &lt;prefix&gt;.&lt;Operation&gt;</c> (JSON protocols) or the
/// query protocol's <c>Action</c>, in the query string or a url-encoded <c>POST</c> form.
/// </summary>
/// <remarks>
/// A request that names its operation more than once (two <c>Action</c> fields, or a query-string <c>Action</c> that
/// differs from the form's, or an <c>X-Amz-Target</c> that differs from an <c>Action</c>) is ambiguous: different readers
/// would run different operations. <see cref="AwsServiceRequestResolver"/> counts it as mutating (the safe side), and
/// a handler should refuse it with a 400 that carries <see cref="Ambiguity"/>.
/// </remarks>
public sealed class AwsOperation
{
    private const string ActionField = "Action";
    private const string TargetHeader = "X-Amz-Target";

    // Bounds the length of a value quoted in the ambiguity message: the values are the client's.
    private const int QuotedValueLimit = 64;

    private static readonly AwsOperation None = new(null, null);

    private AwsOperation(string? name, string? ambiguity)
    {
        Name = name;
        Ambiguity = ambiguity;
    }

    /// <summary>
    /// Gets the operation's name (<c>CreateQueue</c>), or <see langword="null"/> when the request names none (a REST
    /// request such as S3's) or is ambiguous.
    /// </summary>
    public string? Name { get; }

    /// <summary>
    /// Gets why the request is ambiguous (it names its operation more than once, differently or twice), in words fit for
    /// the client's error message; <see langword="null"/> when it is not.
    /// </summary>
    public string? Ambiguity { get; }

    /// <summary>Gets a value indicating whether the request names its operation more than once.</summary>
    public bool IsAmbiguous => Ambiguity is not null;

    /// <summary>
    /// Reads the request's operation, or returns the one already read for this request. A url-encoded <c>POST</c> form
    /// is buffered and read (it stays readable for the handler), except for S3 (signed for <c>s3</c>, or
    /// <c>aws-chunked</c>), whose bodies are objects, not forms.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="cancellationToken">Cancels reading the form.</param>
    /// <returns>The operation; the same instance for every call on one request.</returns>
    public static async ValueTask<AwsOperation> ReadAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<AwsOperation>() is { } known)
        {
            return known;
        }

        var operation = await ParseAsync(context.Request, cancellationToken).ConfigureAwait(false);
        context.Features.Set(operation);
        return operation;
    }

    private static async ValueTask<AwsOperation> ParseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Every place the request names its operation, with the words the ambiguity message uses for it.
        var fromTarget = new List<(string Where, string Operation)>();
        foreach (var line in request.Headers[TargetHeader])
        {
            // Header lines and comma-separated values are the same list in HTTP (a client may join two headers in one).
            foreach (var value in (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // A target without "<prefix>." names no operation (the protocol handlers ignore it too).
                var dot = value.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0)
                {
                    fromTarget.Add(($"{TargetHeader} '{Quote(value)}'", value[(dot + 1)..]));
                }
            }
        }

        var fromQuery = Named("the query string's Action", request.Query[ActionField]);
        var fromForm = Named("the form's Action", await ReadFormActionAsync(request, cancellationToken).ConfigureAwait(false));
        List<(string Where, string Operation)> named = [.. fromTarget, .. fromQuery, .. fromForm];
        if (named.Count == 0)
        {
            return None;
        }

        // The same operation in the query string and the form is one operation said twice, in two places that every
        // reader merges alike; the same field twice in one place is not (readers join, take the first or the last).
        if (fromTarget.Count <= 1 && fromQuery.Count <= 1 && fromForm.Count <= 1
            && named.TrueForAll(n => string.Equals(n.Operation, named[0].Operation, StringComparison.Ordinal)))
        {
            return new AwsOperation(named[0].Operation, null);
        }

        return new AwsOperation(
            null,
            $"The request names its operation more than once ({string.Join(", ", named.Select(n => n.Where))}); send exactly one Action or X-Amz-Target.");
    }

    private static List<(string Where, string Operation)> Named(string where, StringValues values)
        => [.. values.Select(value => ($"{where} '{Quote(value)}'", value ?? ""))];

    private static string Quote(string? value)
        => value is null ? "" : value.Length <= QuotedValueLimit ? value : string.Concat(value.AsSpan(0, QuotedValueLimit), "…");

    private static async ValueTask<StringValues> ReadFormActionAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // The query protocol POSTs its form; S3 never has an Action, and an S3 upload that merely says it is a form
        // (PutObject with that Content-Type, aws-chunked) must not be buffered and parsed.
        if (!HttpMethods.IsPost(request.Method)
            || AwsCredentialScope.FromRequest(request)?.Service == "s3"
            || request.Headers.ContentEncoding.ToString().Contains("aws-chunked", StringComparison.OrdinalIgnoreCase))
        {
            return StringValues.Empty;
        }

        // Only the query protocol's url-encoded form carries an Action; a multipart form (an S3 browser upload) is
        // left unread, so that a large upload is not buffered just to learn it has no Action.
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return StringValues.Empty;
        }

        // Buffered so that the handler can read the form (or the raw body) again.
        request.EnableBuffering();
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            // Over the form limits or malformed: no operation known, so a POST counts as mutating (the safe side).
            request.Body.Position = 0;
            return StringValues.Empty;
        }

        request.Body.Position = 0;
        return form.TryGetValue(ActionField, out var action) ? action : StringValues.Empty;
    }
}
