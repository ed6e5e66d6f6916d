using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// DynamoDB attribute values in their wire form (<c>{"S":"x"}</c>, <c>{"N":"1.5"}</c>, <c>{"M":{...}}</c>, ...), kept as
/// <see cref="JsonNode"/>s: comparison, equality and number arithmetic with DynamoDB's rules.
/// </summary>
internal static class AttributeValues
{
    /// <summary>The type descriptor of a value (<c>S</c>, <c>N</c>, <c>B</c>, <c>BOOL</c>, <c>NULL</c>, <c>M</c>, <c>L</c>, <c>SS</c>, <c>NS</c>, <c>BS</c>).</summary>
    public static string TypeOf(JsonNode value)
    {
        if (value is JsonObject { Count: 1 } obj)
        {
            foreach (var (type, _) in obj)
            {
                return type;
            }
        }

        throw DynamoDbException.Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    }

    /// <summary>The payload of a value (the part after its type descriptor).</summary>
    public static JsonNode Payload(JsonNode value) => value.AsObject()[TypeOf(value)]
        ?? throw DynamoDbException.Validation("Supplied AttributeValue has a null payload");

    public static string Scalar(JsonNode value) => Payload(value).GetValue<string>();

    public static JsonObject Number(decimal value)
        => new() { ["N"] = NumberText(value) };

    public static JsonObject Number(string canonical) => new() { ["N"] = canonical };

    public static JsonObject String(string value) => new() { ["S"] = value };

