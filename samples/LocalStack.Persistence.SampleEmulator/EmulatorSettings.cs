using System.Collections;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>The sample's settings, from LocalStack's environment variable names.</summary>
internal sealed record EmulatorSettings(string Listen, bool Persistence, string StateDirectory)
{
    public static EmulatorSettings FromEnvironment(IDictionary environment)
    {
        string? Get(string name) => environment[name] as string;

        var listen = Get("GATEWAY_LISTEN") is { Length: > 0 } l ? l : "127.0.0.1:4566";
        var persistence = Get("PERSISTENCE") switch
        {
            null or "" or "1" or "true" or "TRUE" or "True" => true,
            "0" or "false" or "FALSE" or "False" => false,
            var bad => throw new InvalidOperationException($"PERSISTENCE='{bad}' is not valid; allowed values: 1, 0, true, false."),
        };
        var volume = Get("LOCALSTACK_VOLUME_DIR") is { Length: > 0 } v ? v : Path.Combine(Environment.CurrentDirectory, "volume");
        return new EmulatorSettings(listen, persistence, Path.Combine(Path.GetFullPath(volume), "state"));
    }
}
