using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.State;

/// <summary>
/// <see cref="JsonServiceStateProvider{TState}"/>'s overrides are optional sync-or-async pairs: one member of each pair
/// is enough, the async one wins when both are there, and a class with neither fails when it is built.
/// </summary>
public sealed class ProviderOverridePairTests : StoreTestBase
{
    [TestCase(true, "CaptureAsync", "RestoreAsync", "ResetAsync", TestName = "A_provider_overriding_only_the_async_members_saves_loads_and_resets")]
    [TestCase(false, "Capture", "Restore", "Reset", TestName = "A_provider_overriding_only_the_sync_members_saves_loads_and_resets")]
    public async Task A_provider_overriding_one_member_of_each_pair_saves_loads_and_resets(bool asyncOnly, params string[] expectedCalls)
    {
        RecordingShopProvider Create() => asyncOnly ? new AsyncOnlyProvider() : new SyncOnlyProvider();
        var saved = Create();
        saved.State = new ShopState { Orders = [new("apple", 3)], Currency = "USD" };
        await Snapshotter.SaveAsync(saved);

        var loaded = Create();
        Assert.That(await Snapshotter.LoadAsync(loaded), Is.Not.Null);
        Assert.That(loaded.State.Orders, Is.EqualTo(new[] { new Order("apple", 3) }));
        Assert.That(loaded.State.Currency, Is.EqualTo("USD"));

        await Snapshotter.ResetAsync(loaded);
        Assert.That(loaded.State.Orders, Is.Empty);
        Assert.That(saved.Calls.Concat(loaded.Calls), Is.EqualTo(expectedCalls));
    }

    [Test]
    public async Task When_both_members_of_a_pair_are_overridden_the_async_one_is_used()
    {
        var saved = new BothProvider { State = new ShopState { Orders = [new("fig", 2)] } };
        await Snapshotter.SaveAsync(saved);

        var loaded = new BothProvider();
        await Snapshotter.LoadAsync(loaded);
        await Snapshotter.ResetAsync(loaded);

        Assert.That(saved.Calls.Concat(loaded.Calls), Is.EqualTo(new[] { "CaptureAsync", "RestoreAsync", "ResetAsync" }));
    }

    [TestCase(typeof(NoCaptureProvider), "neither Capture() nor CaptureAsync(SnapshotContext, CancellationToken)")]
    [TestCase(typeof(NoRestoreProvider), "neither Restore(TState) nor RestoreAsync(TState, SnapshotContext, CancellationToken)")]
    [TestCase(typeof(NoResetProvider), "neither Reset() nor ResetAsync(SnapshotContext, CancellationToken)")]
    public void A_provider_overriding_neither_member_of_a_pair_fails_at_construction(Type providerType, string pair)
    {
        var expected = $"State provider '{providerType}' overrides {pair}; override one member of each pair (the async one calls the sync one by default).";

        // Twice: the second construction is answered from the per-type cache and must fail the same way.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            Assert.That(() => Activator.CreateInstance(providerType, nonPublic: true), Throws.InstanceOf<System.Reflection.TargetInvocationException>()
                .With.InnerException.TypeOf<InvalidOperationException>().With.InnerException.Message.EqualTo(expected));
        }
    }

    [Test]
    public void Every_missing_pair_is_named_in_one_message()
    {
        Assert.That(() => new OnlyRestoreProvider(), Throws.InvalidOperationException.With.Message.EqualTo(
            $"State provider '{typeof(OnlyRestoreProvider)}' overrides neither Capture() nor CaptureAsync(SnapshotContext, CancellationToken), "
            + "neither Reset() nor ResetAsync(SnapshotContext, CancellationToken); override one member of each pair (the async one calls the sync one by default)."));
    }

    [Test]
    public void An_override_inherited_from_an_intermediate_class_counts()
    {
        var provider = new DerivedFromAsyncOnly();
        Assert.That(provider.State.Orders, Is.Empty);
    }

    [Test]
    public async Task An_async_override_that_calls_the_missing_sync_member_gets_a_clear_error()
    {
        var provider = new CallsBaseProvider();
        await Assert.ThatAsync(async () => await Snapshotter.SaveAsync(provider), Throws.InvalidOperationException.With.Message.EqualTo(
            $"State provider '{typeof(CallsBaseProvider)}' does not override Capture(); it overrides CaptureAsync, which must not call the base CaptureAsync or Capture()."));
    }

    private abstract class RecordingShopProvider() : JsonServiceStateProvider<ShopState>("shop", StateTestJsonContext.Default.ShopState)
    {
        public ShopState State { get; set; } = new();

        public List<string> Calls { get; } = [];
    }

    private class AsyncOnlyProvider : RecordingShopProvider
    {
        protected override async ValueTask<ShopState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Calls.Add("CaptureAsync");
            return State;
        }

        protected override async ValueTask RestoreAsync(ShopState state, SnapshotContext context, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Calls.Add("RestoreAsync");
            State = state;
        }

        protected override async ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            await Task.Yield();
            Calls.Add("ResetAsync");
            State = new ShopState { Orders = [] };
        }
    }

    private sealed class DerivedFromAsyncOnly : AsyncOnlyProvider;

    private sealed class SyncOnlyProvider : RecordingShopProvider
    {
        protected override ShopState Capture()
        {
            Calls.Add("Capture");
            return State;
        }

        protected override void Restore(ShopState state)
        {
            Calls.Add("Restore");
            State = state;
        }

        protected override void Reset()
        {
            Calls.Add("Reset");
            State = new ShopState();
        }
    }

    private sealed class BothProvider : RecordingShopProvider
    {
        protected override ShopState Capture()
        {
            Calls.Add("Capture");
            return State;
        }

        protected override ValueTask<ShopState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            Calls.Add("CaptureAsync");
            return ValueTask.FromResult(State);
        }

        protected override void Restore(ShopState state) => Calls.Add("Restore");

        protected override ValueTask RestoreAsync(ShopState state, SnapshotContext context, CancellationToken cancellationToken)
        {
            Calls.Add("RestoreAsync");
            State = state;
            return ValueTask.CompletedTask;
        }

        protected override void Reset() => Calls.Add("Reset");

        protected override ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            Calls.Add("ResetAsync");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoCaptureProvider : RecordingShopProvider
    {
        protected override void Restore(ShopState state) => State = state;

        protected override void Reset() => State = new ShopState();
    }

    private sealed class NoRestoreProvider : RecordingShopProvider
    {
        protected override ShopState Capture() => State;

        protected override ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoResetProvider : RecordingShopProvider
    {
        protected override ValueTask<ShopState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken) => ValueTask.FromResult(State);

        protected override void Restore(ShopState state) => State = state;
    }

    private sealed class OnlyRestoreProvider : RecordingShopProvider
    {
        protected override void Restore(ShopState state) => State = state;
    }

    private sealed class CallsBaseProvider : RecordingShopProvider
    {
        protected override ValueTask<ShopState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken) => base.CaptureAsync(context, cancellationToken);

        protected override void Restore(ShopState state) => State = state;

        protected override void Reset() => State = new ShopState();
    }
}
