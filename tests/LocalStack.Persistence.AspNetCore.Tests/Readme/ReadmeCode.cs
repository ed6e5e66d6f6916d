using System.Text.RegularExpressions;

namespace LocalStack.Persistence.AspNetCore.Tests.Readme;

/// <summary>
/// The C# blocks of README.md, grouped into the projects their markers name. Every block is preceded by
/// <c>&lt;!-- compiled: &lt;project&gt;/&lt;File.cs&gt; [+&lt;project&gt;/&lt;File.cs&gt; ...] --&gt;</c>: blocks of one project are
/// compiled together, each as the file it names, plus the README blocks named after <c>+</c> (types a block uses that
/// README shows in another section), so nothing is copied.
/// </summary>
internal static partial class ReadmeCode
{
    [GeneratedRegex(@"<!--\s*compiled:\s*(?<project>[a-z0-9-]+)/(?<file>[A-Za-z0-9]+\.cs)(?<uses>(\s+\+[a-z0-9-]+/[A-Za-z0-9]+\.cs)*)\s*-->\s*\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
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

    public static int CountMarkedBlocks(string readme) => MarkedBlock().Count(readme.Replace("\r\n", "\n", StringComparison.Ordinal));

    /// <summary>The projects README's marked blocks make: project name → (file name → code), with the blocks they use.</summary>
    public static IReadOnlyDictionary<string, Dictionary<string, string>> Projects(string readme)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        var uses = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var projects = new SortedDictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (Match m in MarkedBlock().Matches(readme.Replace("\r\n", "\n", StringComparison.Ordinal)))
        {
            var name = m.Groups["project"].Value;
            var file = m.Groups["file"].Value;
            if (!blocks.TryAdd(name + "/" + file, m.Groups["code"].Value + "\n"))
            {
                throw new InvalidOperationException($"README names {name}/{file} twice.");
            }

            if (!projects.TryGetValue(name, out var project))
            {
                project = new Dictionary<string, string>(StringComparer.Ordinal);
                projects[name] = project;
                uses[name] = [];
            }

            project[file] = blocks[name + "/" + file];
            uses[name].AddRange(m.Groups["uses"].Value.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        foreach (var (name, used) in uses)
        {
            foreach (var block in used)
            {
                var code = blocks.GetValueOrDefault(block) ?? throw new InvalidOperationException($"README project {name} uses {block}, which no block is.");
                projects[name].TryAdd(block.Replace('/', '.'), code);
            }
        }

        return projects;
    }
}
