namespace PdlfFast.Rules.Pdlf;

/// <summary>
/// Work to run with a term set's operator struct. <see cref="PdlfTermSets.Dispatch{TAction, TResult}"/> calls
/// <see cref="Invoke{TTerms}"/> with the struct that a <see cref="PdlfTermSet"/> value names, so code that holds the
/// term set as data (a config, a checkpoint) reaches the specialised generic kernels without a switch of its own.
/// Implement it as a (ref) struct holding the call's arguments: dispatch then allocates nothing.
/// </summary>
/// <typeparam name="TResult">What the work returns.</typeparam>
public interface IPdlfTermsAction<out TResult>
{
    /// <summary>Runs the work with the term set's operator struct.</summary>
    TResult Invoke<TTerms>() where TTerms : struct, IPdlfTerms;
}

/// <summary>
/// The one place where a PDLF term set's name and enum value become its operator struct. Adding a term set means an
/// enum member, a struct and its parameter list in PdlfTerms.cs, and one row here; an unknown name or value is an
/// error, never a default.
/// </summary>
public static class PdlfTermSets
{
    private static readonly NamedValues<PdlfTermSet> Table = new("PDLF term set", ("abcd", PdlfTermSet.Abcd), ("acd", PdlfTermSet.Acd), ("bd", PdlfTermSet.Bd));

    /// <summary>The names as the command line and config files spell them, in enum order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>The name of <paramref name="terms"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined value.</exception>
    public static string Name(PdlfTermSet terms) => Table.Name(terms);

    /// <summary>Looks a value up by its name (exact, lower case); false when there is none of that name.</summary>
    public static bool TryParse(string? name, out PdlfTermSet terms) => Table.TryParse(name, out terms);

    /// <summary>The value of that name.</summary>
    /// <exception cref="ArgumentException">No value has that name; the message lists the known ones.</exception>
    public static PdlfTermSet Parse(string? name) => Table.Parse(name);

    /// <summary>Runs <paramref name="action"/> with the operator struct of <paramref name="terms"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined term set.</exception>
    public static TResult Dispatch<TAction, TResult>(PdlfTermSet terms, ref TAction action)
        where TAction : IPdlfTermsAction<TResult>, allows ref struct => terms switch
    {
        PdlfTermSet.Abcd => action.Invoke<AbcdTerms>(),
        PdlfTermSet.Acd => action.Invoke<AcdTerms>(),
        PdlfTermSet.Bd => action.Invoke<BdTerms>(),
        _ => throw Table.Unknown(terms),
    };
}
