using System.Text.Json.Nodes;

namespace LocalStack.Persistence.Testing.Tests;

public sealed class PayloadMutatorTests
{
    private static readonly JsonNode Baseline = JsonNode.Parse("""{"items":[{"name":"a","count":3},{"name":"b","count":0}],"owner":"111122223333"}""")!;

    [Test]
    public void The_same_seed_gives_the_same_hostile_payload_and_leaves_the_baseline_alone()
    {
        var before = Baseline.ToJsonString();
        for (var seed = 0; seed < 50; seed++)
        {
            var first = new PayloadMutator(new Random(seed), 1024).Mutate(Baseline);
            var second = new PayloadMutator(new Random(seed), 1024).Mutate(Baseline);

            Assert.That(second.Payload.ToArray(), Is.EqualTo(first.Payload.ToArray()), $"seed {seed}");
            Assert.That(second.Description, Is.EqualTo(first.Description), $"seed {seed}");
        }

        Assert.That(Baseline.ToJsonString(), Is.EqualTo(before));
    }

    [Test]
    public void Different_seeds_give_different_mutations_each_described_by_its_path()
    {
        var payloads = Enumerable.Range(0, 50).Select(seed => new PayloadMutator(new Random(seed), 1024).Mutate(Baseline)).ToList();

        Assert.That(payloads.Select(p => Convert.ToBase64String(p.Payload.Span)).Distinct().Count(), Is.GreaterThan(25));
        Assert.That(payloads.Where(p => p.Description != "unchanged").Select(p => p.Description), Has.All.Contain("$"));
    }
}
