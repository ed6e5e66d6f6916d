using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>One step of a document path: an attribute or map key (<see cref="Name"/>) or a list index.</summary>
internal readonly record struct PathElement(string? Name, int Index);

/// <summary>A document path such as <c>a.b[2].c</c>, with <c>#placeholders</c> already substituted.</summary>
internal sealed record DocumentPath(IReadOnlyList<PathElement> Elements)
{
    public string TopLevelName => Elements[0].Name!;

    public override string ToString()
        => string.Concat(Elements.Select((e, i) => e.Name is null ? $"[{e.Index}]" : i == 0 ? e.Name : "." + e.Name));
}

internal abstract record Operand;

internal sealed record PathOperand(DocumentPath Path) : Operand;

internal sealed record ValueOperand(JsonNode Value) : Operand;

/// <summary><c>size(path)</c>, <c>if_not_exists(path, value)</c>, <c>list_append(a, b)</c>.</summary>
internal sealed record FunctionOperand(string Name, IReadOnlyList<Operand> Arguments) : Operand;

/// <summary><c>a + b</c> or <c>a - b</c> in a SET action.</summary>
internal sealed record ArithmeticOperand(Operand Left, char Operator, Operand Right) : Operand;

internal abstract record Condition;

internal sealed record ComparisonCondition(string Operator, Operand Left, Operand Right) : Condition;

internal sealed record BetweenCondition(Operand Value, Operand Low, Operand High) : Condition;

internal sealed record InCondition(Operand Value, IReadOnlyList<Operand> Candidates) : Condition;

/// <summary><c>attribute_exists</c>, <c>attribute_not_exists</c>, <c>attribute_type</c>, <c>begins_with</c>, <c>contains</c>.</summary>
internal sealed record FunctionCondition(string Name, IReadOnlyList<Operand> Arguments) : Condition;

internal sealed record AndCondition(Condition Left, Condition Right) : Condition;

internal sealed record OrCondition(Condition Left, Condition Right) : Condition;

internal sealed record NotCondition(Condition Inner) : Condition;

internal enum UpdateActionKind
{
    Set,
    Remove,
    Add,
    Delete,
}

internal sealed record UpdateAction(UpdateActionKind Kind, DocumentPath Path, Operand? Value);
