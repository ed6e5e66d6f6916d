using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests;

/// <summary>
/// The packages claim <c>IsAotCompatible</c>; this holds them to it. The smoke app (tests/LocalStack.Persistence.AotSmoke)
/// is published with native AOT in a child <c>dotnet publish</c>, which must report no trim or AOT warning (IL2xxx,
/// IL3xxx), and the native binary must pass every check. A build warning alone is not enough: a reflection search that
/// finds nothing under AOT (as the override-pair check once did) compiles without a warning and fails only when run.
/// </summary>
/// <remarks>
/// Needs the ILCompiler's prerequisites (a C linker, see eng/install-test-deps.sh) and the NuGet packages the SDK picks
/// for native AOT. The publish builds in its own artifacts folder, so it shares no bin/obj with the test run's build.
/// </remarks>
public sealed partial class NativeAotTests
{
    // A hang guard for the child processes, not a speed assertion: a cold publish takes about a minute here.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    // One line per check of the smoke app's Program.cs, in order: a check that stops running fails this test too.
    private static readonly string[] ExpectedLines =
    [
        "ok sync overrides: save, reset, load, reopen",
        "ok async-only overrides with an asset: save, reset, load",
        "ok account-region provider: save, reset, load",
        "ok schema migration: version 1 payload loaded by version 2",
        "ok missing override pair refused at construction",
        "ok generic host: AddSnapshotPersistence, save, reset, load, load on start-up",
        "aot-smoke: all 6 checks passed",
    ];

    [GeneratedRegex(@"\b(?:warning|error)\s+IL[23]\d{3}\b")]
    private static partial Regex TrimOrAotDiagnostic();

    [Test]
    [CancelAfter(15 * 60 * 1000)]
    public async Task The_smoke_app_publishes_with_native_AOT_without_warnings_and_passes_its_checks(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            Assert.Ignore("The native AOT smoke test publishes for linux-x64; it runs on Linux x64 (as CI does).");
        }

        using var temp = new TempDirectory();
        var project = Path.Combine(RepositoryRoot(), "tests", "LocalStack.Persistence.AotSmoke", "LocalStack.Persistence.AotSmoke.csproj");
        var output = Path.Combine(temp.Path, "out");
        var stopwatch = Stopwatch.StartNew();
        var publish = await ChildProcessRunner.RunAsync(
            "dotnet",
            ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output,
                "--artifacts-path", Path.Combine(temp.Path, "artifacts"), "-nologo"],
            PublishTimeout,
            cancellationToken: cancellationToken);
        TestContext.Out.WriteLine($"dotnet publish (native AOT): exit {publish.ExitCode} after {stopwatch.Elapsed.TotalSeconds:F1} s");

        Assert.That(publish.ExitCode, Is.Zero, $"dotnet publish failed:\n{publish.Output}");
        var diagnostics = publish.Output.Split('\n').Where(line => TrimOrAotDiagnostic().IsMatch(line)).Distinct().ToArray();
        Assert.That(diagnostics, Is.Empty, "trim/AOT warnings in the native AOT publish");

        var binary = Path.Combine(output, "LocalStack.Persistence.AotSmoke");
        Assert.That(File.Exists(binary), Is.True, $"no native binary at {binary}:\n{publish.Output}");
        var run = await ChildProcessRunner.RunAsync(binary, [], RunTimeout, cancellationToken: cancellationToken);
        TestContext.Out.WriteLine(run.Output);

        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Zero, $"the native smoke app failed:\n{run.Output}");
            Assert.That(lines.Where(line => line.StartsWith("ok ", StringComparison.Ordinal) || line.StartsWith("aot-smoke:", StringComparison.Ordinal)),
                Is.EqualTo(ExpectedLines), $"the smoke app's check lines:\n{run.Output}");
            Assert.That(lines.Where(line => line.StartsWith("FAIL", StringComparison.Ordinal)), Is.Empty, "failed checks");
        });
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LocalStack.Persistence.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (LocalStack.Persistence.sln) is not above " + AppContext.BaseDirectory);
    }
}
