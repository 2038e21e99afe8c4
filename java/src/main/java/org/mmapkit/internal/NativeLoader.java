package org.mmapkit.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the JNI library {@code libmmapkit_jni.so}, in this order:
 *
 * <ol>
 *   <li>the path in the system property {@value #PATH_PROPERTY}, if set (nothing else is tried);
 *       it must be absolute;
 *   <li>{@code libmmapkit_jni.so} in the absolute directories of java.library.path, in order;
 *   <li>the copy inside the jar at {@code org/mmapkit/native/<os>-<arch>/}, extracted into a new
 *       private temporary directory (owner-only permissions, unique name, so no other local user
 *       can swap the file between extraction and loading) and loaded with System.load.
 * </ol>
 *
 * Never a relative location: an empty element of LD_LIBRARY_PATH (":/x", "/x:", "a::b", or an
 * empty value), which the JVM copies into java.library.path and System.loadLibrary would take
 * for the current directory, or a relative one, is skipped, so a library planted in the working
 * directory is never loaded.
 *
 * <p>Not public API.
 */
public final class NativeLoader {
  /** System property naming an explicit path of the native library. */
  public static final String PATH_PROPERTY = "mmapkit.library.path";

  static final String LIBRARY = "mmapkit_jni";

  private static boolean loaded;

  private NativeLoader() {}

  /** Loads the library once; throws UnsatisfiedLinkError saying what to do on failure. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    String explicit = System.getProperty(PATH_PROPERTY);
    if (explicit != null && !explicit.isEmpty()) {
      if (!Paths.get(explicit).isAbsolute()) {
        throw error("-D" + PATH_PROPERTY + "=" + explicit + " is a relative path; give the"
            + " absolute path of libmmapkit_jni.so (a relative one would load whatever the"
            + " current directory holds), or unset it to use the copy inside the mmapkit jar.",
            null);
      }
      try {
        System.load(explicit);
      } catch (UnsatisfiedLinkError e) {
        throw error(
            "cannot load the native library from -D" + PATH_PROPERTY + "=" + explicit + ": "
                + e.getMessage()
                + ". Point the property at a libmmapkit_jni.so built for this platform, or unset"
                + " it to use the copy inside the mmapkit jar.",
            e);
      }
      loaded = true;
      checkVersion("-D" + PATH_PROPERTY + "=" + explicit);
      return;
    }
    List<String> tried = new ArrayList<>();
    String libPath = System.getProperty("java.library.path", "");
    for (String dir : libPath.split(File.pathSeparator, -1)) {
      if (dir.isEmpty() || !Paths.get(dir).isAbsolute()) {
        continue; // "" and relative entries mean the current directory: never searched
      }
      Path lib = Paths.get(dir, System.mapLibraryName(LIBRARY));
      if (!Files.isRegularFile(lib)) {
        continue;
      }
      try {
        System.load(lib.toString());
      } catch (UnsatisfiedLinkError e) {
        tried.add(lib + ": " + e.getMessage());
        continue;
      }
      loaded = true;
      checkVersion(lib + " (java.library.path=" + libPath + ")");
      return;
    }
    tried.add("no " + System.mapLibraryName(LIBRARY) + " in the absolute directories of"
        + " java.library.path=" + libPath);
    String platform = platform();
    String resource = "/org/mmapkit/native/" + platform + "/" + System.mapLibraryName(LIBRARY);
    try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
      if (in == null) {
        tried.add("resource " + resource + ": not in the jar");
        throw error(
            "mmapkit has no native library for " + platform + " in its jar. Tried: "
                + String.join("; ", tried)
                + ". Build mmapkit for this platform and set -D" + PATH_PROPERTY
                + "=/path/to/" + System.mapLibraryName(LIBRARY) + ".",
            null);
      }
      Path dir = createPrivateDir();
      Path lib = dir.resolve(System.mapLibraryName(LIBRARY));
      try {
        Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
        System.load(lib.toString());
      } finally {
        // Once loaded the mapping keeps the code; the files are not needed any more.
        deleteQuietly(lib);
        deleteQuietly(dir);
      }
      loaded = true;
    } catch (IOException | UnsatisfiedLinkError e) {
      tried.add("extracting " + resource + " to java.io.tmpdir and loading it: " + e);
      throw error(
          "cannot load mmapkit's native library for " + platform + ". Tried: "
              + String.join("; ", tried)
              + ". If java.io.tmpdir (" + System.getProperty("java.io.tmpdir")
              + ") is not writable or is mounted noexec, pass -Djava.io.tmpdir=<another dir>;"
              + " otherwise extract " + System.mapLibraryName(LIBRARY)
              + " from the jar's org/mmapkit/native/" + platform + "/ folder (or build it) and"
              + " pass -D" + PATH_PROPERTY + "=<its path>.",
          e);
    }
  }

  /**
   * A library found outside the jar may be another build of mmapkit: refuse a version that
   * does not match these classes rather than fail later in odd ways.
   */
  private static void checkVersion(String from) {
    String have;
    try {
      have = NativeCoreJNI.mmk_version();
    } catch (UnsatisfiedLinkError e) {
      have = "unknown (" + e.getMessage() + ")";
    }
    if (!NativeCoreConstants.MMK_VERSION_STRING.equals(have)) {
      throw error(
          "the mmapkit native library loaded through " + from + " is version " + have
              + ", these classes need " + NativeCoreConstants.MMK_VERSION_STRING
              + ". Remove it from that path, or point -D" + PATH_PROPERTY
              + " at the matching libmmapkit_jni.so.",
          null);
    }
  }

  private static Path createPrivateDir() throws IOException {
    try {
      return Files.createTempDirectory(
          "mmapkit-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException notPosix) {
      return Files.createTempDirectory("mmapkit-");
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      p.toFile().deleteOnExit();
    }
  }

  /** "linux-x86_64", "linux-aarch64", ... as used for the jar's resource folder. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      os = "linux";
    } else if (os.startsWith("mac") || os.startsWith("darwin")) {
      os = "macos";
    } else if (os.startsWith("windows")) {
      os = "windows";
    }
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      arch = "x86_64";
    } else if (arch.equals("arm64")) {
      arch = "aarch64";
    }
    return os + "-" + arch;
  }

  private static UnsatisfiedLinkError error(String message, Throwable cause) {
    UnsatisfiedLinkError e = new UnsatisfiedLinkError(message);
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }
}
