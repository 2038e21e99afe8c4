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
 * <p>A failure is remembered: every later call throws an error with the same message (the
 * public factories call {@link #load()} before anything touches the JNI class, so a user never
 * sees a bare NoClassDefFoundError that has lost the reason).
 *
 * <p>Not public API.
 */
public final class NativeLoader {
  /** System property naming an explicit path of the native library. */
  public static final String PATH_PROPERTY = "mmapkit.library.path";

  static final String LIBRARY = "mmapkit_jni";

  /** Written by the build: one line per platform folder the jar carries. */
  static final String INDEX = "/org/mmapkit/native/platforms.txt";

  private static boolean loaded;
  private static UnsatisfiedLinkError failure;

  private NativeLoader() {}

  /** Loads the library once; throws UnsatisfiedLinkError saying what to do on failure. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    if (failure != null) {
      throw error(failure.getMessage(), failure); // the first attempt's reason, again
    }
    try {
      find();
    } catch (UnsatisfiedLinkError e) {
      loaded = false; // a library of the wrong version may be in the process: never use it
      failure = e;
      throw e;
    }
  }

  private static void find() {
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
        throw error(
            "mmapkit has no native library for this platform, " + platform + " (os.name="
                + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                + "); its jar carries " + carried() + "; " + String.join("; ", tried)
                + ". Run on one of those platforms, or build mmapkit's "
                + System.mapLibraryName(LIBRARY) + " for " + platform + " and pass -D"
                + PATH_PROPERTY + "=<its absolute path>.",
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
    } catch (IOException e) {
      String tmp = System.getProperty("java.io.tmpdir");
      throw error(
          "cannot extract mmapkit's native library for " + platform + " from the jar into"
              + " java.io.tmpdir (" + tmp + "): " + e + ". Pass -Djava.io.tmpdir=<a writable"
              + " directory>, or extract the jar's " + resource.substring(1) + " yourself and"
              + " pass -D" + PATH_PROPERTY + "=<its absolute path>.",
          e);
    } catch (UnsatisfiedLinkError e) {
      String why = e.getMessage() == null ? "" : e.getMessage();
      // A noexec mount refuses the mapping of the extracted code; anything else is the library
      // itself not fitting this system (C library, CPU), which another tmpdir would not fix.
      String fix = why.contains("failed to map segment") || why.contains("Operation not permitted")
          ? " java.io.tmpdir (" + System.getProperty("java.io.tmpdir") + ") looks mounted"
              + " noexec: pass -Djava.io.tmpdir=<a directory that allows executables>."
          : " The jar's library for " + platform + " does not fit this system; build mmapkit"
              + " here and pass -D" + PATH_PROPERTY + "=<its absolute path>.";
      throw error("cannot load mmapkit's native library for " + platform + " (extracted from"
          + " the jar): " + why + "." + fix, e);
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

  /** The platforms the jar carries, from the index the build writes into it. */
  private static String carried() {
    try (InputStream in = NativeLoader.class.getResourceAsStream(INDEX)) {
      if (in == null) {
        return "no index of its platforms (" + INDEX + " is missing)";
      }
      String list = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
          .trim().replace("\n", ", ");
      return list.isEmpty() ? "no native library" : list;
    } catch (IOException e) {
      return "an unreadable index of its platforms (" + e + ")";
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
