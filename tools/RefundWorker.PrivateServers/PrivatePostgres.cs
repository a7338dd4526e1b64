using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RefundWorker.PrivateServers;

/// <summary>
/// A PostgreSQL cluster of one test's (or one chaos run's) own: initdb into a temporary directory, a free loopback port, and methods to
/// stop it (as a crash would: <c>pg_ctl stop -m immediate</c>), start it again and delete it. Tests that need the
/// database to go away use this, never the shared server other test runs depend on.
/// </summary>
/// <remarks>
/// Debian's binaries (the newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, or <c>PG_BIN</c>; <c>./build.sh test</c>
/// installs them). initdb and postgres refuse to run as root, so when the tests run as root the commands run as the
/// <c>postgres</c> user through <c>runuser</c>, and the directory is handed to that user. The cluster trusts
/// loopback connections: it listens on 127.0.0.1 only and lives as long as the test.
/// </remarks>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string SystemUser = "postgres";
    private readonly string _bin;
    private readonly string _root;

    private PrivatePostgres(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string LogFile => Path.Combine(_root, "server.log");

    public bool IsRunning { get; private set; }

    /// <summary>The superuser on the <c>postgres</c> database; no pooling, so a stopped server leaves nothing behind.</summary>
    public string AdminConnectionString => ConnectionString("postgres", pooling: false);

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } b ? b : NewestDebianBin();
        if (bin is null || !File.Exists(Path.Combine(bin, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL's initdb not found in {bin ?? "/usr/lib/postgresql/*/bin"} (apt-get install postgresql, or set PG_BIN).");
        }

        var root = Path.Combine(Path.GetTempPath(), "rw-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var pg = new PrivatePostgres(bin, root, FreePort());
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", [$"{SystemUser}:{SystemUser}", root]);
            }

            await pg.RunPgAsync("initdb", ["-D", pg.DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]);
            await pg.StartServerAsync();
            return pg;
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on the same port and data directory; returns when it accepts connections.</summary>
    public async Task StartServerAsync()
    {
        var options = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=100";
        await RunPgAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"]);
        IsRunning = true;
    }

    /// <summary>
    /// Stops the server. <c>immediate</c> kills it without a checkpoint, as a crash or a lost host would: clients see
    /// their connections drop and new ones refused, and the next start replays the WAL.
    /// </summary>
    public async Task StopServerAsync(string mode = "immediate")
    {
        await RunPgAsync("pg_ctl", ["-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop"]);
        IsRunning = false;
    }

    public string ConnectionString(string database, int maxPoolSize = 20, bool pooling = true)
        => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Pooling = pooling,
            MaxPoolSize = maxPoolSize,
            Timeout = 5,
        }.ConnectionString;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, int maxPoolSize = 20)
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        return ConnectionString(name, maxPoolSize);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (IsRunning)
            {
                await StopServerAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone; the directory is removed below either way.
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Task RunPgAsync(string tool, IReadOnlyList<string> args)
    {
        var path = Path.Combine(_bin, tool);
        return Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", SystemUser, "--", path, .. args], LogFile)
            : RunAsync(path, args, LogFile);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, string? logFile = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            var log = logFile is not null && File.Exists(logFile) ? string.Join(Environment.NewLine, File.ReadLines(logFile).TakeLast(20)) : "";
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:{Environment.NewLine}{await stdout}{await stderr}{Environment.NewLine}{log}");
        }
    }

    /// <summary>Debian installs each major version under /usr/lib/postgresql/&lt;version&gt;/bin; the newest wins.</summary>
    private static string? NewestDebianBin()
        => Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin"))
                .FirstOrDefault()
            : null;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
