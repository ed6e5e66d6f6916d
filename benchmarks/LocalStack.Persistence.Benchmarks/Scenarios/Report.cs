using System.Globalization;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>The lines of the final summary: one per target, with its figure and whether it was met.</summary>
public sealed class Report
{
    private readonly List<string> _lines = [];

    /// <summary>The summary lines so far.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Records a target's figure.</summary>
    public void Target(string target, string figure, bool met)
    {
        var line = $"{target,-58} {figure,-60} {(met ? "MET" : "MISSED")}";
        _lines.Add(line);
        Console.WriteLine("  => " + line);
    }

    /// <summary>Records an informational line.</summary>
    public void Info(string text)
    {
        _lines.Add("   " + text);
        Console.WriteLine("  .. " + text);
    }

    /// <summary>Formats a number invariantly.</summary>
    public static string F(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);
}
