using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// A SIGBUS in managed code once MmapKit is loaded (its SIGBUS handler chains to the runtime's)
/// must still end in the runtime's own crash report, as without MmapKit, never "Stack overflow.".
/// </summary>
public sealed class FaultReportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [NotOnWindowsTheory("Windows refuses to truncate a file under a mapped view (ERROR_USER_MAPPED_FILE): no fault to report")]
    [InlineData("bcl")]
    [InlineData("span")]
    public void SIGBUS_in_managed_code_gives_the_runtime_report_with_MmapKit_loaded(string kind)
    {
        var (refCode, _, refError) = Child.RunWithin(TimeSpan.FromSeconds(60), "sigbus", "bcl", _dir.Path, "noload");
        Assert.NotEqual(0, refCode);
        Assert.NotEqual(3, refCode);
        var (code, output, error) = Child.RunWithin(TimeSpan.FromSeconds(60), "sigbus", kind, _dir.Path, "load");
        string report = $"exit code {code}\n{output}\n{error}\n--- without MmapKit: exit code {refCode}\n{refError}";
        Assert.False(error.Contains("Stack overflow", StringComparison.Ordinal), report);
        Assert.True(code == refCode, report);
        Assert.True(FirstLine(error) == FirstLine(refError), report);
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
