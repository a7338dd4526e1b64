using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Containers;

/// <summary>
/// A fact of the container path. It is skipped, with the probe's reason as the skip reason (and printed), only when no
/// container engine answers; where `./build.sh test` prepared one it sets <see cref="RequireVariable"/>, and then the
/// test never skips: an engine that broke on the way fails the test instead of hiding it.
/// </summary>
public sealed class ContainerPathFactAttribute : FactAttribute
{
    public const string RequireVariable = "RefundWorker__Tests__RequireContainers";

    private static readonly Lazy<string?> SkipReason = new(() =>
    {
        if (string.Equals(Environment.GetEnvironmentVariable(RequireVariable), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var (engine, reason) = ContainerEngine.ProbeAsync().GetAwaiter().GetResult();
        if (engine is not null)
        {
            return null;
        }

        var skip = $"container path not tested: {reason}";
        Console.Error.WriteLine(skip);
        return skip;
    });

    public ContainerPathFactAttribute()
    {
        Skip = SkipReason.Value;
    }
}
