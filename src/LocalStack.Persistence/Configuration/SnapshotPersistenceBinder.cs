using System.Globalization;
using LocalStack.Persistence.Strategies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Configuration;

/// <summary>
/// Binds <see cref="SnapshotPersistenceOptions"/> by hand (trim-safe, and with errors that name the setting, the value and
/// the allowed values): first the <c>SnapshotPersistence</c> section, then LocalStack's variable names at the top level of
/// the same configuration, which win.
/// </summary>
internal static class SnapshotPersistenceBinder
{
    internal const string PersistenceVariable = "PERSISTENCE";
    internal const string SaveStrategyVariable = "SNAPSHOT_SAVE_STRATEGY";
    internal const string LoadStrategyVariable = "SNAPSHOT_LOAD_STRATEGY";
    internal const string FlushIntervalVariable = "SNAPSHOT_FLUSH_INTERVAL";
    internal const string VolumeDirectoryVariable = "LOCALSTACK_VOLUME_DIR";

    /// <summary>LocalStack keeps its state in <c>&lt;LOCALSTACK_VOLUME_DIR&gt;/state</c>.</summary>
    internal const string StateFolderName = "state";

    /// <summary>The longest <c>SNAPSHOT_FLUSH_INTERVAL</c>: one day, the upper bound of <see cref="SnapshotPersistenceOptions.FlushInterval"/>.</summary>
    private const int MaxFlushIntervalSeconds = 24 * 60 * 60;

    private const string BooleanValues = "1, 0, true, false";

    // LocalStack's spelling, the enum member's name (also accepted in the section), the value; in LocalStack's order.
    private static readonly (string Name, string EnumName, SnapshotSaveStrategy Value)[] SaveStrategies =
    [
        (StrategyNames.OnRequest, nameof(SnapshotSaveStrategy.OnRequest), SnapshotSaveStrategy.OnRequest),
        (StrategyNames.OnShutdown, nameof(SnapshotSaveStrategy.OnShutdown), SnapshotSaveStrategy.OnShutdown),
        (StrategyNames.Scheduled, nameof(SnapshotSaveStrategy.Scheduled), SnapshotSaveStrategy.Scheduled),
        (StrategyNames.Manual, nameof(SnapshotSaveStrategy.Manual), SnapshotSaveStrategy.Manual),
    ];

    private static readonly (string Name, string EnumName, SnapshotLoadStrategy Value)[] LoadStrategies =
    [
        (StrategyNames.OnRequest, nameof(SnapshotLoadStrategy.OnRequest), SnapshotLoadStrategy.OnRequest),
        (StrategyNames.OnStartup, nameof(SnapshotLoadStrategy.OnStartup), SnapshotLoadStrategy.OnStartup),
        (StrategyNames.Manual, nameof(SnapshotLoadStrategy.Manual), SnapshotLoadStrategy.Manual),
    ];

    private static readonly (string Name, string EnumName, SnapshotCompression Value)[] Codecs =
    [
        (nameof(SnapshotCompression.None), nameof(SnapshotCompression.None), SnapshotCompression.None),
        (nameof(SnapshotCompression.Lz4), nameof(SnapshotCompression.Lz4), SnapshotCompression.Lz4),
    ];

    /// <summary>Applies the section, then LocalStack's names, to <paramref name="options"/>.</summary>
    /// <exception cref="OptionsValidationException">A value cannot be read; the message lists every bad value.</exception>
    public static void Bind(IConfiguration configuration, SnapshotPersistenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);

