using LocalStack.Persistence.AspNetCore.Aws;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>Service names given in code are checked where they are given, not on the first request.</summary>
public sealed class ServiceStateMetadataTests
{
    [TestCase("S3")]
    [TestCase("")]
    [TestCase("../s3")]
    [TestCase("nul")]
    public void An_invalid_service_name_is_refused_up_front(string name)
    {
        Assert.That(() => new ServiceStateMetadata(name, mutating: true), Throws.ArgumentException.With.Message.Contains("Invalid service name"));
        Assert.That(() => new AwsServiceRequestResolver(name), Throws.ArgumentException.With.Message.Contains("Invalid service name"));
    }

    [Test]
    public void A_valid_name_is_kept()
    {
        var metadata = new ServiceStateMetadata("dynamodb", mutating: false);

        Assert.That(metadata.ServiceName, Is.EqualTo("dynamodb"));
        Assert.That(metadata.Mutating, Is.False);
        Assert.That(new AwsServiceRequestResolver("s3").DefaultServiceName, Is.EqualTo("s3"));
        Assert.That(new AwsServiceRequestResolver().DefaultServiceName, Is.Null);
    }
}
