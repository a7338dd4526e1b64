using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Npgsql;

namespace RefundWorker.Admin;

/// <summary>
/// Which providers an operator paused, as this replica knows it: read from <c>provider_pauses</c> at start and every
/// <c>Admin:PauseRefreshInterval</c>, so a pause set through any replica holds for all of them within that interval and
/// survives restarts. A change made through this replica applies here at once. While PostgreSQL cannot be read the last
/// known pauses stay in force: a paused provider is not called because a refresh failed.
/// </summary>
public sealed class ProviderPauses(NpgsqlDataSource dataSource, IOptions<AdminOptions> options, TimeProvider time, ILogger<ProviderPauses> logger)
    : BackgroundService
{
    private FrozenSet<string> _paused = FrozenSet<string>.Empty;
    private bool _warned;

    /// <summary>How long an operation of a paused provider waits before it is looked at again.</summary>
    public TimeSpan RecheckAfter => options.Value.PauseRefreshInterval;

    public bool IsPaused(string provider) => Volatile.Read(ref _paused).Contains(provider);

    public IReadOnlyCollection<string> Paused => Volatile.Read(ref _paused);

    /// <summary>Applies a change made by this replica before the next refresh.</summary>
    public void Set(string provider, bool paused)
    {
        var set = new HashSet<string>(Volatile.Read(ref _paused), StringComparer.Ordinal);
        if (paused)
        {
            set.Add(provider);
        }
        else
        {
            set.Remove(provider);
        }

        Volatile.Write(ref _paused, set.ToFrozenSet(StringComparer.Ordinal));
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Loaded before the scheduler starts claiming: a restarted replica must not call a paused provider in its first seconds.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await RefreshAsync(timeout.Token);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.PauseRefreshInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await RefreshAsync(stoppingToken);
        }
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT provider FROM provider_pauses WHERE paused");
            var set = new HashSet<string>(StringComparer.Ordinal);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                set.Add(r.GetString(0));
            }

            var previous = Volatile.Read(ref _paused);
            Volatile.Write(ref _paused, set.ToFrozenSet(StringComparer.Ordinal));
            foreach (var p in set.Except(previous))
            {
                logger.LogWarning("Provider {Provider} is paused by an operator: no calls are made to it", p);
            }

            foreach (var p in previous.Except(set))
            {
                logger.LogWarning("Provider {Provider} is resumed", p);
            }

            _warned = false;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            if (!_warned)
            {
                logger.LogWarning(e, "Could not read provider pauses; the last known ones stay in force");
                _warned = true;
            }
        }
    }
}
