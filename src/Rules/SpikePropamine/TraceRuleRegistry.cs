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
    // Dispatch below is the only switch over the enum.
    private static readonly (string Name, TraceRule Rule)[] Table =
    [
        ("hebbian", TraceRule.Hebbian),
        ("oja", TraceRule.Oja),
        ("bcm", TraceRule.Bcm),
    ];

    /// <summary>The rules' names as the command line and config files spell them, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Table, row => row.Name);

    /// <summary>The name of <paramref name="rule"/> (e.g. <c>"oja"</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined rule.</exception>
    public static string Name(TraceRule rule)
    {
        foreach (var (name, value) in Table)
            if (value == rule) return name;
        throw Unknown(rule);
    }

    /// <summary>Looks a rule up by its name (exact, lower case); false when there is none of that name.</summary>
    public static bool TryParse(string? name, out TraceRule rule)
    {
        foreach (var (known, value) in Table)
        {
            if (known != name) continue;
            rule = value;
            return true;
        }
        rule = default;
        return false;
    }

    /// <summary>The rule of that name.</summary>
    /// <exception cref="ArgumentException">No rule has that name; the message lists the known ones.</exception>
    public static TraceRule Parse(string? name) => TryParse(name, out var rule)
        ? rule
        : throw new ArgumentException($"unknown trace rule '{name}': use one of {string.Join(", ", Names)}", nameof(name));

    /// <summary>Runs <paramref name="action"/> with the operator struct of <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined rule.</exception>
    public static TResult Dispatch<TAction, TResult>(TraceRule rule, ref TAction action)
        where TAction : ITraceRuleAction<TResult>, allows ref struct => rule switch
    {
        TraceRule.Hebbian => action.Invoke<HebbianRule>(),
        TraceRule.Oja => action.Invoke<OjaRule>(),
        TraceRule.Bcm => action.Invoke<BcmRule>(),
        _ => throw Unknown(rule),
    };

    private static ArgumentOutOfRangeException Unknown(TraceRule rule) =>
        new(nameof(rule), rule, $"Unknown trace rule {(int)rule}: use one of {string.Join(", ", Names)}.");
}
