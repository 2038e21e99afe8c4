/* A stand-in for a libmmapkit_jni.so planted by someone else in a
 * directory the loader must never search (the current directory): its
 * constructor runs on load and leaves a marker file, so a test can tell
 * that it was loaded even though it has no JNI entry points. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void planted_loaded(void) {
  const char *marker = getenv("MMK_PLANTED_MARKER");
  int fd;
  if (!marker) return;
  fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    (void)write(fd, "loaded\n", 7);
    close(fd);
  }
}
