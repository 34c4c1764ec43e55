namespace PdlfFast.Rules.SpikePropamine;

/// <summary>
/// Work to run with a trace rule's operator struct: <see cref="TraceRules.Dispatch{TAction, TResult}"/> calls
/// <see cref="Invoke{TRule}"/> with the struct a <see cref="TraceRule"/> value names. Implement it as a (ref) struct
/// holding the call's arguments: dispatch then allocates nothing.
/// </summary>
/// <typeparam name="TResult">What the work returns.</typeparam>
public interface ITraceRuleAction<out TResult>
{
    /// <summary>Runs the work with the rule's operator struct.</summary>
    TResult Invoke<TRule>() where TRule : struct, ITraceRule;
}

/// <summary>
/// The one place where a SpikePropamine trace rule's name and enum value become its operator struct. Adding a rule
/// means an enum member and a struct in TraceRules.cs, and one row here; an unknown name or value is an error, never a
/// default.
/// </summary>
public static class TraceRules
{
    private static readonly NamedValues<TraceRule> Table = new("trace rule", ("hebbian", TraceRule.Hebbian), ("oja", TraceRule.Oja), ("bcm", TraceRule.Bcm));

    /// <summary>The names as the command line and config files spell them, in enum order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>The name of <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined value.</exception>
    public static string Name(TraceRule rule) => Table.Name(rule);

    /// <summary>Looks a value up by its name (exact, lower case); false when there is none of that name.</summary>
    public static bool TryParse(string? name, out TraceRule rule) => Table.TryParse(name, out rule);

    /// <summary>The value of that name.</summary>
    /// <exception cref="ArgumentException">No value has that name; the message lists the known ones.</exception>
    public static TraceRule Parse(string? name) => Table.Parse(name);

    /// <summary>Runs <paramref name="action"/> with the operator struct of <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined rule.</exception>
    public static TResult Dispatch<TAction, TResult>(TraceRule rule, ref TAction action)
        where TAction : ITraceRuleAction<TResult>, allows ref struct => rule switch
    {
        TraceRule.Hebbian => action.Invoke<HebbianRule>(),
        TraceRule.Oja => action.Invoke<OjaRule>(),
        TraceRule.Bcm => action.Invoke<BcmRule>(),
        _ => throw Table.Unknown(rule),
    };
}
