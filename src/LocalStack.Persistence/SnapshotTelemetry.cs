namespace LocalStack.Persistence;

/// <summary>The names under which persistence reports to .NET's diagnostics (for OpenTelemetry's <c>AddMeter</c>).</summary>
public static class SnapshotTelemetry
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> persistence reports to: save and load durations,
    /// bytes written, failures, dirty services, gate wait time.
    /// </summary>
    public const string MeterName = "LocalStack.Persistence";
}
