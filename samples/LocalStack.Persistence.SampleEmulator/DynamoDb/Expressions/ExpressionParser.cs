using System.Globalization;
using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>
/// Recursive-descent parser of DynamoDB condition, key condition, filter, update and projection expressions, resolving
/// <c>#name</c> and <c>:value</c> placeholders from ExpressionAttributeNames and ExpressionAttributeValues.
/// </summary>
internal sealed class ExpressionParser
{
    private static readonly string[] Comparators = ["=", "<>", "<", "<=", ">", ">="];
    private static readonly string[] ConditionFunctions = ["attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"];
    private readonly string _expression;
    private readonly List<Token> _tokens;
    private readonly JsonObject? _names;
    private readonly JsonObject? _values;
    private readonly PlaceholderUsage? _usage;
    private int _position;

    private ExpressionParser(string expression, JsonObject? names, JsonObject? values, PlaceholderUsage? usage)
    {
        _expression = expression;
        _tokens = ExpressionTokenizer.Tokenize(expression);
        _names = names;
        _values = values;
        _usage = usage;
    }

    private Token Current => _tokens[_position];

    public static Condition ParseCondition(string expression, JsonObject? names, JsonObject? values, PlaceholderUsage? usage = null)
    {
        var parser = new ExpressionParser(expression, names, values, usage);
        var condition = parser.Or();
        parser.ExpectEnd();
        return condition;
    }

    public static IReadOnlyList<DocumentPath> ParseProjection(string expression, JsonObject? names, PlaceholderUsage? usage = null)
    {
        var parser = new ExpressionParser(expression, names, null, usage);
        var paths = new List<DocumentPath> { parser.Path() };
        while (parser.Accept(","))
        {
            paths.Add(parser.Path());
        }

        parser.ExpectEnd();
        return paths;
    }

    public static IReadOnlyList<UpdateAction> ParseUpdate(string expression, JsonObject? names, JsonObject? values, PlaceholderUsage? usage = null)
    {
        var parser = new ExpressionParser(expression, names, values, usage);
        var actions = new List<UpdateAction>();
        var seen = new HashSet<UpdateActionKind>();
        while (parser.Current.Kind != TokenKind.End)
        {
            var keyword = parser.Current;
            if (!Enum.TryParse<UpdateActionKind>(keyword.Text, ignoreCase: true, out var kind) || keyword.Kind != TokenKind.Name)
            {
                throw parser.Invalid("expected SET, REMOVE, ADD or DELETE");
            }

            if (!seen.Add(kind))
            {
                throw parser.Invalid($"the {kind.ToString().ToUpperInvariant()} section can only be used once in an update expression");
            }

            parser._position++;
            do
            {
                var path = parser.Path();
                Operand? value = null;
                switch (kind)
                {
                    case UpdateActionKind.Set:
                        parser.Expect("=");
                        value = parser.SetValue();
                        break;
                    case UpdateActionKind.Add or UpdateActionKind.Delete:
                        value = parser.Operand();
                        break;
                }

                actions.Add(new UpdateAction(kind, path, value));
            }
            while (parser.Accept(","));
        }

        if (actions.Count == 0)
        {
            throw parser.Invalid("the update expression is empty");
        }

        return actions;
    }

    private Condition Or()
    {
        var left = And();
        while (Current.IsKeyword("OR"))
        {
            _position++;
            left = new OrCondition(left, And());
        }

        return left;
    }

    private Condition And()
    {
        var left = Not();
        while (Current.IsKeyword("AND"))
        {
            _position++;
            left = new AndCondition(left, Not());
        }

        return left;
    }

    private Condition Not()
    {
        if (Current.IsKeyword("NOT"))
        {
            _position++;
            return new NotCondition(Not());
        }

        return Primary();
    }

