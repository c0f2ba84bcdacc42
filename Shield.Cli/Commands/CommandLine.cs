namespace Shield.Cli.Commands;

/// <summary>A command's arguments: positionals in order, and <c>--name value</c> / <c>--name=value</c> options.</summary>
public sealed record CommandLine(IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Options, bool Help)
{
    public string? Option(string name) => Options.TryGetValue(name, out var value) ? value : null;

    /// <summary>Parses <paramref name="args"/> (after the command name), accepting only <paramref name="known"/> options. <c>--</c> ends the options.</summary>
    /// <exception cref="CommandLineException">An unknown option, or an option without its value.</exception>
    public static CommandLine Parse(IEnumerable<string> args, string command, params string[] known)
    {
        var arguments = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = false;
        using var e = args.GetEnumerator();
        var onlyArguments = false;
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (onlyArguments || !arg.StartsWith('-') || arg == "-")
            {
                arguments.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                onlyArguments = true;
                continue;
            }
            if (arg is "-h" or "--help")
            {
                help = true;
                continue;
            }
            var name = arg.TrimStart('-');
            string? value = null;
            if (name.IndexOf('=') is var eq and >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || !known.Contains(name))
            {
                throw new CommandLineException($"Unknown option '{arg}' for 'shield {command}'.");
            }
            if (value is null)
            {
                if (!e.MoveNext()) throw new CommandLineException($"Option '--{name}' needs a value.");
                value = e.Current;
            }
            options[name] = value;
        }
        return new CommandLine(arguments, options, help);
    }
}

/// <summary>The command line itself is wrong; the message says how.</summary>
public sealed class CommandLineException(string message) : Exception(message);
