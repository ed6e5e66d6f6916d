using System.Text.RegularExpressions;

namespace LocalStack.Persistence.AspNetCore.Tests.Readme;

/// <summary>
/// The C# blocks of README.md, grouped into the projects their markers name. Every block is preceded by
/// <c>&lt;!-- compiled: &lt;project&gt;/&lt;File.cs&gt; [+Support ...] --&gt;</c>: blocks of one project are compiled together,
/// each as the file it names, with the named files of <c>Readme/Support</c> (types a block uses but README does not show).
/// </summary>
internal static partial class ReadmeCode
{
    [GeneratedRegex(@"<!--\s*compiled:\s*(?<project>[a-z0-9-]+)/(?<file>[A-Za-z0-9]+\.cs)(?<support>(\s+\+[A-Za-z0-9]+)*)\s*-->\s*\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"^```csharp$", RegexOptions.Multiline)]
    private static partial Regex AnyBlock();

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LocalStack.Persistence.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("The repository root (LocalStack.Persistence.sln) is not above " + AppContext.BaseDirectory);
        }
    }

    public static int CountBlocks(string readme) => AnyBlock().Count(readme);

    /// <summary>The projects README's marked blocks make: project name → (file name → code), plus support file names.</summary>
    public static IReadOnlyDictionary<string, (Dictionary<string, string> Files, SortedSet<string> Support)> Projects(string readme)
    {
        var projects = new SortedDictionary<string, (Dictionary<string, string> Files, SortedSet<string> Support)>(StringComparer.Ordinal);
        foreach (Match m in MarkedBlock().Matches(readme.Replace("\r\n", "\n", StringComparison.Ordinal)))
        {
            var name = m.Groups["project"].Value;
            if (!projects.TryGetValue(name, out var project))
            {
                project = (new Dictionary<string, string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal));
                projects[name] = project;
            }

            var file = m.Groups["file"].Value;
            if (!project.Files.TryAdd(file, m.Groups["code"].Value + "\n"))
            {
                throw new InvalidOperationException($"README names {name}/{file} twice.");
            }

            foreach (var support in m.Groups["support"].Value.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                project.Support.Add(support);
            }
        }

        return projects;
    }
}
