namespace LocalStack.Persistence.Tests.State;

/// <summary>
/// Payloads exactly as released versions wrote them. Never edit one: add a new constant for a new version
/// (RELIABILITY case 7: golden files of every released schema version load through the migration chain).
/// </summary>
internal static class GoldenPayloads
{
    /// <summary>The shop service, schema version 1.</summary>
    public const string ShopV1 = """
        {"items":[{"id":"apple","qty":3},{"id":"pear","qty":1}]}
        """;
}
