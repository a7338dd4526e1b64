using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Cli;

/// <summary>
/// <c>RefundWorker snap …</c>: compute and check SNAP signatures by hand. Signature mismatches are the most common
/// SNAP integration failure; this is how ops and integrators settle them: both sides run the same inputs and
/// compare the minified body, the string to sign and the signature.
/// <code>
/// snap sign-token         --client-id ID --timestamp TS --private-key FILE [--separator S] [--json]
/// snap sign               --method M --path P --access-token T --timestamp TS --client-secret S --body-file F [--json]
///                         (or --private-key FILE instead of --client-secret/--access-token: asymmetric signature)
/// snap verify token       --client-id ID --timestamp TS --public-key FILE --signature SIG [--separator S] [--json]
/// snap verify transaction --method M --path P --access-token T --timestamp TS --client-secret S --body-file F --signature SIG [--json]
///                         (or --public-key FILE: asymmetric)
/// </code>
/// Exit codes: 0 signed / signature matches, 1 signature does not match (or the command line is invalid),
/// 2 an input could not be read (missing file, bad key).
/// </summary>
public static class SnapCommands
{
    /// <summary>The signature does not match.</summary>
    public const int Mismatch = 1;

    /// <summary>An input file or key could not be used.</summary>
    public const int InputError = 2;

    private static readonly JsonWriterOptions JsonOutput = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The <c>snap</c> command. Output goes to <see cref="InvocationConfiguration.Output"/> (stdout by default),
    /// diagnostics to <see cref="InvocationConfiguration.Error"/>.
    /// </summary>
    public static Command Create()
    {
        var snap = new Command("snap", "Sign and verify SNAP BI signatures: the B2B token signature and transaction signatures.");
        snap.Subcommands.Add(SignTokenCommand());
        snap.Subcommands.Add(SignCommand());
        var verify = new Command("verify", "Check a signature; exit code 0 when it matches, 1 when it does not.");
        verify.Subcommands.Add(VerifyTokenCommand());
        verify.Subcommands.Add(VerifyTransactionCommand());
        snap.Subcommands.Add(verify);
        return snap;
    }

