namespace LocalStack.Persistence.Tests;

public class ServiceNameRulesTests
{
    [TestCase("s3")]
    [TestCase("sqs")]
    [TestCase("dynamodb")]
    [TestCase("my-service_2.v1")]
    [TestCase("0")]
    public void Valid_names_are_accepted(string name)
    {
        Assert.That(ServiceNameRules.IsValid(name), Is.True);
        Assert.DoesNotThrow(() => ServiceNameRules.ThrowIfInvalid(name));
    }

    [TestCase("../../etc")]
    [TestCase("/abs")]
    [TestCase("a/b")]
    [TestCase("a\\b")]
    [TestCase("..")]
    [TestCase(".")]
    [TestCase(".hidden")]
    [TestCase("")]
    [TestCase("s3\0")]
    [TestCase("s3\n")]
    [TestCase("CON")]
    [TestCase("con")]
    [TestCase("nul.txt")]
    [TestCase("S3")]
    [TestCase("s3.")]
    [TestCase("a b")]
    [TestCase("-dash")]
    public void Hostile_names_are_rejected(string name)
    {
        Assert.That(ServiceNameRules.IsValid(name), Is.False);
        var error = Assert.Throws<ArgumentException>(() => ServiceNameRules.ThrowIfInvalid(name))!;
        Assert.That(error.Message, Does.StartWith("Invalid service name"));
    }

    [Test]
    public void The_name_of_the_state_files_folder_is_refused_by_the_rules_as_by_the_layout()
    {
        // Before, IsValid("api_states") said yes and the store refused it: a status or endpoint check passed a name no
        // save could use.
        Assert.That(ServiceNameRules.IsValid("api_states"), Is.False);
        var error = Assert.Throws<ArgumentException>(() => ServiceNameRules.ThrowIfInvalid("api_states"))!;
        Assert.That(error.Message, Does.StartWith("Invalid service name \"api_states\": the state folder layout reserves it."));
        Assert.That(ServiceNameRules.IsValid("api_states2"), Is.True);
    }

    [Test]
    public void Null_and_overlong_names_are_rejected()
    {
        Assert.That(ServiceNameRules.IsValid(null), Is.False);
        Assert.That(ServiceNameRules.IsValid(new string('a', 64)), Is.True);
        Assert.That(ServiceNameRules.IsValid(new string('a', 65)), Is.False);
        Assert.That(ServiceNameRules.IsValid(new string('a', 300)), Is.False);
    }
}
