namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>The 503 message of a faulted service reads as sentences whether or not the cause ends with a period.</summary>
public sealed class ServiceFaultedExceptionTests
{
    private const string Repair = " Repair or replace the file and load the service, or reset it.";

    [TestCase("Snapshot file '/v/api_states/s3/store.state' is truncated.", "Snapshot file '/v/api_states/s3/store.state' is truncated.")]
    [TestCase("Snapshot file '/v/api_states/s3/store.state' is truncated", "Snapshot file '/v/api_states/s3/store.state' is truncated.")]
    [TestCase("Unsupported schema version 3 (this build reads up to 2)", "Unsupported schema version 3 (this build reads up to 2).")]
    [TestCase("  trailing space.  ", "trailing space.")]
    [TestCase("", "no reason was given.")]
    public void The_cause_ends_with_one_period_before_the_advice(string cause, string expectedReason)
    {
        var exception = new ServiceFaultedException("s3", new SnapshotException(cause));

        Assert.That(exception.Message, Is.EqualTo($"Service 's3' is unavailable because its snapshot could not be loaded: {expectedReason}{Repair}"));
        Assert.That(exception.Message, Does.Not.Contain(".."));
        Assert.That(exception.InnerException!.Message, Is.EqualTo(cause));
    }
}
