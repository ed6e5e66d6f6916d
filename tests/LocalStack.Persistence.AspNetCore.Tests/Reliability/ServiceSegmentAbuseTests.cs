using System.Security.Cryptography;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>
/// Path tricks in the service segment of <c>POST /_localstack/state/{service}/reset</c> (reset: the operation that
/// deletes), sent byte for byte over a raw socket so that no client normalises them first. Every answer is a JSON
/// 400/404 from the endpoint or Kestrel's own bare 400/414; no file anywhere under the temp root changes and no service
/// is touched. (The cases HttpClient can send are in <c>Endpoints/OneServiceEndpointTests</c>.)
/// </summary>
[NonParallelizable]
public sealed class ServiceSegmentAbuseTests
{
    private TestProvider _svc = null!;
    private TestProvider _other = null!;
    private TestHost _host = null!;

    /// <summary>How the answer looks: the endpoint's JSON error, Kestrel's own empty error, or routing's empty 404.</summary>
    public enum Answer
    {
        EndpointJson,
        KestrelBare,
        NoRouteBare,
    }

    [OneTimeSetUp]
    public async Task Start()
    {
        _svc = new TestProvider("svc");
        _other = new TestProvider("other");
        _host = await TestHost.StartAsync([_svc, _other], app => app.MapSnapshotEndpoints(), options => options.StateDirectory = Path.Combine(options.StateDirectory!, "state"));
        _svc.Add("svc-item");
        _other.Add("other-item");
        _host.Manager.MarkModified("svc");
        _host.Manager.MarkModified("other");
        (await _host.Client.PostAsync("/_localstack/state/save", null)).EnsureSuccessStatusCode();

        // A file beside the state root, where a "../" that got through would land.
        await File.WriteAllTextAsync(Path.Combine(Root, "outside.txt"), "must survive");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    /// <summary>The host's temp folder; the state root is its <c>state</c> subfolder.</summary>
    private string Root => _host.StateDirectory;

    [TestCase("%2e%2e", 404, Answer.NoRouteBare, Description = "dot segment decoded and removed by Kestrel: /_localstack/reset")]
    [TestCase("%2E%2E%2F..", 400, Answer.EndpointJson, Description = "an encoded slash stays inside the segment")]
    [TestCase("..%2F..%2Fother", 400, Answer.EndpointJson)]
    [TestCase("%00", 400, Answer.KestrelBare, Description = "a decoded NUL is refused by Kestrel")]
    [TestCase("%2500", 400, Answer.EndpointJson, Description = "double encoding: the service sees the text %00")]
    [TestCase("%252e%252e%252fother", 400, Answer.EndpointJson)]
    [TestCase("%C0%AE%C0%AE", 400, Answer.EndpointJson, Description = "overlong UTF-8 for '..'")]
    [TestCase("%C0%AE%C0%AE%C0%AFother", 400, Answer.EndpointJson)]
    [TestCase("%D1%95vc", 400, Answer.EndpointJson, Description = "Cyrillic dze, looks like s")]
    [TestCase("%EF%BD%93%EF%BD%96%EF%BD%83", 400, Answer.EndpointJson, Description = "full-width svc")]
    [TestCase("sv%E2%80%8Bc", 400, Answer.EndpointJson, Description = "zero-width space")]
    [TestCase("svc%CC%81", 400, Answer.EndpointJson, Description = "combining accent")]
    [TestCase("svc.", 400, Answer.EndpointJson, Description = "trailing dot")]
    [TestCase("svc%20", 400, Answer.EndpointJson, Description = "trailing space")]
    [TestCase("svc%09", 400, Answer.EndpointJson)]
    [TestCase("%5C..%5C..%5Cother", 400, Answer.EndpointJson, Description = "encoded backslashes")]
    [TestCase("..\\..\\other", 400, Answer.EndpointJson, Description = "raw backslashes")]
    [TestCase("svc;other", 400, Answer.EndpointJson)]
    [TestCase("svc%3F", 400, Answer.EndpointJson)]
    [TestCase("svc%0D%0AX-Injected:%201", 400, Answer.EndpointJson, Description = "CR LF")]
    public async Task A_tricky_service_segment_is_refused_and_touches_nothing(string segment, int status, Answer answer)
        => await AssertRefusedAsync($"/_localstack/state/{segment}/reset", status, answer);

    [Test]
    public async Task A_65_character_name_is_refused_by_the_endpoint()
        => await AssertRefusedAsync($"/_localstack/state/{new string('a', 65)}/reset", 400, Answer.EndpointJson);

    [Test]
    public async Task A_10000_character_name_is_refused_by_Kestrel_before_routing()
        => await AssertRefusedAsync($"/_localstack/state/{new string('a', 10_000)}/reset", 414, Answer.KestrelBare);

    private async Task AssertRefusedAsync(string target, int status, Answer answer)
    {
        var before = Tree();
        using var deadline = new CancellationTokenSource(TestHost.Patience);

        var response = await RawHttp.SendAsync(_host.Client.BaseAddress!, "POST", target, [], contentType: null, deadline.Token);

        TestContext.Out.WriteLine($"{target[..Math.Min(target.Length, 80)]} -> {response.Status} {response.Body}");
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(status), response.Body);
            if (answer == Answer.EndpointJson)
            {
                Assert.That(response.ContentType, Does.StartWith("application/json"));
                Assert.That(response.Body, Does.Contain("\"status\":\"error\""));
                Assert.That(response.Body, Does.Contain(status == 400 ? "Invalid service name" : "Unknown service"));
            }
            else
            {
                Assert.That(response.Body, Is.Empty);
            }

            Assert.That(Tree(), Is.EqualTo(before), "nothing under the temp root changed");
            Assert.That((_svc.Resets, _svc.Restores, _svc.Writes), Is.EqualTo((0, 0, 1)), "svc untouched");
            Assert.That((_other.Resets, _other.Restores, _other.Writes), Is.EqualTo((0, 0, 1)), "other untouched");
            Assert.That(_svc.Items, Is.EqualTo(new[] { "svc-item" }));
            Assert.That(_other.Items, Is.EqualTo(new[] { "other-item" }));
        });
    }

    /// <summary>Every file and folder under the temp root, with a hash of each file's bytes (not of the held <c>.lock</c>, which cannot be opened).</summary>
    private string[] Tree()
        => [.. Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => File.Exists(path) && Path.GetFileName(path) != ".lock"
                ? $"{Path.GetRelativePath(Root, path)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}"
                : Path.GetRelativePath(Root, path) + "/")];
}