    public static string NumberText(decimal value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) ? text.TrimEnd('0').TrimEnd('.') : text;
    }

    public static decimal ParseNumber(string text)
    {
        // Validates DynamoDB's shape and range first, then the arithmetic type.
        _ = SortableNumber(text);
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw DynamoDbException.Validation($"The number {text} is outside the range this emulator computes with");
        }

        return value;
    }

    /// <summary>Compares two values of one scalar type (S by UTF-8 bytes, N numerically, B by bytes); null when not comparable.</summary>
    public static int? Compare(JsonNode left, JsonNode right)
    {
        var type = TypeOf(left);
        if (type != TypeOf(right))
        {
            return null;
        }

        return type switch
        {
            "S" => Encoding.UTF8.GetBytes(Scalar(left)).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(Scalar(right))),
            "N" => string.CompareOrdinal(SortableNumber(Scalar(left)), SortableNumber(Scalar(right))),
            "B" => Convert.FromBase64String(Scalar(left)).AsSpan().SequenceCompareTo(Convert.FromBase64String(Scalar(right))),
            _ => null,
        };
    }

    /// <summary>DynamoDB equality: same type and value; numbers numerically, sets regardless of order.</summary>
    public static bool AreEqual(JsonNode left, JsonNode right)
    {
        var type = TypeOf(left);
        if (type != TypeOf(right))
        {
            return false;
        }

        switch (type)
        {
            case "S" or "N" or "B":
                return Compare(left, right) == 0;
            case "SS" or "BS":
                return SetOf(left).SetEquals(SetOf(right));
            case "NS":
                return new HashSet<string>(SetOf(left).Select(SortableNumber), StringComparer.Ordinal)
                    .SetEquals(SetOf(right).Select(SortableNumber));
            case "L":
                var l = Payload(left).AsArray();
                var r = Payload(right).AsArray();
                return l.Count == r.Count && l.Zip(r).All(p => AreEqual(p.First!, p.Second!));
            case "M":
                var lm = Payload(left).AsObject();
                var rm = Payload(right).AsObject();
                return lm.Count == rm.Count && lm.All(p => rm.TryGetPropertyValue(p.Key, out var other) && AreEqual(p.Value!, other!));
            default:
                return JsonNode.DeepEquals(Payload(left), Payload(right));
        }
    }

    public static HashSet<string> SetOf(JsonNode value)
        => new(Payload(value).AsArray().Select(e => e!.GetValue<string>()), StringComparer.Ordinal);

    /// <summary>The size DynamoDB's <c>size()</c> reports: string length, bytes, set or list count, map count.</summary>
    public static int Size(JsonNode value) => TypeOf(value) switch
    {
        "S" => Scalar(value).Length,
        "B" => Convert.FromBase64String(Scalar(value)).Length,
        "SS" or "NS" or "BS" or "L" => Payload(value).AsArray().Count,
        "M" => Payload(value).AsObject().Count,
        _ => throw DynamoDbException.Validation($"Invalid operand for size(): {TypeOf(value)}"),
    };

    /// <summary>An item's size as DynamoDB counts it (names plus values, in bytes), approximately for numbers.</summary>
    public static long ItemSize(JsonObject item)
        => item.Sum(p => (long)Encoding.UTF8.GetByteCount(p.Key) + ValueSize(p.Value!));

    private static long ValueSize(JsonNode value) => TypeOf(value) switch
    {
        "S" => Encoding.UTF8.GetByteCount(Scalar(value)),
        "N" => (Scalar(value).Length / 2) + 1,
        "B" => Convert.FromBase64String(Scalar(value)).Length,
        "BOOL" or "NULL" => 1,
        "SS" or "BS" or "NS" => Payload(value).AsArray().Sum(e => (long)Encoding.UTF8.GetByteCount(e!.GetValue<string>())),
        "L" => 3 + Payload(value).AsArray().Sum(e => 1 + ValueSize(e!)),
        "M" => 3 + ItemSize(Payload(value).AsObject()) + Payload(value).AsObject().Count,
        _ => 0,
    };

    /// <summary>
    /// The bytes a key value sorts by: S as UTF-8, B raw, N as <see cref="SortableNumber"/> (ASCII), so that SQLite's
    /// byte-wise BLOB order is DynamoDB's key order.
    /// </summary>
    public static byte[] KeyBytes(JsonNode value) => TypeOf(value) switch
    {
        "S" => Encoding.UTF8.GetBytes(Scalar(value)),
        "N" => Encoding.ASCII.GetBytes(SortableNumber(Scalar(value))),
        "B" => Convert.FromBase64String(Scalar(value)),
        var type => throw DynamoDbException.Validation($"Key attributes must be S, N or B; got {type}"),
    };

    /// <summary>
    /// A text whose ordinal order is the numeric order of DynamoDB numbers (up to 38 digits, 1E-130 to 1E+126):
    /// sign class, then the decimal exponent, then the significant digits; for negatives exponent and digits are
    /// complemented and closed by a terminator that sorts after every digit.
    /// </summary>
    public static string SortableNumber(string text)
    {
        var (negative, digits, exponent) = ParseDecimal(text);
        if (digits.Length == 0)
        {
            return "1";
        }

        if (digits.Length > 38)
        {
            throw DynamoDbException.Validation("Attempting to store more than 38 significant digits in a Number");
        }

        if (exponent > 126 || exponent < -129)
        {
            throw DynamoDbException.Validation("Number overflow. Attempting to store a number with magnitude larger than supported range");
        }

        var builder = new StringBuilder(digits.Length + 5);
        if (!negative)
        {
            builder.Append('2').Append((exponent + 200).ToString("D3", CultureInfo.InvariantCulture)).Append(digits);
        }
        else
        {
            builder.Append('0').Append((999 - (exponent + 200)).ToString("D3", CultureInfo.InvariantCulture));
            foreach (var digit in digits)
            {
                builder.Append((char)('9' - digit + '0'));
            }

            builder.Append('~');
        }

        return builder.ToString();
    }

    /// <summary>The form DynamoDB answers a number with: no exponent, no leading or trailing zeros (<c>1.50E1</c> → <c>15</c>).</summary>
    public static string CanonicalNumber(string text)
    {
        _ = SortableNumber(text);
        var (negative, digits, exponent) = ParseDecimal(text);
        if (digits.Length == 0)
        {
            return "0";
        }

        var body = exponent >= digits.Length ? digits + new string('0', exponent - digits.Length)
            : exponent <= 0 ? "0." + new string('0', -exponent) + digits
            : digits[..exponent] + "." + digits[exponent..];
        return negative ? "-" + body : body;
    }

    /// <summary>Splits a number into sign, significant digits (no leading or trailing zeros) and exponent e with value = 0.digits × 10^e.</summary>
    private static (bool Negative, string Digits, int Exponent) ParseDecimal(string text)
    {
        var span = text.AsSpan().Trim();
        var negative = false;
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        var exponentAdjust = 0;
        var e = span.IndexOfAny('e', 'E');
        if (e >= 0)
        {
            if (!int.TryParse(span[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponentAdjust))
            {
                throw InvalidNumber(text);
            }

            span = span[..e];
        }

        var all = new StringBuilder(span.Length);
        var integerDigits = -1;
        foreach (var c in span)
        {
            if (c == '.' && integerDigits < 0)
            {
                integerDigits = all.Length;
            }
            else if (char.IsAsciiDigit(c))
            {
                all.Append(c);
            }
            else
            {
                throw InvalidNumber(text);
            }
        }

        if (all.Length == 0)
        {
            throw InvalidNumber(text);
        }

        if (integerDigits < 0)
        {
            integerDigits = all.Length;
        }

        var digits = all.ToString();
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        return (negative && digits.Length > 0, digits, integerDigits - leading + exponentAdjust);
    }

    private static DynamoDbException InvalidNumber(string text)
        => DynamoDbException.Validation($"A value provided cannot be converted into a number: {text}");
}