        var errors = new List<string>();
        BindSection(configuration.GetSection(SnapshotPersistenceOptions.SectionName), options, errors);
        BindLocalStackNames(configuration, options, errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SnapshotPersistenceOptions), errors);
        }
    }

    private static void BindSection(IConfigurationSection section, SnapshotPersistenceOptions options, List<string> errors)
    {
        if (Read(section, nameof(SnapshotPersistenceOptions.Enabled), out var path) is { } enabled)
        {
            if (TryParseBoolean(enabled, out var value))
            {
                options.Enabled = value;
            }
            else
            {
                errors.Add(Invalid(path, enabled, BooleanValues));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.SaveStrategy), out path) is { } save)
        {
            if (TryParseStrategy(save, SaveStrategies, acceptEnumNames: true, out var value))
            {
                options.SaveStrategy = value;
            }
            else
            {
                errors.Add(Invalid(path, save, AllowedStrategies(SaveStrategies, withEnumNames: true)));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.LoadStrategy), out path) is { } load)
        {
            if (TryParseStrategy(load, LoadStrategies, acceptEnumNames: true, out var value))
            {
                options.LoadStrategy = value;
            }
            else
            {
                errors.Add(Invalid(path, load, AllowedStrategies(LoadStrategies, withEnumNames: true)));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.FlushInterval), out path) is { } interval)
        {
            if (TimeSpan.TryParse(interval, CultureInfo.InvariantCulture, out var value))
            {
                options.FlushInterval = value;
            }
            else
            {
                errors.Add(Invalid(path, interval, "a time span (hh:mm:ss) from 00:00:00.001 to 1.00:00:00, such as 00:00:15"));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.CommitDelay), out path) is { } delay)
        {
            if (TimeSpan.TryParse(delay, CultureInfo.InvariantCulture, out var value))
            {
                options.CommitDelay = value;
            }
            else
            {
                errors.Add(Invalid(path, delay, "a time span (hh:mm:ss.fff) from 00:00:00 to 00:00:01, such as 00:00:00.002"));
            }
        }

        // A present but empty state folder is bound as is, so that validation reports it instead of using the default.
        if (section.GetSection(nameof(SnapshotPersistenceOptions.StateDirectory)).Value is { } directory)
        {
            options.StateDirectory = directory.Trim();
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.Compression), out path) is { } compression)
        {
            if (TryParseStrategy(compression, Codecs, acceptEnumNames: false, out var value))
            {
                options.Compression = value;
            }
            else
            {
                errors.Add(Invalid(path, compression, string.Join(", ", Codecs.Select(c => c.Name))));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.MaxSnapshotBytes), out path) is { } maxBytes)
        {
            if (long.TryParse(maxBytes, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                options.MaxSnapshotBytes = value;
            }
            else
            {
                errors.Add(Invalid(path, maxBytes, "a whole number of bytes greater than 0"));
            }
        }

        if (Read(section, nameof(SnapshotPersistenceOptions.ReadOnly), out path) is { } readOnly)
        {
            if (TryParseBoolean(readOnly, out var value))
            {
                options.ReadOnly = value;
            }
            else
            {
                errors.Add(Invalid(path, readOnly, BooleanValues));
            }
        }
    }

    private static void BindLocalStackNames(IConfiguration configuration, SnapshotPersistenceOptions options, List<string> errors)
    {
        if (Read(configuration, PersistenceVariable, out _) is { } persistence)
        {
            if (TryParseBoolean(persistence, out var value))
            {
                options.Enabled = value;
            }
            else
            {
                errors.Add(Invalid(PersistenceVariable, persistence, BooleanValues));
            }
        }

        if (Read(configuration, SaveStrategyVariable, out _) is { } save)
        {
            if (TryParseStrategy(save, SaveStrategies, acceptEnumNames: false, out var value))
            {
                options.SaveStrategy = value;
            }
            else
            {
                errors.Add(Invalid(SaveStrategyVariable, save, AllowedStrategies(SaveStrategies, withEnumNames: false)));
            }
        }

        if (Read(configuration, LoadStrategyVariable, out _) is { } load)
        {
            if (TryParseStrategy(load, LoadStrategies, acceptEnumNames: false, out var value))
            {
                options.LoadStrategy = value;
            }
            else
            {
                errors.Add(Invalid(LoadStrategyVariable, load, AllowedStrategies(LoadStrategies, withEnumNames: false)));
            }
        }

        if (Read(configuration, FlushIntervalVariable, out _) is { } interval)
        {
            // LocalStack reads whole seconds (int(...)); fractions and signs are refused rather than guessed at.
            if (int.TryParse(interval, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= MaxFlushIntervalSeconds)
            {
                options.FlushInterval = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                errors.Add(Invalid(FlushIntervalVariable, interval, $"a whole number of seconds from 1 to {MaxFlushIntervalSeconds.ToString(CultureInfo.InvariantCulture)}"));
            }
        }

        if (Read(configuration, VolumeDirectoryVariable, out _) is { } volume)
        {
            options.StateDirectory = Path.Combine(volume, StateFolderName);
        }
    }

    /// <summary>The trimmed value of a key; <see langword="null"/> when missing or blank (LocalStack treats an empty variable as unset).</summary>
    private static string? Read(IConfiguration configuration, string key, out string path)
    {
        var entry = configuration.GetSection(key);
        path = entry.Path;
        var value = entry.Value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static bool TryParseBoolean(string text, out bool value)
    {
        if (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }

        value = false;
        return text == "0" || text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    private static bool TryParseStrategy<TEnum>(string text, (string Name, string EnumName, TEnum Value)[] table, bool acceptEnumNames, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var (name, enumName, candidate) in table)
        {
            if (text.Equals(name, StringComparison.OrdinalIgnoreCase)
                || (acceptEnumNames && text.Equals(enumName, StringComparison.OrdinalIgnoreCase)))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string AllowedStrategies<TEnum>((string Name, string EnumName, TEnum Value)[] table, bool withEnumNames)
        where TEnum : struct, Enum
    {
        var names = string.Join(", ", table.Select(s => s.Name));
        return withEnumNames ? $"{names} (or {string.Join(", ", table.Select(s => s.EnumName))})" : names;
    }

    private static string Invalid(string name, string value, string allowed)
        => $"{name}='{value}' is not valid; allowed values: {allowed}.";
}
