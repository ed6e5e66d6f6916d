using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace LocalStack.Persistence.State;

/// <summary>
/// Serializes an <see cref="AccountRegionStore{TStore}"/> in LocalStack's shape,
/// <c>{"000000000000":{"us-east-1":{...store...}}}</c>, ordered by account id and region; trim- and AOT-safe.
/// </summary>
/// <remarks>
/// Add it to a copy of the options of your source-generated <see cref="JsonSerializerContext"/> (the copy keeps the
/// context as resolver and its naming policy), then take the state's metadata from the copy:
/// <code>
/// var options = new JsonSerializerOptions(MyContext.Default.Options)
/// {
///     Converters = { new AccountRegionStoreJsonConverter&lt;QueueStore&gt;((account, region) =&gt; new QueueStore()) },
/// };
/// var typeInfo = (JsonTypeInfo&lt;MyState&gt;)options.GetTypeInfo(typeof(MyState));
/// </code>
/// The store type's metadata comes from the constructor, or else from those options.
/// </remarks>
/// <typeparam name="TStore">The per-account, per-region state.</typeparam>
public sealed class AccountRegionStoreJsonConverter<TStore> : JsonConverter<AccountRegionStore<TStore>>
{
    private readonly Func<string, string, TStore> _factory;
    private readonly JsonTypeInfo<TStore>? _storeTypeInfo;

    /// <summary>Creates the converter.</summary>
    /// <param name="factory">The factory of the deserialized <see cref="AccountRegionStore{TStore}"/>, for stores created after the load.</param>
    /// <param name="storeTypeInfo">The source-generated metadata of <typeparamref name="TStore"/>; when <see langword="null"/>, it is resolved from the serializer's options.</param>
    public AccountRegionStoreJsonConverter(Func<string, string, TStore> factory, JsonTypeInfo<TStore>? storeTypeInfo = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _storeTypeInfo = storeTypeInfo;
    }

    /// <inheritdoc />
    public override AccountRegionStore<TStore> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var storeTypeInfo = StoreTypeInfo(options);
        Expect(ref reader, JsonTokenType.StartObject, "an object of account ids");
        var result = new AccountRegionStore<TStore>(_factory);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var accountId = reader.GetString()!;
            if (!AccountRegionNames.IsValidAccountId(accountId))
            {
                throw new JsonException($"'{accountId}' is not a valid AWS account id (12 ASCII digits).");
            }

            reader.Read();
            Expect(ref reader, JsonTokenType.StartObject, $"an object of regions for account {accountId}");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var region = reader.GetString()!;
                if (!AccountRegionNames.IsValidRegion(region))
                {
                    throw new JsonException($"'{region}' (account {accountId}) is not a valid AWS region name.");
                }

                reader.Read();
                var store = JsonSerializer.Deserialize(ref reader, storeTypeInfo)
                    ?? throw new JsonException($"The store of account {accountId} in region {region} is null.");
                try
                {
                    result.AddExisting(accountId, region, store);
                }
                catch (ArgumentException e)
                {
                    throw new JsonException(e.Message, e);
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, AccountRegionStore<TStore> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var storeTypeInfo = StoreTypeInfo(options);
        writer.WriteStartObject();
        string? account = null;
        foreach (var entry in value)
        {
            if (entry.AccountId != account)
            {
                if (account is not null)
                {
                    writer.WriteEndObject();
                }

                account = entry.AccountId;
                writer.WriteStartObject(account);
            }

            writer.WritePropertyName(entry.Region);
            JsonSerializer.Serialize(writer, entry.Store, storeTypeInfo);
        }

        if (account is not null)
        {
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private JsonTypeInfo<TStore> StoreTypeInfo(JsonSerializerOptions options)
    {
        if (_storeTypeInfo is not null)
        {
            return _storeTypeInfo;
        }

        ArgumentNullException.ThrowIfNull(options);
        return options.GetTypeInfo(typeof(TStore)) as JsonTypeInfo<TStore>
            ?? throw new NotSupportedException($"No JSON metadata for {typeof(TStore)}: add it to your JsonSerializerContext or pass its JsonTypeInfo to the converter.");
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"Expected {what}, found {reader.TokenType}.");
        }
    }
}
