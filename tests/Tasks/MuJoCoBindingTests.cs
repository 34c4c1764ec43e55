using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tests.Tasks;

public class MuJoCoBindingTests
{
    // A hinged pendulum with one motor: small enough to reason about by hand.
    private const string Pendulum = """
        <mujoco model="pendulum">
          <compiler angle="radian" autolimits="true"/>
          <option timestep="0.01"/>
          <size njmax="50" nconmax="10"/>
          <worldbody>
            <body name="pole" pos="0 0 1">
              <joint name="hinge" type="hinge" axis="0 1 0"/>
              <geom type="capsule" fromto="0 0 0 0 0 -0.5" size="0.05" mass="1"/>
              <site name="tip" pos="0 0 -0.5"/>
            </body>
          </worldbody>
          <actuator><motor joint="hinge" gear="1" ctrlrange="-2 2"/></actuator>
        </mujoco>
        """;

    [Fact]
    public void Model_reports_its_sizes_and_control_range()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        Assert.Equal((1, 1, 1, 2, 1), (model.PositionSize, model.VelocitySize, model.ActuatorCount, model.BodyCount, model.SiteCount));
        Assert.Equal(0.01, model.Timestep);
        Assert.Equal([-2.0, 2.0], model.ControlRange.ToArray());
        Assert.Equal(1, model.IdOf(MuJoCoObject.Body, "pole"));
        Assert.Equal(-1, model.IdOf(MuJoCoObject.Body, "missing"));
        Assert.Throws<MuJoCoException>(() => model.RequireId(MuJoCoObject.Site, "missing"));
    }

    [Fact]
    public void Bad_xml_reports_MuJoCos_own_error_text()
    {
        var error = Assert.Throws<MuJoCoException>(() => MuJoCoModel.FromXml("<mujoco><worldbody><body><geom type=\"nosuchshape\"/></body></worldbody></mujoco>"));
        Assert.Contains("nosuchshape", error.Message);
        Assert.Throws<MuJoCoException>(() => MuJoCoModel.FromXml("not xml at all"));
    }

    [Fact]
    public void A_displaced_pendulum_swings_back_towards_the_bottom()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        using var data = new MuJoCoData(model);
        data.SetState([0.5], [0.0]);
        Span<double> qpos = stackalloc double[1], qvel = stackalloc double[1];
        Assert.Equal(StepOutcome.Ok, data.Step([0.0], substeps: 5, StepExtras.Positions));
        data.ReadState(qpos, qvel);
        Assert.InRange(qpos[0], 0.0, 0.5 - 1e-3);
        Assert.True(qvel[0] < 0, "gravity accelerates the pole back towards the bottom");
        Assert.Equal(0.05, data.Time, 12);

        Span<double> tip = stackalloc double[3];
        data.ReadSitePositions(tip);
        Assert.Equal(1 - 0.5 * Math.Cos(qpos[0]), tip[2], 9);
    }

    [Fact]
    public void Reset_applies_offsets_to_the_reference_state()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        using var data = new MuJoCoData(model);
        data.Step([1.0], 10);
        data.Reset([0.25], [-1.0]);
        Span<double> qpos = stackalloc double[1], qvel = stackalloc double[1];
        data.ReadState(qpos, qvel);
        Assert.Equal((0.25, -1.0, 0.0), (qpos[0], qvel[0], data.Time));
    }

    [Fact]
    public void A_blow_up_ends_the_step_as_unstable_and_the_data_stays_usable()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        using var data = new MuJoCoData(model);
        data.SetState([0.0], [double.NaN]);
        Assert.Equal(StepOutcome.Unstable, data.Step([0.0], 3));
        data.Reset();
        Assert.Equal(StepOutcome.Ok, data.Step([0.5], 3));
        Span<double> qpos = stackalloc double[1], qvel = stackalloc double[1];
        data.ReadState(qpos, qvel);
        Assert.True(double.IsFinite(qpos[0]) && double.IsFinite(qvel[0]));
    }

    [Fact]
    public void Wrong_buffer_lengths_are_rejected_before_reaching_native_code()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        using var data = new MuJoCoData(model);
        Assert.Throws<ArgumentException>(() => data.Step([0.0, 1.0], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Step([0.0], 0));
        Assert.Throws<ArgumentException>(() => data.ReadState(new double[2], new double[1]));
    }

    [Fact]
    public void Data_on_different_threads_give_bit_identical_trajectories()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        double[] Run()
        {
            using var data = new MuJoCoData(model);
            data.Reset([0.3], default);
            var trace = new double[200];
            Span<double> qpos = stackalloc double[1], qvel = stackalloc double[1];
            for (int t = 0; t < trace.Length; t++)
            {
                data.Step([Math.Sin(0.1 * t)], 2);
                data.ReadState(qpos, qvel);
                trace[t] = qpos[0];
            }
            return trace;
        }
        var sequential = Run();
        var parallel = new double[4][];
        Parallel.For(0, 4, i => parallel[i] = Run());
        foreach (var trace in parallel) Assert.Equal(sequential, trace);
    }

    [Fact]
    public void Stepping_allocates_nothing()
    {
        using var model = MuJoCoModel.FromXml(Pendulum);
        using var data = new MuJoCoData(model);
        var control = new double[1];
        var qpos = new double[1];
        var qvel = new double[1];
        // Warm up every call the loop makes: the first ReadState of a process allocates (P/Invoke stub set-up).
        data.Step(control, 1, StepExtras.ContactForces | StepExtras.Positions);
        data.ReadState(qpos, qvel);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 100; t++)
        {
            control[0] = t % 3 - 1;
            data.Step(control, 2, StepExtras.ContactForces | StepExtras.Positions);
            data.ReadState(qpos, qvel);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
