using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using RefundWorker.Options;
using RefundWorker.Persistence;

namespace RefundWorker.Cli;

/// <summary><c>RefundWorker [run]</c> and <c>RefundWorker migrate [--script]</c>.</summary>
public static class WorkerCommands
{
    /// <summary>Runs the worker: consumers, scheduler, outbox and the HTTP endpoints (health, inbound SNAP).</summary>
    public static Command Run()
    {
        var run = new Command("run", "Run the worker (the default when no command is given).") { TreatUnmatchedTokensAsErrors = false };
        run.SetAction((parse, ct) => RunAsync(parse.UnmatchedTokens.ToArray(), ct));
        return run;
    }

    public static async Task<int> RunAsync(string[] hostArgs, CancellationToken ct)
    {
        try
        {
            await using var app = WorkerApp.Build(hostArgs);
            await app.RunAsync(ct);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            return ConfigurationError(e);
        }
    }

    /// <summary>A wrong setting ends the process with the keys named, not with a stack trace.</summary>
    public static int ConfigurationError(OptionsValidationException e)
    {
        Console.Error.WriteLine("Invalid configuration:");
        foreach (var failure in e.Failures)
        {
            Console.Error.WriteLine("  " + failure);
        }

        return 2;
    }

    /// <summary>
    /// Applies the migrations compiled from <c>migrations/</c>; with <c>--script</c> prints their SQL instead (idempotent,
    /// for DBAs). Migrations are a deliberate step, not raced by every replica at start.
    /// </summary>
    public static Command Migrate()
    {
        var script = new Option<bool>("--script") { Description = "Print the SQL of all migrations (idempotent) instead of applying them." };
        var output = new Option<DirectoryInfo?>("--output") { Description = "With --script: write one <migration>.sql file per migration into this folder (migrations/sql)." };
        var migrate = new Command("migrate", "Apply the database migrations to ConnectionStrings:Postgres.") { TreatUnmatchedTokensAsErrors = false };
        migrate.Options.Add(script);
        migrate.Options.Add(output);
        migrate.SetAction(async (parse, ct) =>
        {
            try
            {
                return await MigrateAsync(parse, script, output, ct);
            }
            catch (OptionsValidationException e)
            {
                return ConfigurationError(e);
            }
        });
        return migrate;
    }

    private static async Task<int> MigrateAsync(ParseResult parse, Option<bool> script, Option<DirectoryInfo?> output, CancellationToken ct)
    {
        {
            var builder = WebApplication.CreateBuilder(parse.UnmatchedTokens.ToArray());
            // EF logs the probe for a missing history table as a failed command on a fresh database; that is expected.
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
            builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.SectionName);
            var printOnly = parse.GetValue(script);
            if (printOnly)
            {
                // Generating SQL needs the provider, not a server: a placeholder keeps `--script` usable offline.
                builder.Configuration["ConnectionStrings:Postgres"] ??= "Host=localhost;Database=refundworker";
            }

            builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, PostgresOnlyValidator>();
            builder.Services.AddSingleton(sp =>
            {
                var cs = sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Postgres;
                return new Npgsql.NpgsqlDataSourceBuilder(cs).Build();
            });
            builder.Services.AddDbContext<RefundWorkerDbContext>((sp, o) => Extensions.PersistenceExtensions.Configure(o, sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
            await using var app = builder.Build();
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RefundWorkerDbContext>();
            if (printOnly)
            {
                var migrator = db.GetService<IMigrator>();
                if (parse.GetValue(output) is { } dir)
                {
                    dir.Create();
                    string? previous = null;
                    foreach (var id in db.Database.GetMigrations())
                    {
                        var file = Path.Combine(dir.FullName, id + ".sql");
                        await File.WriteAllTextAsync(file, migrator.GenerateScript(previous ?? Migration.InitialDatabase, id), ct);
                        Console.Out.WriteLine(file);
                        previous = id;
                    }

                    return 0;
                }

                Console.Out.Write(migrator.GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent));
                return 0;
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            Console.Out.WriteLine(pending.Count == 0 ? "Database is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        }
    }

    /// <summary><c>migrate --script</c> needs no database; <c>migrate</c> needs only PostgreSQL, not RabbitMQ.</summary>
    private sealed class PostgresOnlyValidator : IValidateOptions<ConnectionStringsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
            => string.IsNullOrWhiteSpace(options.Postgres)
                ? ValidateOptionsResult.Fail("ConnectionStrings:Postgres is required.")
                : ValidateOptionsResult.Success;
    }
}