    private static Command SignTokenCommand()
    {
        var o = new TokenOptions(publicKey: false);
        var command = new Command("sign-token", "SHA256withRSA over clientId|timestamp, as sent in X-SIGNATURE of the B2B token request.");
        o.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var clientId = parse.GetRequiredValue(o.ClientId);
            var timestamp = o.Timestamp(parse, error);
            var separator = parse.GetValue(o.Separator) ?? "|";
            if (!TryLoadKey(() => SnapKeys.LoadPrivateKeyFile(parse.GetRequiredValue(o.Key), "--private-key"), error, out var key))
            {
                return InputError;
            }

            using (key)
            {
                var stringToSign = SnapSignature.TokenStringToSign(clientId, timestamp, separator);
                var signature = SnapSignature.SignToken(key, clientId, timestamp, separator);
                Print(output, parse.GetValue(o.Json), [("timestamp", timestamp), ("stringToSign", stringToSign), ("signature", signature)]);
                return 0;
            }
        });
        return command;
    }

    private static Command SignCommand()
    {
        var o = new TransactionOptions(publicKey: false);
        var command = new Command("sign", "Transaction signature: HMAC-SHA512 with --client-secret (symmetric), or SHA256withRSA with --private-key (asymmetric).");
        o.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!o.TryRead(parse, error, out var input))
            {
                return InputError;
            }

            using (input.Key)
            {
                Print(output, parse.GetValue(o.Json), [
                    ("minifiedBody", Encoding.UTF8.GetString(input.MinifiedBody)),
                    ("stringToSign", input.StringToSign),
                    ("signature", input.Sign())]);
                return 0;
            }
        });
        return command;
    }

    private static Command VerifyTokenCommand()
    {
        var o = new TokenOptions(publicKey: true);
        var signatureOption = new Option<string>("--signature") { Description = "The X-SIGNATURE to check (base64).", Required = true };
        var command = new Command("token", "Check a B2B token request signature (SHA256withRSA over clientId|timestamp) with the signer's public key.");
        o.AddTo(command);
        command.Options.Add(signatureOption);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var clientId = parse.GetRequiredValue(o.ClientId);
            var timestamp = o.Timestamp(parse, error);
            var separator = parse.GetValue(o.Separator) ?? "|";
            var given = parse.GetRequiredValue(signatureOption);
            if (!TryLoadKey(() => SnapKeys.LoadPublicKeyFile(parse.GetRequiredValue(o.Key), "--public-key"), error, out var key))
            {
                return InputError;
            }

            using (key)
            {
                var match = SnapSignature.VerifyToken(key, clientId, timestamp, given, separator);
                var hints = new List<string>();
                if (!match)
                {
                    var other = separator == "|" ? ":" : "|";
                    if (SnapSignature.VerifyToken(key, clientId, timestamp, given, other))
                    {
                        hints.Add($"the signature matches with separator '{other}' instead of '{separator}'");
                    }
                }

                Print(output, parse.GetValue(o.Json), [
                    ("result", match ? "MATCH" : "MISMATCH"),
                    ("stringToSign", SnapSignature.TokenStringToSign(clientId, timestamp, separator)),
                    ("givenSignature", given),
                    ("expected", "a SHA256withRSA signature of stringToSign that verifies with --public-key"),
                    .. hints.Select(h => ("hint", h))]);
                return match ? 0 : Mismatch;
            }
        });
        return command;
    }

    private static Command VerifyTransactionCommand()
    {
        var o = new TransactionOptions(publicKey: true);
        var signatureOption = new Option<string>("--signature") { Description = "The X-SIGNATURE to check (base64).", Required = true };
        var command = new Command("transaction", "Check a transaction signature: symmetric with --client-secret, asymmetric with --public-key.");
        o.AddTo(command);
        command.Options.Add(signatureOption);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var given = parse.GetRequiredValue(signatureOption);
            if (!o.TryRead(parse, error, out var input))
            {
                return InputError;
            }

            using (input.Key)
            {
                var match = input.Verify(input.MinifiedBody, input.Path, given);
                var fields = new List<(string, string)>
                {
                    ("result", match ? "MATCH" : "MISMATCH"),
                    ("minifiedBody", Encoding.UTF8.GetString(input.MinifiedBody)),
                    ("stringToSign", input.StringToSign),
                };
                if (input.Key is null)
                {
                    fields.Add(("expectedSignature", input.Sign()));
                }
                else
                {
                    fields.Add(("expected", "a SHA256withRSA signature of stringToSign that verifies with --public-key"));
                }

                fields.Add(("givenSignature", given));
                if (!match)
                {
                    fields.AddRange(Hints(input, given).Select(h => ("hint", h)));
                }

                Print(output, parse.GetValue(o.Json), fields);
                return match ? 0 : Mismatch;
            }
        });
        return command;
    }

    // The usual causes of a mismatch, tried one by one, so the output says what the other side did differently.
    private static IEnumerable<string> Hints(TransactionInput input, string given)
    {
        if (!input.RawBody.AsSpan().SequenceEqual(input.MinifiedBody) && input.Verify(input.RawBody, input.Path, given))
        {
            yield return "the signer hashed the body as sent, without minifying it";
        }

        var secondSlash = input.Path.IndexOf('/', 1);
        if (secondSlash > 0 && input.Verify(input.MinifiedBody, input.Path[secondSlash..], given))
        {
            yield return $"the signer signed the path without its first segment: {input.Path[secondSlash..]} (NICEPAY signs /api/… without /nicepay)";
        }

        foreach (var prefix in new[] { "/nicepay", "/snap" })
        {
            if (input.Verify(input.MinifiedBody, prefix + input.Path, given))
            {
                yield return $"the signer signed the path with the prefix {prefix}: {prefix}{input.Path}";
            }
        }
    }

    private static void Print(TextWriter output, bool json, IEnumerable<(string Key, string Value)> fields)
    {
        if (!json)
        {
            foreach (var (key, value) in fields)
            {
                output.Write(key);
                output.Write(": ");
                output.WriteLine(value);
            }

            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput))
        {
            writer.WriteStartObject();
            var hints = new List<string>();
            foreach (var (key, value) in fields)
            {
                if (key == "hint")
                {
                    hints.Add(value);
                }
                else if (key == "result")
                {
                    writer.WriteBoolean("match", value == "MATCH");
                }
                else
                {
                    writer.WriteString(key, value);
                }
            }

            if (hints.Count > 0)
            {
                writer.WriteStartArray("hints");
                hints.ForEach(writer.WriteStringValue);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static bool TryLoadKey(Func<RSA> load, TextWriter error, out RSA key)
    {
        try
        {
            key = load();
            return true;
        }
        catch (SnapConfigurationException ex)
        {
            error.WriteLine(ex.Message);
            key = null!;
            return false;
        }
    }

    private static string CheckTimestamp(string timestamp, TextWriter error)
    {
        // Signed as given either way: the point is to reproduce what the other side computed.
        if (!SnapTimestamp.TryParse(timestamp, out _))
        {
            error.WriteLine($"warning: '{timestamp}' is not an ISO-8601 timestamp with offset (expected e.g. 2024-01-22T15:00:01+07:00)");
        }

        return timestamp;
    }

    private sealed class TokenOptions(bool publicKey)
    {
        public Option<string> ClientId { get; } = new("--client-id", "--client-key") { Description = "Client id (X-CLIENT-KEY).", Required = true };

        public Option<string?> TimestampOption { get; } = new("--timestamp") { Description = "X-TIMESTAMP, e.g. 2024-01-22T15:00:01+07:00 (default: now, Jakarta time)." };

        public Option<string> Key { get; } = publicKey
            ? new("--public-key") { Description = "Signer's public key file (X.509 SubjectPublicKeyInfo PEM or base64 DER).", Required = true }
            : new("--private-key") { Description = "Private key file (PKCS#8 PEM, PKCS#1 PEM or base64 PKCS#8 DER).", Required = true };

        public Option<string?> Separator { get; } = new("--separator") { Description = "Separator between client id and timestamp (default |)." };

        public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object." };

        public void AddTo(Command command)
        {
            command.Options.Add(ClientId);
            command.Options.Add(TimestampOption);
            command.Options.Add(Key);
            command.Options.Add(Separator);
            command.Options.Add(Json);
        }

        public string Timestamp(ParseResult parse, TextWriter error)
            => parse.GetValue(TimestampOption) is { } ts ? CheckTimestamp(ts, error) : SnapTimestamp.Now(TimeProvider.System);
    }

    private sealed class TransactionOptions(bool publicKey)
    {
        private readonly bool _publicKey = publicKey;

        public Option<string> Method { get; } = new("--method") { Description = "HTTP method (default POST).", DefaultValueFactory = _ => "POST" };

        public Option<string> Path { get; } = new("--path") { Description = "Signed relative path, e.g. /api/v1.0/qr/qr-mpm-refund.", Required = true };

        public Option<string?> AccessToken { get; } = new("--access-token") { Description = "B2B access token (symmetric signature only)." };

        public Option<string?> Timestamp { get; } = new("--timestamp") { Description = "X-TIMESTAMP (default: now, Jakarta time)." };

        public Option<string?> ClientSecret { get; } = new("--client-secret") { Description = "Client secret: HMAC-SHA512 (symmetric) signature." };

        public Option<string?> Key { get; } = publicKey
            ? new("--public-key") { Description = "Signer's public key file: SHA256withRSA (asymmetric) signature." }
            : new("--private-key") { Description = "Private key file: SHA256withRSA (asymmetric) signature." };

        public Option<string> BodyFile { get; } = new("--body-file") { Description = "File with the request body as sent (- for stdin); it is minified before hashing.", Required = true };

        public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object." };

        public void AddTo(Command command)
        {
            command.Options.Add(Method);
            command.Options.Add(Path);
            command.Options.Add(AccessToken);
            command.Options.Add(Timestamp);
            command.Options.Add(ClientSecret);
            command.Options.Add(Key);
            command.Options.Add(BodyFile);
            command.Options.Add(Json);
            var keyName = Key.Name;
            command.Validators.Add(result =>
            {
                var hasSecret = result.GetValue(ClientSecret) is not null;
                var hasKey = result.GetValue(Key) is not null;
                if (hasSecret == hasKey)
                {
                    result.AddError($"Give either --client-secret (symmetric) or {keyName} (asymmetric).");
                }
                else if (hasSecret && result.GetValue(AccessToken) is null)
                {
                    result.AddError("--access-token is required with --client-secret.");
                }
            });
        }

        public bool TryRead(ParseResult parse, TextWriter error, out TransactionInput input)
        {
            input = null!;
            var bodyPath = parse.GetRequiredValue(BodyFile);
            byte[] raw;
            try
            {
                raw = bodyPath == "-" ? ReadStdin() : File.ReadAllBytes(bodyPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"--body-file: cannot read '{bodyPath}' ({ex.Message})");
                return false;
            }

            // Editors add a UTF-8 byte order mark; it is never part of what goes over the wire.
            if (raw.AsSpan().StartsWith("\uFEFF"u8))
            {
                raw = raw[3..];
            }

            RSA? key = null;
            if (parse.GetValue(Key) is { } keyPath)
            {
                var loaded = TryLoadKey(
                    () => _publicKey ? SnapKeys.LoadPublicKeyFile(keyPath, Key.Name) : SnapKeys.LoadPrivateKeyFile(keyPath, Key.Name),
                    error,
                    out var rsa);
                if (!loaded)
                {
                    return false;
                }

                key = rsa;
            }

            var timestamp = parse.GetValue(Timestamp) is { } ts ? CheckTimestamp(ts, error) : SnapTimestamp.Now(TimeProvider.System);
            input = new TransactionInput(
                parse.GetRequiredValue(Method),
                parse.GetRequiredValue(Path),
                parse.GetValue(AccessToken) ?? "",
                timestamp,
                parse.GetValue(ClientSecret),
                key,
                raw,
                JsonMinifier.Minify(raw));
            return true;
        }

        private static byte[] ReadStdin()
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            return buffer.ToArray();
        }
    }

    private sealed record TransactionInput(
        string Method,
        string Path,
        string AccessToken,
        string Timestamp,
        string? ClientSecret,
        RSA? Key,
        byte[] RawBody,
        byte[] MinifiedBody)
    {
        public string StringToSign => Key is null
            ? SnapSignature.SymmetricStringToSign(Method, Path, AccessToken, MinifiedBody, Timestamp)
            : SnapSignature.AsymmetricStringToSign(Method, Path, MinifiedBody, Timestamp);

        public string Sign() => Key is null
            ? SnapSignature.SignSymmetric(ClientSecret!, Method, Path, AccessToken, MinifiedBody, Timestamp)
            : SnapSignature.SignAsymmetric(Key, Method, Path, MinifiedBody, Timestamp);

        public bool Verify(byte[] body, string path, string signature) => Key is null
            ? SnapSignature.VerifySymmetric(ClientSecret!, Method, path, AccessToken, body, Timestamp, signature)
            : SnapSignature.VerifyAsymmetric(Key, Method, path, body, Timestamp, signature);
    }
}
