using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace RefundWorker.Tests;

/// <summary>
/// A clone of this repository is all a user has, so code comments, tests, docs and scripts may only point at things
/// inside it. Protocol facts live in docs/protocol.md; these tests fail, naming each file:line, when a text file cites
/// a document that only existed beside the repository (a protocol digest, the providers' scraped pages, a shared
/// folder, a style guide), an issue number, or a docs/protocol.md section that does not exist.
/// </summary>
public sealed class RepositoryHygieneTests
{
    // Each pattern is assembled from pieces so that this file does not match its own source.
    private static readonly Regex OutsideReference = new(
        string.Join(
            '|',
            @"\bSPEC" + @"\.md\b",
            @"\bSPEC" + " §",
            @"\.\./" + "shared",
            @"\bshared/" + @"(snap|seeds)\b",
            @"\bseeds" + "/",
            @"\bseeds? " + @"0\d\d\b",
            @"\bSTYLE" + @"\.md\b",
            @"\bissue " + @"\d+\b"),
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex ProtocolLink = new(@"protocol\.md#([A-Za-z0-9_-]+)", RegexOptions.CultureInvariant);

    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.OrdinalIgnoreCase)
    {
        ".git", "bin", "obj", "artifacts", ".artifacts", "TestResults", ".vs", ".idea", "node_modules", ".local", ".demo",
    };

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".md", ".sh", ".json", ".yaml", ".yml", ".lua", ".props", ".targets", ".csproj", ".sln", ".sql",
        ".http", ".txt", ".xml", ".config", ".editorconfig", ".gitignore", ".dockerignore", ".env", ".toml",
    };

    private const long MaxFileBytes = 2 * 1024 * 1024;

    [Fact]
    public void Should_find_no_reference_to_documents_outside_the_repository_when_scanning_source_and_docs()
    {
        var root = RepositoryRoot();
        var hits = new List<string>();
        foreach (var (path, lines) in TextFiles(root))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var match = OutsideReference.Match(lines[i]);
                if (match.Success)
                {
                    hits.Add($"{Path.GetRelativePath(root, path)}:{i + 1}: \"{match.Value}\" in: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(
            hits.Count == 0,
            $"{hits.Count} reference(s) to things a clone of the repository does not have; describe the fact in "
            + $"docs/protocol.md or the README and point there instead:{Environment.NewLine}"
            + string.Join(Environment.NewLine, hits));
    }

    [Fact]
    public void Should_resolve_every_cited_protocol_section_when_comments_and_docs_link_into_docs_protocol()
    {
        var root = RepositoryRoot();
        var protocol = Path.Combine(root, "docs", "protocol.md");
        Assert.True(File.Exists(protocol), $"{protocol} is missing: code comments cite its sections.");
        var anchors = File.ReadLines(protocol)
            .Where(l => l.StartsWith('#'))
            .Select(l => Slug(l.TrimStart('#')))
            .ToHashSet(StringComparer.Ordinal);

        var cited = 0;
        var broken = new List<string>();
        foreach (var (path, lines) in TextFiles(root))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match link in ProtocolLink.Matches(lines[i]))
                {
                    cited++;
                    if (!anchors.Contains(link.Groups[1].Value))
                    {
                        broken.Add($"{Path.GetRelativePath(root, path)}:{i + 1}: #{link.Groups[1].Value}");
                    }
                }
            }
        }

        Assert.True(cited > 0, "No file links into docs/protocol.md; the scan did not see the source tree.");
        Assert.True(
            broken.Count == 0,
            $"{broken.Count} link(s) to sections docs/protocol.md does not have (headings: {string.Join(", ", anchors)}):"
            + Environment.NewLine + string.Join(Environment.NewLine, broken));
    }

    // GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
    private static string Slug(string heading)
    {
        var sb = new StringBuilder(heading.Length);
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('-');
            }
        }

        return sb.ToString();
    }

    // Up from the test binaries; when they were built elsewhere (RW_ARTIFACTS), up from this source file instead.
    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "RefundWorker.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        Assert.Fail($"No folder above {AppContext.BaseDirectory} or {sourceFile} holds RefundWorker.sln; run the tests from a clone.");
        return "";
    }

    private static IEnumerable<(string Path, string[] Lines)> TextFiles(string root)
    {
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in dir.EnumerateDirectories())
            {
                // Symbolic links could lead out of the repository or round in a circle.
                if (!SkippedDirectories.Contains(sub.Name) && sub.LinkTarget is null)
                {
                    pending.Push(sub);
                }
            }

            foreach (var file in dir.EnumerateFiles())
            {
                if (file.Length > MaxFileBytes || file.LinkTarget is not null || !IsText(file))
                {
                    continue;
                }

                yield return (file.FullName, File.ReadAllLines(file.FullName));
            }
        }
    }

    // Known text extensions, plus extension-less scripts (.ci/run, Dockerfile) that carry no NUL byte.
    private static bool IsText(FileInfo file)
    {
        if (TextExtensions.Contains(file.Extension))
        {
            return true;
        }

        if (file.Extension.Length > 0)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[512];
        using var stream = file.OpenRead();
        var read = stream.Read(head);
        return !head[..read].Contains((byte)0);
    }
}
