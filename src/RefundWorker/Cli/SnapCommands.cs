using System.CommandLine;

namespace RefundWorker.Cli;

/// <summary>
/// <c>RefundWorker snap …</c>: sign and verify SNAP signatures by hand, the tool ops and integrators use to settle
/// signature mismatches. Subcommands are added in the next commit; the shape of <see cref="Create"/> is final.
/// </summary>
public static class SnapCommands
{
    /// <summary>The <c>snap</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var snap = new Command("snap", "Sign and verify SNAP BI signatures (token, transaction, notification).");
        return snap;
    }
}
