using System.Globalization;
using System.Text;

namespace LocalStack.Persistence.AspNetCore.Tests.Readme;

/// <summary>
/// README's C# compiles as written: each block becomes a file of a small project (Web SDK, an executable when it has a
/// Program.cs, else a library; the repository's build
/// settings: nullable, warnings as errors, analyzers) that references the packages' assemblies, and `dotnet build` must
/// succeed. So the docs cannot drift from the API.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReadmeCodeTests
{
    // A hang guard for each README project's build, not a speed assertion.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private static readonly string[] References =
    [
        "LocalStack.Persistence.dll", "LocalStack.Persistence.AspNetCore.dll",
        "LocalStack.Persistence.Testing.dll", "nunit.framework.dll",
        "AWSSDK.Core.dll", "AWSSDK.S3.dll", "AWSSDK.SQS.dll", "AWSSDK.DynamoDBv2.dll",
    ];

    private static string Readme => File.ReadAllText(Path.Combine(ReadmeCode.RepositoryRoot, "README.md"));

    private static IEnumerable<string> ProjectNames() => ReadmeCode.Projects(Readme).Keys;

    [Test]
    public void Every_csharp_block_of_the_readme_says_which_project_compiles_it()
    {
        var marked = ReadmeCode.CountMarkedBlocks(Readme);
        Assert.That(marked, Is.EqualTo(ReadmeCode.CountBlocks(Readme)),
            "each ```csharp block of README.md must follow a <!-- compiled: <project>/<File.cs> --> line");
        Assert.That(marked, Is.GreaterThanOrEqualTo(6));
    }

    [TestCaseSource(nameof(ProjectNames))]
    public async Task The_readme_project_builds(string name)
    {
        var files = ReadmeCode.Projects(Readme)[name];
        var folder = Path.Combine(ReadmeCode.RepositoryRoot, "artifacts", "readme-code", name);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        foreach (var (file, code) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, file), code);
        }

        var references = new StringBuilder();
        foreach (var dll in References)
        {
            references.Append(CultureInfo.InvariantCulture, $"    <Reference Include=\"{Path.Combine(AppContext.BaseDirectory, dll)}\" />\n");
        }

        await File.WriteAllTextAsync(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <OutputType>{(files.ContainsKey("Program.cs") ? "Exe" : "Library")}</OutputType>
                <IsPackable>false</IsPackable>
                <!-- README code is read by people: no XML docs demanded of its types. -->
                <NoWarn>$(NoWarn);CS1591;CA1515;CA1812</NoWarn>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
            </Project>
            """);

        var (exitCode, output) = await ChildProcessRunner.RunAsync("dotnet", ["build", Path.Combine(folder, name + ".csproj"), "-c", "Release", "-nologo", "-v", "q", "-clp:NoSummary"], BuildTimeout, folder);
        Assert.That(exitCode, Is.Zero, $"README project '{name}' ({string.Join(", ", files.Keys)}) does not build:\n{output}");
    }
}
