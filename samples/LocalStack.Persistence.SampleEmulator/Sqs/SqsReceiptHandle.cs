using System.Security.Cryptography;
using System.Text;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Receipt handles: base64 of <c>&lt;queue ARN&gt; &lt;message id&gt; &lt;random&gt;</c>, new for every receive, so that a
/// handle names its queue and message and only the latest one deletes it.
/// </summary>
internal static class SqsReceiptHandle
{
    public static string Create(SqsQueue queue, SqsMessage message)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{queue.Arn} {message.MessageId} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}"));

    /// <summary>The message id in a handle of <paramref name="queue"/>, or <see cref="SqsException.ReceiptHandleIsInvalid"/>.</summary>
    public static string MessageIdFor(SqsQueue queue, string receiptHandle)
    {
        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(Convert.FromBase64String(receiptHandle)).Split(' ');
        }
        catch (FormatException)
        {
            throw SqsException.ReceiptHandleIsInvalid(receiptHandle);
        }

        return parts.Length == 3 && parts[0] == queue.Arn ? parts[1] : throw SqsException.ReceiptHandleIsInvalid(receiptHandle);
    }
}
