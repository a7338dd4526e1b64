using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;

namespace RefundWorker.PrivateServers;

/// <summary>
/// A RabbitMQ node of one test's (or one chaos run's) own: its own node name, AMQP and distribution ports, data, logs, config and Erlang
/// cookie in a temporary directory, and methods to stop it gracefully (as a restart or a rolling upgrade does), start
/// it again on the same data, and delete it. Tests that need the broker to go away use this, never the shared broker
/// other test runs depend on.
/// </summary>
/// <remarks>
/// Debian's <c>rabbitmq-server</c> package (<c>/usr/lib/rabbitmq/bin</c>, or <c>RABBITMQ_BIN</c>; <c>./build.sh test</c>
/// installs it). The scripts are run directly, not through the <c>/usr/sbin</c> wrappers that switch to the
/// <c>rabbitmq</c> user and its home. The Erlang cookie lives in <c>$HOME/.erlang.cookie</c>, so <c>HOME</c> is the
/// temporary directory for the server and for <c>rabbitmqctl</c> alike (the server creates the cookie at first start).
/// No plugin is enabled (the shared node's <c>enabled_plugins</c> would start a second management listener on its
/// port); <c>guest</c> may connect because the node listens on 127.0.0.1 only. Epmd is shared with other nodes on the
/// machine, as with any second node.
/// </remarks>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly int _distPort;
    private Process? _server;

    private PrivateRabbitMq(string bin, string root, string nodeName, int port, int distPort)
    {
        _bin = bin;
        _root = root;
        NodeName = nodeName;
        Port = port;
        _distPort = distPort;
    }

    public string NodeName { get; }

    public int Port { get; }

    public bool IsRunning => _server is { HasExited: false };

    /// <summary>The node's default vhost as the guest user.</summary>
    public Uri Amqp => new($"amqp://guest:guest@127.0.0.1:{Port}/");

    public string LogFile => Path.Combine(_root, "server.out");

    public static async Task<PrivateRabbitMq> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("RABBITMQ_BIN") is { Length: > 0 } b ? b : "/usr/lib/rabbitmq/bin";
        if (!File.Exists(Path.Combine(bin, "rabbitmq-server")))
        {
            throw new InvalidOperationException($"rabbitmq-server not found in {bin} (apt-get install rabbitmq-server, or set RABBITMQ_BIN).");
        }

        var id = Guid.NewGuid().ToString("N")[..10];
        var root = Path.Combine(Path.GetTempPath(), "rw-rmq-" + id);
        Directory.CreateDirectory(root);
        var rabbit = new PrivateRabbitMq(bin, root, $"rwtest-{id}@localhost", FreePort(), FreePort());
        await File.WriteAllTextAsync(Path.Combine(root, "rabbitmq.conf"), $"listeners.tcp.default = 127.0.0.1:{rabbit.Port}\nlog.console = false\n");
        await File.WriteAllTextAsync(Path.Combine(root, "enabled_plugins"), "[].\n");
        try
        {
            await rabbit.StartServerAsync();
            return rabbit;
        }
        catch
        {
            await rabbit.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the node (again) on the same data; returns when it accepts AMQP connections, or throws after
    /// <paramref name="timeout"/> (default 120 s; a restart on a loaded machine may need more).</summary>
    public async Task StartServerAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        var info = Info("rabbitmq-server");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        var server = Process.Start(info) ?? throw new InvalidOperationException("rabbitmq-server did not start.");
        server.OutputDataReceived += (_, e) => Write(log, e.Data);
        server.ErrorDataReceived += (_, e) => Write(log, e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        server.EnableRaisingEvents = true;
        server.Exited += (_, _) => log.Dispose();
        _server = server;

        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"rabbitmq-server exited with {server.ExitCode}:{Environment.NewLine}{Tail()}");
            }

            try
            {
                // The handshake alone can take seconds when the machine is loaded.
                var factory = new ConnectionFactory { Uri = Amqp, RequestedConnectionTimeout = TimeSpan.FromSeconds(10) };
                await using var connection = await factory.CreateConnectionAsync();
                return;
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or SocketException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The private RabbitMQ did not accept connections within {limit.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
                }

                await Task.Delay(250);
            }
        }
    }

    /// <summary>
    /// Stops the node gracefully (<c>rabbitmqctl stop</c>, what a service restart does): clients see their connections
    /// closed by the broker, and messages their consumers held go back to the queues.
    /// </summary>
    public async Task StopServerAsync()
    {
        if (_server is not { HasExited: false } server)
        {
            return;
        }

        await RunAsync(Info("rabbitmqctl", "-n", NodeName, "stop"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await server.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Stops the node gracefully with SIGTERM, which the server script hands to the Erlang VM and the VM takes as an
    /// orderly shutdown, as <c>rabbitmqctl stop</c> does, without starting a second Erlang VM for rabbitmqctl: on a
    /// loaded machine that start alone took over two minutes. Killed if it has not stopped within
    /// <paramref name="timeout"/> (default 120 s).
    /// </summary>
    public async Task TerminateServerAsync(TimeSpan? timeout = null)
    {
        if (_server is not { HasExited: false } server)
        {
            return;
        }

        var kill = new ProcessStartInfo("kill") { UseShellExecute = false };
        kill.ArgumentList.Add("-TERM");
        kill.ArgumentList.Add(server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (var signal = Process.Start(kill) ?? throw new InvalidOperationException("kill did not start."))
        {
            await signal.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await server.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    /// <summary>A message count of a queue on the default vhost (0 when it does not exist).</summary>
    public async Task<uint> MessageCountAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>Takes up to <paramref name="max"/> messages off a queue and describes their headers (for failure messages).</summary>
    public async Task<string> DrainAsync(string queue, int max = 10)
    {
        var factory = new ConnectionFactory { Uri = Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < max; i++)
        {
            var m = await channel.BasicGetAsync(queue, autoAck: true);
            if (m is null)
            {
                break;
            }

            var headers = m.BasicProperties.Headers ?? new Dictionary<string, object?>();
            text.AppendLine($"{m.BasicProperties.MessageId}: " + string.Join(", ", headers.Select(h => $"{h.Key}={Describe(h.Value)}")));
        }

        return text.ToString();
    }

    public string Tail() => File.Exists(LogFile) ? string.Join(Environment.NewLine, ReadShared(LogFile).TakeLast(30)) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (Exception)
        {
            if (_server is { HasExited: false } s)
            {
                s.Kill(entireProcessTree: true);
                await s.WaitForExitAsync();
            }
        }
        finally
        {
            _server?.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private ProcessStartInfo Info(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(_bin, tool)) { UseShellExecute = false, WorkingDirectory = _root };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["HOME"] = _root;
        info.Environment["RABBITMQ_NODENAME"] = NodeName;
        info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        info.Environment["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_DIST_PORT"] = _distPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_root, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_root, "log");
        info.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_root, "rabbitmq.conf");
        info.Environment["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_root, "advanced.config");
        info.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_root, "rabbitmq-env.conf");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_root, "enabled_plugins");
        info.Environment["RABBITMQ_PID_FILE"] = Path.Combine(_root, "rabbitmq.pid");
        return info;
    }

    private async Task RunAsync(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{info.FileName} {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}:{Environment.NewLine}{await stdout}{await stderr}{Environment.NewLine}{Tail()}");
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private static string Describe(object? value) => value switch
    {
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        IEnumerable<object> list => "[" + string.Join("; ", list.Select(Describe)) + "]",
        IDictionary<string, object?> table => "{" + string.Join(", ", table.Select(t => $"{t.Key}={Describe(t.Value)}")) + "}",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
