using Xunit.Runner.InProc.SystemConsole;

namespace MmapKit.Tests;

/// <summary>
/// The executable's entry point. Child.Start runs
/// `$DOTNET_HOST_PATH exec ASSEMBLY COMMAND ARGS...`; scripts/test-arm64.sh
/// points DOTNET_HOST_PATH at this executable, so "exec" means the child side
/// (Program.Main) and anything else runs the tests.
/// </summary>
public static class Arm64Entry
{
    public static int Main(string[] args) =>
        args.Length >= 2 && args[0] == "exec"
            ? Program.Main(args[2..])
            : ConsoleRunner.Run(args).GetAwaiter().GetResult();
}
