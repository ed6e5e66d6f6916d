using System.Diagnostics;
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
        var marked = ReadmeCode.Projects(Readme).Values.Sum(p => p.Files.Count);
        Assert.That(marked, Is.EqualTo(ReadmeCode.CountBlocks(Readme)),
            "each ```csharp block of README.md must follow a <!-- compiled: <project>/<File.cs> --> line");
        Assert.That(marked, Is.GreaterThanOrEqualTo(6));
    }

    [TestCaseSource(nameof(ProjectNames))]
    public async Task The_readme_project_builds(string name)
    {
        var (files, support) = ReadmeCode.Projects(Readme)[name];
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

        foreach (var type in support)
        {
            var source = Path.Combine(ReadmeCode.RepositoryRoot, "tests", "LocalStack.Persistence.AspNetCore.Tests", "Readme", "Support", type + ".cs");
            Assert.That(File.Exists(source), Is.True, $"README asks for support file {type}.cs");
            File.Copy(source, Path.Combine(folder, "Support." + type + ".cs"));
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

        var (exitCode, output) = await RunAsync("dotnet", ["build", Path.Combine(folder, name + ".csproj"), "-c", "Release", "-nologo", "-v", "q", "-clp:NoSummary"], folder);
        Assert.That(exitCode, Is.Zero, $"README project '{name}' ({string.Join(", ", files.Keys)}) does not build:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The build of the README project must not reuse this test run's MSBuild node settings.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
