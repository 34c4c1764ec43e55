using System.Globalization;
using PdlfFast.Tasks.Physics;

namespace PdlfFast.Tasks.Locomotion;

/// <summary>What a novel condition changes in the physics (SpikePropamine's test of robustness; docs/design.md, "Tasks").</summary>
public enum ConditionKind
{
    /// <summary>The model as trained.</summary>
    None,
    /// <summary>One actuator produces no force (its gear is zero; the policy's command to it still counts in control costs).</summary>
    ActuatorOff,
    /// <summary>The sliding friction of every geom, hence of every contact, is scaled.</summary>
    Friction,
    /// <summary>The torso body's mass and inertia are scaled (a uniformly denser torso of the same shape).</summary>
    TorsoMass,
}

/// <summary>
/// A change to a task's physics that training never saw: a disabled actuator, scaled ground friction or a heavier
/// torso. <see cref="LoadModel"/> makes a fresh model with the change; a policy is then run on it unchanged.
/// </summary>
/// <remarks>
/// Immutable. Text form (command line, tables): <c>none</c>, <c>actuator-off=K</c>, <c>friction=F</c>,
/// <c>torso-mass=F</c>. Friction matters only for tasks with ground contact (not swimmer_dir or reach_arm); the torso
/// needs a body named "torso" (every built-in model but the arm's).
/// </remarks>
/// <param name="Kind">What changes.</param>
/// <param name="Value">The actuator index (<see cref="ConditionKind.ActuatorOff"/>) or the scale factor.</param>
public sealed record EnvironmentCondition(ConditionKind Kind, double Value = 0)
{
    /// <summary>The unchanged model.</summary>
    public static EnvironmentCondition None { get; } = new(ConditionKind.None);

    /// <summary>Actuator <paramref name="actuator"/> disabled.</summary>
    /// <param name="actuator">Index into the control vector, 0 .. nu - 1.</param>
    public static EnvironmentCondition ActuatorOff(int actuator) => new(ConditionKind.ActuatorOff, actuator);

    /// <summary>Every geom's sliding friction times <paramref name="factor"/>.</summary>
    /// <param name="factor">Positive scale, e.g. 0.5 (slippery) or 2.</param>
    public static EnvironmentCondition Friction(double factor) => new(ConditionKind.Friction, factor);

    /// <summary>The torso's mass and inertia times <paramref name="factor"/>.</summary>
    /// <param name="factor">Positive scale, e.g. 1.5.</param>
    public static EnvironmentCondition TorsoMass(double factor) => new(ConditionKind.TorsoMass, factor);

    /// <summary>The set the README's table reports: none, actuator 0 off, friction x0.5 and x2, torso mass x1.5.</summary>
    public static IReadOnlyList<EnvironmentCondition> Standard { get; } =
        [None, ActuatorOff(0), Friction(0.5), Friction(2), TorsoMass(1.5)];

    /// <summary>The text forms <see cref="Parse"/> accepts, for help and error messages.</summary>
    public const string Syntax = "none, actuator-off=K, friction=F, torso-mass=F or standard";

    /// <summary>Parses one condition's text form (see the remarks); "standard" is expanded by callers, not here.</summary>
    /// <param name="text">e.g. "friction=0.5".</param>
    /// <exception cref="FormatException">Not a condition, or a value out of range; the message lists the forms.</exception>
    public static EnvironmentCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim().ToLowerInvariant();
        if (trimmed == "none") return None;
        int equals = trimmed.IndexOf('=');
        string name = equals < 0 ? trimmed : trimmed[..equals], value = equals < 0 ? "" : trimmed[(equals + 1)..];
        if (name == "actuator-off")
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                ? ActuatorOff(k)
                : throw new FormatException($"'{text}': actuator-off takes an actuator index, e.g. actuator-off=0.");
        if (name is "friction" or "torso-mass")
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) || !(f > 0) || double.IsInfinity(f))
                throw new FormatException($"'{text}': {name} takes a positive finite factor, e.g. {name}=0.5.");
            return name == "friction" ? Friction(f) : TorsoMass(f);
        }
        throw new FormatException($"'{text}' is not a condition; use {Syntax}.");
    }

    /// <summary>The text form, which <see cref="Parse"/> reads back.</summary>
    public override string ToString() => Kind switch
    {
        ConditionKind.None => "none",
        ConditionKind.ActuatorOff => string.Create(CultureInfo.InvariantCulture, $"actuator-off={(int)Value}"),
        ConditionKind.Friction => string.Create(CultureInfo.InvariantCulture, $"friction={Value:G6}"),
        ConditionKind.TorsoMass => string.Create(CultureInfo.InvariantCulture, $"torso-mass={Value:G6}"),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown condition."),
    };

    /// <summary>
    /// A fresh copy of <paramref name="task"/>'s built-in model with this condition applied; the caller owns it. The
    /// condition is applied before any simulation data exists, so the model is immutable from then on, as always.
    /// </summary>
    /// <param name="task">The task whose model to load.</param>
    /// <exception cref="ArgumentException">The condition does not fit the model (no such actuator, no torso, a factor that is not positive).</exception>
    /// <exception cref="PhysicsUnavailableException">MuJoCo or the shim is not installed.</exception>
    public MuJoCoModel LoadModel(LocomotionTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var model = MuJoCoModel.FromEmbedded(task.ModelName);
        try
        {
            Apply(model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void Apply(MuJoCoModel model)
    {
        switch (Kind)
        {
            case ConditionKind.None:
                return;
            case ConditionKind.ActuatorOff:
                int actuator = (int)Value;
                if (actuator != Value || actuator < 0 || actuator >= model.ActuatorCount)
                    throw new ArgumentException($"Condition {this}: model '{model.Name}' has actuators 0..{model.ActuatorCount - 1}.", nameof(Value));
                model.DisableActuator(actuator);
                return;
            case ConditionKind.Friction or ConditionKind.TorsoMass when !(Value > 0) || double.IsInfinity(Value):
                throw new ArgumentException($"Condition {Kind}: the factor must be positive and finite (got {Value}).", nameof(Value));
            case ConditionKind.Friction:
                model.ScaleFriction(Value);
                return;
            case ConditionKind.TorsoMass:
                int torso = model.IdOf(MuJoCoObject.Body, "torso");
                if (torso < 0) throw new ArgumentException($"Condition {this}: model '{model.Name}' has no body named 'torso'.", nameof(Kind));
                model.ScaleBodyMass(torso, Value);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown condition.");
        }
    }
}
