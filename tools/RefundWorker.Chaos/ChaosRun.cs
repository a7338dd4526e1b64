using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RefundWorker.PrivateServers;

namespace RefundWorker.Chaos;

/// <summary>
/// One chaos run: a private PostgreSQL and RabbitMQ (never the developer's own services, since this run restarts
/// them), the sandbox and <see cref="ChaosOptions.Workers"/> worker replicas as processes, the order system's
/// traffic, provider faults throughout, and kills and restarts while publishing; then the verification.
/// </summary>
public static class ChaosRun
{
    public static async Task<ChaosReport> RunAsync(ChaosOptions options, TextWriter output, CancellationToken ct)
    {
        Directory.CreateDirectory(options.LogDirectory);
        var run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        void Say(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {text}");

        var workerDll = Path.Combine(options.BinariesDirectory, "RefundWorker.dll");
        var sandboxDll = Path.Combine(options.BinariesDirectory, "RefundWorker.Sandbox.dll");
        foreach (var dll in new[] { workerDll, sandboxDll })
        {
            if (!File.Exists(dll))
            {
                throw new FileNotFoundException($"{dll} not found: build the chaos tool (it brings the worker and the sandbox along) or pass --bin", dll);
            }
        }

        Say($"chaos run: {options.Count:N0} messages at up to {options.PublishRate}/s, {options.Workers} workers, {options.Kills} kill(s), " +
            $"{options.BrokerRestarts} broker and {options.DatabaseRestarts} database restart(s), seed {options.Seed}; logs in {options.LogDirectory}");
        var mix = RequestMix.Create(options.Count, options.Unparseable, options.Seed, run);

        // The servers, the sandbox and the migration start side by side: on a loaded machine each takes tens of seconds.
        Say("starting a private PostgreSQL and RabbitMQ, and the sandbox");
        var postgresStart = PrivatePostgres.StartAsync();
        var brokerStart = PrivateRabbitMq.StartAsync();
        var sandboxPort = ManagedProcess.FreePort();
        var sandboxUrl = new Uri($"http://127.0.0.1:{sandboxPort}");
        var keys = Path.Combine(options.LogDirectory, "keys");
        await using var sandbox = ManagedProcess.Start("sandbox", sandboxDll, ["--urls", sandboxUrl.ToString()], SandboxEnvironment(keys, options.Seed),
            Path.Combine(options.LogDirectory, "sandbox.log"));
        using var sandboxHttp = new HttpClient { BaseAddress = sandboxUrl, Timeout = TimeSpan.FromMinutes(5) };
        var sandboxReady = Task.Run(async () =>
        {
            await sandbox.WaitForHttpAsync(new Uri(sandboxUrl, "/_sandbox/health"), TimeSpan.FromSeconds(180), ct);
            await ConfigureFaultsAsync(sandboxHttp, options.Seed, ct);
            await SeedOriginalsAsync(sandboxHttp, mix, ct);
            Say($"sandbox on {sandboxUrl}: faults set, {mix.Originals.Count:N0} originals seeded");
        }, ct);

        await using var postgres = await postgresStart;
        var database = await postgres.CreateDatabaseAsync("refundworker", maxPoolSize: 25);
        // The migration needs nothing but the database.
        var migrated = ManagedProcess.RunToEndAsync("migrate", workerDll, ["migrate"], new Dictionary<string, string> { ["ConnectionStrings:Postgres"] = database },
            Path.Combine(options.LogDirectory, "migrate.log"), ct);
        await using var broker = await brokerStart;
        await Task.WhenAll(sandboxReady, migrated);
        Say("servers up, database migrated");
        var workerEnvironment = await WorkerEnvironmentAsync(sandboxHttp, keys, database, broker.Amqp, ct);

        // The outcome queue exists before the first request is published.
        await using var outcomes = await OutcomeListener.StartAsync(broker.Amqp, ct);

        var workers = new ManagedProcess?[options.Workers];
        var generation = 0;
        var restarting = new System.Collections.Concurrent.ConcurrentDictionary<int, Task>();
        async Task StartWorkerAsync(int slot, TimeSpan readyWithin)
        {
            var port = ManagedProcess.FreePort();
            var name = $"worker{slot + 1}";
            var env = new Dictionary<string, string>(workerEnvironment)
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["Worker:NodeId"] = $"chaos-{name}-{Interlocked.Increment(ref generation)}",
                // One line per rejected and per duplicate request: what a breach of "one outcome per request" is traced with.
                ["Logging:LogLevel:RefundWorker.Operations.AcceptService"] = "Debug",
            };
            var worker = ManagedProcess.Start(name, workerDll, ["run"], env, Path.Combine(options.LogDirectory, name + ".log"));
            workers[slot] = worker;
            await worker.WaitForHttpAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), readyWithin, ct);
        }

        try
        {
            Say($"starting {options.Workers} worker replicas on one queue");
            await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(slot => StartWorkerAsync(slot, TimeSpan.FromMinutes(3))));

            var publisher = new OrderSystemPublisher(broker.Amqp, output);
            var random = new Random(options.Seed);
            var disturbances = Schedule(options, random);
            Say($"publishing; disturbances at {string.Join(", ", disturbances.Select(d => $"{d.Kind} {d.At:P0}"))}");
            var publishClock = Stopwatch.StartNew();
            var publishing = publisher.PublishAllAsync(mix.Messages, options.PublishRate, ct);
            var disturbing = DisturbAsync();
            await Task.WhenAll(publishing, disturbing);
            await Task.WhenAll(restarting.Values);
            Say($"published {mix.Messages.Count:N0} messages in {ChaosVerifier.Seconds(publishClock.Elapsed)} ({publisher.Republished:N0} published again after a broker failure or a return; {publisher.Returned:N0} returned unroutable); " +
                $"outcomes so far {outcomes.Requests:N0}");

            var expected = mix.ExpectedRequestIds();
            var settleBy = DateTime.UtcNow + options.SettleTime;
            var lastReport = DateTime.UtcNow;
            while (expected.Any(id => !outcomes.Has(id)) && DateTime.UtcNow < settleBy)
            {
                await Task.Delay(500, ct);
                if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(15))
                {
                    Say($"waiting for outcomes: {expected.Count(outcomes.Has):N0} of {expected.Count:N0}");
                    lastReport = DateTime.UtcNow;
                }
            }

            var elapsed = clock.Elapsed;
            Say($"settled: {expected.Count(outcomes.Has):N0} of {expected.Count:N0} requests have an outcome; collecting the figures");
            // Redeliveries and the dead-letter drain have a moment to arrive.
            await Task.Delay(TimeSpan.FromSeconds(5), ct);

            var ledger = await ChaosVerifier.ReadLedgerAsync(sandboxHttp, ct);
            var figures = await ChaosVerifier.ReadDatabaseAsync(database, async () =>
                await broker.MessageCountAsync("refund-requested_error") + await broker.MessageCountAsync("cancel-requested_error"), ct);
            var report = new ChaosReport();
            ChaosVerifier.Verify(report, mix, outcomes.Events, ledger, figures);
            report.Add("unreadable outcome events", outcomes.Unreadable);
            report.Add("disturbances while publishing", disturbances.Count(d => d.WhilePublishing));
            report.Add("time (start to last outcome or settle deadline)", ChaosVerifier.Seconds(elapsed));
            output.WriteLine();
            report.Print(output);
            foreach (var (reason, count) in figures.NeedsReview)
            {
                output.WriteLine($"NeedsReview: {count} x {reason}");
            }

            var missing = expected.Where(id => !outcomes.Has(id)).ToList();
            foreach (var line in await ChaosVerifier.DescribeMissingAsync(database, mix, missing, ct))
            {
                output.WriteLine("without an outcome: " + line);
            }

            output.WriteLine(report.Breaches == 0 ? "chaos: no breach" : $"chaos: {report.Breaches} BREACH(ES); logs in {options.LogDirectory}");
            return report;

            async Task DisturbAsync()
            {
                foreach (var d in disturbances)
                {
                    while (publisher.Published < d.At * mix.Messages.Count && !publishing.IsCompleted)
                    {
                        await Task.Delay(100, ct);
                    }

                    d.WhilePublishing = !publishing.IsCompleted;
                    switch (d.Kind)
                    {
                        case DisturbanceKind.Kill:
                            // A replica still restarting from an earlier kill is not a victim.
                            var running = Enumerable.Range(0, workers.Length).Where(i => !restarting.ContainsKey(i)).ToList();
                            var slot = running[random.Next(running.Count)];
                            var victim = workers[slot]!;
                            Say($"kill -9 {victim.Name} (pid {victim.Id}) at {publisher.Published:N0} published, {outcomes.Requests:N0} outcomes");
                            await victim.KillAsync();
                            await victim.DisposeAsync();
                            var pause = TimeSpan.FromSeconds(1 + (random.NextDouble() * 2));
                            // Restarted in the background: a start takes long on a loaded machine, and the next
                            // disturbance should still land while publishing goes on.
                            restarting[slot] = Task.Run(async () =>
                            {
                                await Task.Delay(pause, ct);
                                // Ready needs RabbitMQ too, and a broker restart under load has taken four minutes.
                                await StartWorkerAsync(slot, TimeSpan.FromMinutes(10));
                                Say($"{victim.Name} restarted");
                                restarting.TryRemove(slot, out _);
                            }, ct);
                            break;
                        case DisturbanceKind.BrokerRestart:
                            Say($"restarting RabbitMQ at {publisher.Published:N0} published");
                            await broker.TerminateServerAsync();
                            await Task.Delay(TimeSpan.FromSeconds(2), ct);
                            await broker.StartServerAsync(TimeSpan.FromMinutes(5));
                            Say("RabbitMQ is back");
                            break;
                        case DisturbanceKind.DatabaseRestart:
                            Say($"restarting PostgreSQL (immediate stop) at {publisher.Published:N0} published");
                            await postgres.StopServerAsync();
                            await Task.Delay(TimeSpan.FromSeconds(3), ct);
                            await postgres.StartServerAsync();
                            Say("PostgreSQL is back");
                            break;
                    }
                }
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                if (w is not null)
                {
                    await w.DisposeAsync();
                }
            }

            // Before the disposal's rabbitmqctl stop, which is slow on a loaded machine.
            await broker.TerminateServerAsync();
        }
    }

    private enum DisturbanceKind
    {
        Kill,
        BrokerRestart,
        DatabaseRestart,
    }

    private sealed class Disturbance(DisturbanceKind kind, double at)
    {
        public DisturbanceKind Kind { get; } = kind;

        /// <summary>The fraction of the messages published when it happens.</summary>
        public double At { get; } = at;

        public bool WhilePublishing { get; set; }
    }

    /// <summary>Random moments between 10 % and 85 % of the publishing, in a random order of kinds, spaced apart.</summary>
    private static List<Disturbance> Schedule(ChaosOptions o, Random random)
    {
        var kinds = Enumerable.Repeat(DisturbanceKind.Kill, o.Kills)
            .Concat(Enumerable.Repeat(DisturbanceKind.BrokerRestart, o.BrokerRestarts))
            .Concat(Enumerable.Repeat(DisturbanceKind.DatabaseRestart, o.DatabaseRestarts))
            .OrderBy(_ => random.Next()).ToList();
        var slot = 0.75 / Math.Max(1, kinds.Count);
        return [.. kinds.Select((k, i) => new Disturbance(k, 0.10 + (i * slot) + (random.NextDouble() * slot * 0.6)))];
    }

    private static Dictionary<string, string> SandboxEnvironment(string keys, int seed) => new()
    {
        ["Sandbox:KeysDirectory"] = keys,
        ["Sandbox:DemoOriginals"] = "false",
        ["Sandbox:Seed"] = seed.ToString(CultureInfo.InvariantCulture),
        [$"Sandbox:Providers:{RequestMix.NonIdempotent}:Profile"] = "nicepay",
        [$"Sandbox:Providers:{RequestMix.NonIdempotent}:ClientId"] = "IONPAYREISSUE",
        [$"Sandbox:Providers:{RequestMix.NonIdempotent}:ClientSecret"] = "sandbox-reissue-client-secret",
        [$"Sandbox:Providers:{RequestMix.NonIdempotent}:Behaviour:Idempotent"] = "false",
        [$"Sandbox:Providers:{RequestMix.NonIdempotent}:Behaviour:ListRefundsInQuery"] = "true",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>
    /// Every fault the workers must survive, on every provider, all the time: 5xx and 429 (nothing applied), hangs past
    /// the client's timeout, responses lost after the refund or cancel was applied (as a 504, a reset connection or a
    /// hang, by provider), slow answers, and tokens that die long before their announced lifetime.
    /// </summary>
    private static async Task ConfigureFaultsAsync(HttpClient sandbox, int seed, CancellationToken ct)
    {
        static object Faults(string lostMode) => new
        {
            error500Rate = 0.02, error503Rate = 0.02, error504Rate = 0.01, error429Rate = 0.03,
            hangRate = 0.005, hangSeconds = 10,
            lostResponseRate = 0.03, lostResponseMode = lostMode,
            latency = new { distribution = "Exponential", meanMs = 25, minMs = 1, maxMs = 2_500 },
            tokenActualLifetimeSeconds = 20,
        };
        var body = new
        {
            seed,
            providers = new Dictionary<string, object>
            {
                [RequestMix.Nicepay] = Faults("Gateway504"),
                [RequestMix.Bnc] = Faults("Abort"),
                [RequestMix.Ifortepay] = Faults("Hang"),
                [RequestMix.NonIdempotent] = Faults("Abort"),
            },
        };
        using var response = await sandbox.PutAsJsonAsync("/_sandbox/faults", body, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the sandbox refused the faults: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static async Task SeedOriginalsAsync(HttpClient sandbox, RequestMix mix, CancellationToken ct)
    {
        foreach (var chunk in mix.Originals.Chunk(1_000))
        {
            var body = chunk.Select(o => new
            {
                provider = o.Provider, originalReferenceNo = o.ReferenceNo, originalPartnerReferenceNo = o.PartnerReferenceNo,
                merchantId = o.MerchantId, amount = o.Amount, qrType = "DYNAMIC",
                cancellableUntil = o.Provider == RequestMix.Ifortepay ? DateTimeOffset.UtcNow.AddDays(1) : (DateTimeOffset?)null,
            });
            using var response = await sandbox.PostAsJsonAsync("/_sandbox/originals", body, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the sandbox refused originals: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
    }

    /// <summary>The worker as a user runs it against the sandbox (deploy/demo.sh), with schedules shortened for a run of minutes.</summary>
    private static async Task<Dictionary<string, string>> WorkerEnvironmentAsync(HttpClient sandbox, string keys, string database, Uri broker, CancellationToken ct)
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = database,
            ["ConnectionStrings:RabbitMq"] = broker.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Worker:SchedulerPollInterval"] = "00:00:00.200",
            ["Worker:OutboxPollInterval"] = "00:00:00.500",
            ["Worker:Concurrency"] = "64",
            // A killed replica's work is picked up when its leases end; the lease outlives the longest call (5 s + margin).
            ["Worker:LeaseDuration"] = "00:00:12",
            ["Worker:ShutdownTimeout"] = "00:00:05",
            ["Worker:DatabaseGate:ProbeInterval"] = "00:00:01",
            // Status queries fail at the injected rates too: eight of them, over about two minutes, before NeedsReview.
            ["Worker:ReconcileSchedule:0"] = "00:00:00.500",
            ["Worker:ReconcileSchedule:1"] = "00:00:01",
            ["Worker:ReconcileSchedule:2"] = "00:00:02",
            ["Worker:ReconcileSchedule:3"] = "00:00:04",
            ["Worker:ReconcileSchedule:4"] = "00:00:08",
            ["Worker:ReconcileSchedule:5"] = "00:00:15",
            ["Worker:ReconcileSchedule:6"] = "00:00:30",
            ["Worker:ReconcileSchedule:7"] = "00:01:00",
            ["Worker:Defaults:BackoffBase"] = "00:00:00.200",
            ["Worker:Defaults:BackoffMax"] = "00:00:03",
            ["Worker:Defaults:MaxAttempts"] = "10",
            ["Worker:Defaults:CallTimeout"] = "00:00:05",
            // The faults come at a constant rate, not as an outage: an open breaker would only slow the run down.
            ["Worker:Defaults:BreakerMinimumThroughput"] = "100000",
        };
        var providers = await sandbox.GetFromJsonAsync<JsonElement>("/_sandbox/providers", ct);
        foreach (var p in providers.EnumerateArray())
        {
            var name = p.GetProperty("name").GetString()!;
            var key = $"Snap:Providers:{name}:";
            env[key + "Profile"] = p.GetProperty("profile").GetString()!;
            env[key + "BaseUrl"] = p.GetProperty("baseUrl").GetString()!;
            env[key + "ClientId"] = p.GetProperty("clientId").GetString()!;
            env[key + "ClientSecret"] = p.GetProperty("clientSecret").GetString()!;
            env[key + "PrivateKeyPath"] = Path.Combine(keys, $"{name}-merchant-private.pem");
            // Shorter than the sandbox's hangs (10 s): a hang is a timeout, and the call's outcome is unknown.
            env[key + "TimeoutSeconds"] = "3";
            if (p.GetProperty("requiresOrigin").GetBoolean())
            {
                env[key + "Origin"] = "www.merchant.example";
            }
        }

        env["Snap:Providers:bnc:ChannelId"] = "95221";
        env["Snap:Providers:ifortepay:ChannelId"] = "QR004";
        return env;
    }
}