    private Condition Primary()
    {
        if (Accept("("))
        {
            var inner = Or();
            Expect(")");
            return inner;
        }

        if (Current.Kind == TokenKind.Name && _tokens[_position + 1].IsSymbol("(")
            && ConditionFunctions.Contains(Current.Text, StringComparer.Ordinal))
        {
            var name = Current.Text;
            _position += 2;
            var arguments = Arguments();
            var expected = name is "attribute_exists" or "attribute_not_exists" ? 1 : 2;
            if (arguments.Count != expected || arguments[0] is not PathOperand)
            {
                throw Invalid($"{name} takes a document path{(expected == 2 ? " and an operand" : string.Empty)}");
            }

            return new FunctionCondition(name, arguments);
        }

        var left = Operand();
        if (Current.Kind == TokenKind.Symbol && Comparators.Contains(Current.Text, StringComparer.Ordinal))
        {
            var comparator = Current.Text;
            _position++;
            return new ComparisonCondition(comparator, left, Operand());
        }

        if (Current.IsKeyword("BETWEEN"))
        {
            _position++;
            var low = Operand();
            if (!Current.IsKeyword("AND"))
            {
                throw Invalid("expected AND in BETWEEN");
            }

            _position++;
            return new BetweenCondition(left, low, Operand());
        }

        if (Current.IsKeyword("IN"))
        {
            _position++;
            Expect("(");
            return new InCondition(left, Arguments());
        }

        throw Invalid("expected a comparison, BETWEEN, IN or a function");
    }

    /// <summary>The arguments after an opening parenthesis, through the closing one.</summary>
    private List<Operand> Arguments()
    {
        var arguments = new List<Operand> { Operand() };
        while (Accept(","))
        {
            arguments.Add(Operand());
        }

        Expect(")");
        return arguments;
    }

    private Operand SetValue()
    {
        var left = Operand();
        if (Current.IsSymbol("+") || Current.IsSymbol("-"))
        {
            var op = Current.Text[0];
            _position++;
            return new ArithmeticOperand(left, op, Operand());
        }

        return left;
    }

    private Operand Operand()
    {
        var token = Current;
        if (token.Kind == TokenKind.ValuePlaceholder)
        {
            _position++;
            if (_values?[token.Text] is not { } value)
            {
                throw DynamoDbException.Validation($"Invalid expression: An expression attribute value used in expression is not defined; attribute value: {token.Text}");
            }

            _ = AttributeValues.TypeOf(value);
            _usage?.Values.Add(token.Text);
            return new ValueOperand(value);
        }

        if (token.Kind == TokenKind.Name && _tokens[_position + 1].IsSymbol("("))
        {
            var name = token.Text;
            if (name is not ("size" or "if_not_exists" or "list_append"))
            {
                throw Invalid($"invalid function name: {name}");
            }

            _position += 2;
            var arguments = Arguments();
            var valid = name switch
            {
                "size" => arguments is [PathOperand],
                "if_not_exists" => arguments is [PathOperand, _],
                _ => arguments.Count == 2,
            };
            return valid ? new FunctionOperand(name, arguments) : throw Invalid($"wrong arguments for {name}");
        }

        return new PathOperand(Path());
    }

    private DocumentPath Path()
    {
        var elements = new List<PathElement> { new(Name(), 0) };
        while (true)
        {
            if (Accept("."))
            {
                elements.Add(new PathElement(Name(), 0));
            }
            else if (Accept("["))
            {
                if (Current.Kind != TokenKind.Integer)
                {
                    throw Invalid("expected a list index");
                }

                elements.Add(new PathElement(null, int.Parse(Current.Text, CultureInfo.InvariantCulture)));
                _position++;
                Expect("]");
            }
            else
            {
                return new DocumentPath(elements);
            }
        }
    }

    private string Name()
    {
        var token = Current;
        _position++;
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Text;
            case TokenKind.NamePlaceholder:
                _usage?.Names.Add(token.Text);
                return _names?[token.Text]?.GetValue<string>()
                    ?? throw DynamoDbException.Validation($"Invalid expression: An expression attribute name used in the document path is not defined; attribute name: {token.Text}");
            default:
                throw InvalidAt(token, "expected an attribute name");
        }
    }

    private bool Accept(string symbol)
    {
        if (Current.IsSymbol(symbol))
        {
            _position++;
            return true;
        }

        return false;
    }

    private void Expect(string symbol)
    {
        if (!Accept(symbol))
        {
            throw Invalid($"expected '{symbol}'");
        }
    }

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End)
        {
            throw Invalid($"unexpected token '{Current.Text}'");
        }
    }

    private DynamoDbException Invalid(string reason) => InvalidAt(Current, reason);

    private DynamoDbException InvalidAt(Token token, string reason) => ExpressionTokenizer.Invalid(_expression, reason, token.Position);
}
