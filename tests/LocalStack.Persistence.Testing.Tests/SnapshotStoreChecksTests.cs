using LocalStack.Persistence.Testing.Tests.Support;

namespace LocalStack.Persistence.Testing.Tests;

/// <summary>
/// The store checks can fail: each check fails on a store with the flaw it is there to catch, and every check passes on
/// the file-system store as it is.
/// </summary>
public sealed class SnapshotStoreChecksTests
{
    /// <summary>A flaw and a check that must catch it; together they cover every check of the kit.</summary>
    private static readonly (StoreFlaw Flaw, string Check)[] Catches =
    [
        (StoreFlaw.DeleteDoesNothing, "A_service_without_a_snapshot_has_nothing_to_read_list_or_delete"),
        (StoreFlaw.TruncatesPayloads, "A_written_payload_reads_back_byte_for_byte"),
        (StoreFlaw.MisreportsSchemaVersion, "The_metadata_describes_the_snapshot_written"),
        (StoreFlaw.StaleMetadata, "A_second_write_replaces_the_first"),
        (StoreFlaw.DeleteDoesNothing, "Services_are_stored_separately"),
        (StoreFlaw.DeleteDoesNothing, "Delete_removes_the_snapshot_and_its_asset_generations_but_not_the_working_folder"),
        (StoreFlaw.DeleteDoesNothing, "A_service_can_be_written_again_after_delete"),
        (StoreFlaw.ListsUnordered, "List_returns_every_snapshot_ordered_by_service_name"),
        (StoreFlaw.DeletesBeforeWriting, "A_newer_schema_is_not_overwritten_by_an_older_one_until_the_service_is_reset"),
        (StoreFlaw.RefusesNewerSchema, "A_newer_schema_may_replace_an_older_one"),
        (StoreFlaw.DeletesBeforeWriting, "Cancelling_a_write_midway_leaves_the_previous_snapshot"),
        (StoreFlaw.DeletesBeforeWriting, "A_write_cancelled_before_it_starts_changes_nothing"),
        (StoreFlaw.DeletesBeforeWriting, "A_failing_payload_writer_leaves_the_previous_snapshot"),
        (StoreFlaw.StaleMetadata, "Concurrent_writes_of_one_service_each_complete_and_leave_one_whole_version"),
        (StoreFlaw.FindsAnyGeneration, "A_new_asset_generation_is_an_empty_folder_found_again_by_its_number"),
        (StoreFlaw.KeepsStagedLeftovers, "Creating_a_generation_again_discards_what_a_save_that_never_committed_staged"),
        (StoreFlaw.FlushEmptiesGeneration, "Flushing_a_generation_keeps_its_files"),
        (StoreFlaw.PrunesEverything, "Pruning_keeps_only_the_named_generation_and_the_working_folder"),
        (StoreFlaw.SharesWorkingFolder, "The_working_folder_is_stable_per_service_and_never_a_generation_folder"),
        (StoreFlaw.AcceptsGenerationZero, "Generations_below_one_are_rejected"),
        (StoreFlaw.AcceptsAnyServiceName, "Every_method_rejects_a_hostile_service_name"),
    ];

    public static IEnumerable<TestCaseData> FlawCases()
        => Catches.Select(c => new TestCaseData(c.Flaw, c.Check).SetName($"{c.Check}_fails_on_a_store_that_{c.Flaw}"));

    [TestCaseSource(nameof(FlawCases))]
    public async Task A_check_fails_on_the_flaw_it_catches_naming_itself(StoreFlaw flaw, string checkName)
    {
        var check = new SnapshotStoreChecks(root => new FlawedStore(root, flaw)).All.Single(c => c.Name == checkName);

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => check.RunAsync());

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(checkName));
        Assert.That(failure.Message, Does.StartWith(checkName + ": "));
    }

    [Test]
    public void Every_check_has_a_flaw_it_is_shown_to_catch()
    {
        var names = new SnapshotStoreChecks(root => new FlawedStore(root, StoreFlaw.None)).All.Select(c => c.Name);

        Assert.That(Catches.Select(c => c.Check), Is.EquivalentTo(names));
    }

    [Test]
    public async Task Every_check_passes_on_the_store_without_a_flaw_and_the_report_says_so()
    {
        var checks = new SnapshotStoreChecks(root => new FlawedStore(root, StoreFlaw.None));

        var report = await checks.RunAllAsync();

        Assert.That(report.Passed, Is.True, report.ToString());
        Assert.That(report.Results.Select(r => r.Name), Is.EqualTo(checks.All.Select(c => c.Name)));
        Assert.DoesNotThrow(report.ThrowIfFailed);
    }

    [Test]
    public async Task The_report_of_a_flawed_store_lists_each_failed_check_and_throws()
    {
        var report = await new SnapshotStoreChecks(root => new FlawedStore(root, StoreFlaw.DeletesBeforeWriting)).RunAllAsync();

        Assert.That(report.Passed, Is.False);
        Assert.That(report.Failures.Select(f => f.Name), Does.Contain("A_failing_payload_writer_leaves_the_previous_snapshot"));
        var thrown = Assert.Throws<PersistenceCheckException>(report.ThrowIfFailed);
        Assert.That(thrown!.Message, Does.Contain($"{report.Failures.Count} of {report.Results.Count} checks failed"));
        Assert.That(thrown.Message, Does.Contain("A_failing_payload_writer_leaves_the_previous_snapshot: "));
    }

    [Test]
    public async Task Each_check_leaves_no_temporary_folder_behind()
    {
        var roots = new List<string>();
        var checks = new SnapshotStoreChecks(root =>
        {
            roots.Add(root);
            return new FlawedStore(root, StoreFlaw.None);
        });

        await checks.RunAllAsync();

        Assert.That(roots, Has.Count.EqualTo(checks.All.Count));
        Assert.That(roots.Where(Directory.Exists), Is.Empty);
    }
}
