using PdlfFast.Tasks.Locomotion;

namespace PdlfFast.Tests.Tasks;

public class InjuryTests
{
    [Theory]
    // The reference's window (501-549 of 1,000) and the same place in shorter and odd-length episodes.
    [InlineData(1000, 501, 549)]
    [InlineData(500, 251, 299)]
    [InlineData(301, 151, 199)]
    [InlineData(60, 31, 60)]
    [InlineData(2, 2, 2)]
    public void Temporary_injury_sits_in_the_middle_of_the_episode(int episodeSteps, int first, int last)
    {
        var injury = Injury.TemporaryFor(episodeSteps);
        Assert.Equal((InjuryKind.Temporary, first, last), (injury.Kind, injury.FirstStep, injury.LastStep));
        injury.Validate();
        Assert.True(injury.WipesAt(first) && injury.WipesAt(last) && !injury.WipesAt(first - 1) && !injury.WipesAt(last + 1));
    }

    [Fact]
    public void Temporary_injury_for_the_default_episode_is_the_references()
        => Assert.Equal(Injury.Temporary, Injury.TemporaryFor(LocomotionTask.EpisodeSteps));

    [Fact]
    public void An_episode_too_short_for_a_window_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Injury.TemporaryFor(1));
}
