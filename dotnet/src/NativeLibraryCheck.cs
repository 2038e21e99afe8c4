using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MmapKit;

/// <summary>
/// Turns "the native library is not there" into a message that says why:
/// which platform this process runs on, which ones the package carries, and
/// what to do. Without it the first call fails with a DllNotFoundException
/// listing a dozen probe paths. Loading itself is the runtime's own probing.
/// </summary>
internal static class NativeLibraryCheck
{
    private const string Library = "mmapkit_native";

    [ModuleInitializer]
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryCheck).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
            return IntPtr.Zero; // not ours: the runtime's default handling
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out IntPtr handle))
            return handle;
        string carried = CarriedRuntimes(assembly);
        throw new DllNotFoundException(
            $"MmapKit has no native library ({Library}) that loads on this platform, " +
            $"{RuntimeInformation.RuntimeIdentifier} ({RuntimeInformation.OSDescription}, " +
            $"{RuntimeInformation.ProcessArchitecture}); the MmapKit package carries {carried}. " +
            "Build or publish for one of those runtime identifiers (a RID-less build carries " +
            "them all), or put an mmapkit_native built for this platform beside the application.");
    }

    private static string CarriedRuntimes(Assembly assembly)
    {
        foreach (var a in assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
            if (a.Key == "MmapKitRuntimeIdentifiers" && !string.IsNullOrEmpty(a.Value))
                return string.Join(", ", a.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return "an unknown list";
    }
}
