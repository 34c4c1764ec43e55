namespace PdlfFast.Rules;

/// <summary>
/// The name table behind a registry (<see cref="Pdlf.PdlfTermSets"/>, <see cref="SpikePropamine.TraceRules"/>): the
/// names as the command line spells them, in enum order, both ways, with no default for an unknown one.
/// </summary>
internal sealed class NamedValues<TEnum>(string what, params (string Name, TEnum Value)[] table) where TEnum : struct, Enum
{
    public IReadOnlyList<string> Names { get; } = Array.ConvertAll(table, row => row.Name);

    public string Name(TEnum value)
    {
        foreach (var (name, known) in table)
            if (EqualityComparer<TEnum>.Default.Equals(known, value)) return name;
        throw Unknown(value);
    }

    public bool TryParse(string? name, out TEnum value)
    {
        foreach (var (known, row) in table)
        {
            if (known != name) continue;
            value = row;
            return true;
        }
        value = default;
        return false;
    }

    public TEnum Parse(string? name) => TryParse(name, out var value)
        ? value
        : throw new ArgumentException($"unknown {what} '{name}': use one of {string.Join(", ", Names)}", nameof(name));

    public ArgumentOutOfRangeException Unknown(TEnum value) =>
        new(nameof(value), value, $"Unknown {what} {Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)}: use one of {string.Join(", ", Names)}.");
}
