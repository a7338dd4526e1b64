using System.Text;

namespace RefundWorker.Tests.Telemetry;

/// <summary>Small PromQL rewrites for checking expressions against a live Prometheus.</summary>
public static class PromQl
{
    private static readonly string[] Comparisons = ["==", "!=", ">=", "<=", ">", "<"];

    /// <summary>
    /// Turns every comparison into a <c>bool</c> comparison (<c>x &gt; 0</c> becomes <c>x &gt; bool 0</c>), which
    /// returns 0 or 1 for every series instead of dropping the ones that do not match. An alert that is quiet while
    /// the worker is healthy must still return series then: the metric exists, the labels it aggregates and matches
    /// on exist, and only the threshold decides. Label matchers (<c>{a!="b"}</c>), strings and ranges are left alone.
    /// </summary>
    public static string WithBoolComparisons(string expr)
    {
        var sb = new StringBuilder(expr.Length + 16);
        var braces = 0;
        var brackets = 0;
        char? quote = null;
        for (var i = 0; i < expr.Length; i++)
        {
            var c = expr[i];
            if (quote is not null)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < expr.Length)
                {
                    sb.Append(expr[++i]);
                }
                else if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            switch (c)
            {
                case '"' or '\'' or '`':
                    quote = c;
                    break;
                case '{':
                    braces++;
                    break;
                case '}':
                    braces--;
                    break;
                case '[':
                    brackets++;
                    break;
                case ']':
                    brackets--;
                    break;
            }

            var op = braces == 0 && brackets == 0 ? Comparisons.FirstOrDefault(o => string.CompareOrdinal(expr, i, o, 0, o.Length) == 0) : null;
            if (op is null)
            {
                sb.Append(c);
                continue;
            }

            sb.Append(op);
            i += op.Length - 1;
            var rest = expr.AsSpan(i + 1).TrimStart();
            if (!rest.StartsWith("bool", StringComparison.Ordinal))
            {
                sb.Append(" bool");
            }
        }

        return sb.ToString();
    }

    /// <summary>Grafana's interval variables replaced by fixed values Prometheus understands.</summary>
    public static string WithoutGrafanaVariables(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__interval", "15s", StringComparison.Ordinal)
        .Replace("$__range", "5m", StringComparison.Ordinal);
}
