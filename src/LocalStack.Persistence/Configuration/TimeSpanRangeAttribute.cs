using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace LocalStack.Persistence.Configuration;

/// <summary>
/// A <see cref="TimeSpan"/> between two bounds, inclusive. <c>RangeAttribute(typeof(TimeSpan), ...)</c> goes through a
/// type converter that trimming can break; this one parses its bounds itself.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TimeSpanRangeAttribute : ValidationAttribute
{
    public TimeSpanRangeAttribute(string minimum, string maximum)
        : base("The field {0} must be between {1} and {2}.")
    {
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        Maximum = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
    }

    public TimeSpan Minimum { get; }

    public TimeSpan Maximum { get; }

    public override bool IsValid(object? value) => value is not TimeSpan span || (span >= Minimum && span <= Maximum);

    public override string FormatErrorMessage(string name)
        => string.Format(CultureInfo.InvariantCulture, ErrorMessageString, name, Minimum, Maximum);
}
