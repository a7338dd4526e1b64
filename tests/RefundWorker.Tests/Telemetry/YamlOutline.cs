namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// Just enough YAML to check the deploy/ configs without a YAML library: block mappings by indentation, list items
/// (<c>- key: value</c>, their index left out of the path), and flow mappings and sequences on one line
/// (<c>{ a: b, c: [x, y] }</c>). Each scalar is found under its dotted path, e.g.
/// <c>exporters.otlp/tempo.endpoint</c>. Anchors, multi-line strings and documents are not supported, and a file
/// that uses them, or tabs, or an odd indentation, fails to parse, which is what a test wants to hear.
/// </summary>
public sealed class YamlOutline
{
    private readonly List<(string Path, string Value)> _scalars = [];

    /// <summary>Every scalar, in file order (a path repeats for list items).</summary>
    public IReadOnlyList<(string Path, string Value)> Scalars => _scalars;

    /// <summary>Every mapping key's path, in file order.</summary>
    public List<string> Keys { get; } = [];

    public static YamlOutline Parse(string text)
    {
        var outline = new YamlOutline();
        var stack = new List<(int Indent, string Key)>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = StripComment(raw.TrimEnd('\r'));
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (line.Contains('\t', StringComparison.Ordinal))
            {
                throw new FormatException($"line {number}: tab");
            }

            var indent = line.Length - line.TrimStart().Length;
            var content = line.Trim();
            if (content.StartsWith("- ", StringComparison.Ordinal) || content == "-")
            {
                // A list item: its keys sit two columns further in.
                content = content.Length == 1 ? string.Empty : content[2..].TrimStart();
                indent += 2;
                if (content.Length == 0)
                {
                    continue;
                }

                if (content[0] is '{' or '[' or '"' or '\'' || (!content.Contains(": ", StringComparison.Ordinal) && !content.EndsWith(':')))
                {
                    while (stack.Count > 0 && stack[^1].Indent >= indent)
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }

                    outline.AddValue(Path(stack, indent, null), content, number);
                    continue;
                }
            }

            if (indent % 2 != 0)
            {
                throw new FormatException($"line {number}: indentation {indent} is not a multiple of 2");
            }

            var colon = KeyColon(content);
            if (colon < 0)
            {
                throw new FormatException($"line {number}: no 'key:' in '{content}'");
            }

            var key = Unquote(content[..colon].Trim());
            var value = content[(colon + 1)..].Trim();
            while (stack.Count > 0 && stack[^1].Indent >= indent)
            {
                stack.RemoveAt(stack.Count - 1);
            }

            var path = Path(stack, indent, key);
            outline.Keys.Add(path);
            if (value.Length == 0)
            {
                stack.Add((indent, key));
            }
            else
            {
                outline.AddValue(path, value, number);
            }
        }

        return outline;
    }

    /// <summary>The scalars under <paramref name="path"/> (several for a list).</summary>
    public List<string> All(string path) => [.. _scalars.Where(s => s.Path == path).Select(s => s.Value)];

    /// <summary>The one scalar under <paramref name="path"/>; fails when there is none or several.</summary>
    public string One(string path)
    {
        var all = All(path);
        return all.Count == 1 ? all[0] : throw new KeyNotFoundException($"{path}: {all.Count} values");
    }

    /// <summary>The keys directly under <paramref name="path"/>.</summary>
    public List<string> Children(string path)
        => [.. Keys.Where(k => k.StartsWith(path + ".", StringComparison.Ordinal) && !k[(path.Length + 1)..].Contains('.', StringComparison.Ordinal))
            .Select(k => k[(path.Length + 1)..]).Distinct()];

    private void Add(string path, string value) => _scalars.Add((path, value));

    private void AddValue(string path, string value, int number)
    {
        if (value.StartsWith('{'))
        {
            if (!value.EndsWith('}'))
            {
                throw new FormatException($"line {number}: unclosed flow mapping");
            }

            foreach (var entry in SplitTopLevel(value[1..^1]))
            {
                var colon = KeyColon(entry);
                if (colon < 0)
                {
                    throw new FormatException($"line {number}: no 'key:' in '{entry}'");
                }

                var child = path + "." + Unquote(entry[..colon].Trim());
                Keys.Add(child);
                AddValue(child, entry[(colon + 1)..].Trim(), number);
            }
        }
        else if (value.StartsWith('['))
        {
            if (!value.EndsWith(']'))
            {
                throw new FormatException($"line {number}: unclosed flow sequence");
            }

            foreach (var item in SplitTopLevel(value[1..^1]))
            {
                AddValue(path, item, number);
            }
        }
        else
        {
            Add(path, Unquote(value));
        }
    }

    private static string Path(List<(int Indent, string Key)> stack, int indent, string? key)
    {
        var parents = stack.Where(s => s.Indent < indent).Select(s => s.Key);
        return string.Join(".", key is null ? parents : parents.Append(key));
    }

    /// <summary>The colon that ends the key: outside quotes, followed by a space or the end.</summary>
    private static int KeyColon(string s)
    {
        var quote = '\0';
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'' && i == 0)
            {
                quote = c;
            }
            else if (c == ':' && (i + 1 == s.Length || s[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    private static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var quote = '\0';
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
                continue;
            }

            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    if (s[start..i].Trim().Length > 0)
                    {
                        yield return s[start..i].Trim();
                    }

                    start = i + 1;
                    break;
            }
        }

        if (depth != 0 || quote != '\0')
        {
            throw new FormatException($"unbalanced brackets or quotes in '{s}'");
        }

        if (s[start..].Trim().Length > 0)
        {
            yield return s[start..].Trim();
        }
    }

    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] == ' '))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static string Unquote(string s)
        => s.Length >= 2 && ((s[0] == '"' && s[^1] == '"') || (s[0] == '\'' && s[^1] == '\'')) ? s[1..^1] : s;
}
