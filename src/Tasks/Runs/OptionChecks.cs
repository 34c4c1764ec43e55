namespace PdlfFast.Tasks.Runs;

/// <summary>Collects every problem with a configuration, each naming its option and the allowed values.</summary>
/// <remarks>Internal plumbing of the configs' <c>Problems()</c>; hosts read the resulting list.</remarks>
internal sealed class OptionChecks
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public OptionChecks Range(string option, double value, double min, double max)
    {
        if (!(value >= min && value <= max)) _problems.Add($"{option} must be in {min}..{max} (got {value}).");
        return this;
    }

    public OptionChecks OneOf(string option, string value, IReadOnlyList<string> allowed)
    {
        if (!allowed.Contains(value)) _problems.Add($"{option} must be one of {string.Join(", ", allowed)} (got '{value}').");
        return this;
    }

    public OptionChecks EvenPopulation(int population)
    {
        Range("--population", population, 2, 1 << 16);
        if (population % 2 != 0) _problems.Add($"--population must be even: members come in mirrored pairs (got {population}).");
        return this;
    }

    public OptionChecks Add(string problem)
    {
        _problems.Add(problem);
        return this;
    }
}
