namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

internal enum TokenKind
{
    Name,
    NamePlaceholder,
    ValuePlaceholder,
    Integer,
    Symbol,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position)
{
    public bool IsSymbol(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    public bool IsKeyword(string keyword) => Kind == TokenKind.Name && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Splits a DynamoDB expression into names, <c>#name</c>s, <c>:value</c>s, integers and symbols.</summary>
internal static class ExpressionTokenizer
{
    public static List<Token> Tokenize(string expression)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (c is '#' or ':' || char.IsAsciiLetter(c) || c == '_')
            {
                i++;
                while (i < expression.Length && (char.IsAsciiLetterOrDigit(expression[i]) || expression[i] == '_'))
                {
                    i++;
                }

                var kind = c switch { '#' => TokenKind.NamePlaceholder, ':' => TokenKind.ValuePlaceholder, _ => TokenKind.Name };
                if (kind != TokenKind.Name && i - start == 1)
                {
                    throw Invalid(expression, $"a placeholder must have a name after '{c}'", start);
                }

                tokens.Add(new Token(kind, expression[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                while (i < expression.Length && char.IsAsciiDigit(expression[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Integer, expression[start..i], start));
            }
            else if (i + 1 < expression.Length && expression.Substring(i, 2) is "<=" or ">=" or "<>")
            {
                tokens.Add(new Token(TokenKind.Symbol, expression.Substring(i, 2), start));
                i += 2;
            }
            else if ("=<>(),.[]+-".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                i++;
            }
            else
            {
                throw Invalid(expression, $"unexpected character '{c}'", start);
            }
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, expression.Length));
        return tokens;
    }

    public static DynamoDbException Invalid(string expression, string reason, int position)
        => DynamoDbException.Validation($"Invalid expression: {reason} near position {position}; expression: {expression}");
}
