/*
 * shared_counter: mmapkit in a few lines.
 *
 *   shared_counter [FILE]
 *
 * 1. maps FILE (default: a fresh file in $TMPDIR or /tmp) at an unaligned
 *    offset, writes a message into it, and flushes it to disk;
 * 2. creates named shared memory and copies the message there;
 * 3. starts a second process (this program again, `--reader NAME`), which
 *    opens the shared memory by name, prints the message, adds to a shared
 *    counter with atomic fetch-add, then sets a flag and wakes us;
 * 4. waits for that flag (a futex wait, no polling), prints the counter,
 *    and checks the file on disk holds the message.
 *
 * Exit status 0 when every step did what it says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmapkit.h"

/* Layout of the shared memory. */
enum {
  OFF_COUNTER = 0, /* u64: added to by the reader */
  OFF_DONE = 8,    /* u32: 1 once the reader is done */
  OFF_TEXT = 64,   /* the message, NUL-terminated */
  SHM_SIZE = 4096,
  READER_ADDS = 1000
};

/* Prints the failing call with mmapkit's error detail and exits. */
#define CHECK(call)                                                            \
  do {                                                                         \
    int rc_ = (call);                                                          \
    if (rc_ != MMK_OK) {                                                       \
      fprintf(stderr, "%s failed: %s (%s)\n", #call, mmk_last_error_message(), \
              mmk_err_name(rc_));                                              \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static int reader(const char *name) {
  mmk_file *shm = NULL;
  mmk_view *v = NULL;
  char text[256];
  CHECK(mmk_shm_open(name, MMK_WRITE, 0, 0, &shm));
  CHECK(mmk_map(shm, 0, 0, 0, &v));
  CHECK(mmk_view_read(v, OFF_TEXT, text, sizeof text));
  text[sizeof text - 1] = '\0';
  printf("[reader %ld] opened shared memory '%s', it says: \"%s\"\n",
         (long)getpid(), name, text);
  for (int i = 0; i < READER_ADDS; i++) {
    uint64_t old;
    CHECK(mmk_atomic_fetch_add_u64(v, OFF_COUNTER, 1, &old));
  }
  printf("[reader %ld] added 1 to the shared counter %d times\n",
         (long)getpid(), READER_ADDS);
  fflush(stdout);
  CHECK(mmk_atomic_store_u32(v, OFF_DONE, 1));
  int woken = mmk_wake(v, OFF_DONE, 1);
  if (woken < 0) CHECK(woken);
  CHECK(mmk_view_close(v));
  CHECK(mmk_file_close(shm));
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--reader") == 0) return reader(argv[2]);

  char path[4096], name[64];
  const char *tmp = getenv("TMPDIR");
  int own_file = argc < 2;
  if (own_file)
    snprintf(path, sizeof path, "%s/mmapkit-demo-%ld.bin",
             tmp && *tmp ? tmp : "/tmp", (long)getpid());
  else
    snprintf(path, sizeof path, "%s", argv[1]);
  snprintf(name, sizeof name, "mmapkit-demo-%ld", (long)getpid());

  /* 1. a file, mapped at an unaligned offset; page alignment is hidden */
  char message[128];
  snprintf(message, sizeof message, "hello from pid %ld via mmapkit %s",
           (long)getpid(), mmk_version());
  const int64_t offset = 4097;
  mmk_file *file = NULL;
  mmk_view *fv = NULL;
  CHECK(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_TRUNCATE, 0, &file));
  CHECK(mmk_map(file, offset, (int64_t)sizeof message, 0, &fv)); /* grows it */
  CHECK(mmk_view_write(fv, 0, message, strlen(message) + 1));
  CHECK(mmk_view_flush(fv, 0, 0, MMK_FLUSH_SYNC));
  int64_t fsize = 0;
  CHECK(mmk_file_size(file, &fsize));
  printf("[writer %ld] mapped %s at offset %" PRId64 " (file grown to %" PRId64
         " bytes), wrote and flushed: \"%s\"\n",
         (long)getpid(), path, offset, fsize, message);

  /* 2. named shared memory, readable by any process that knows the name */
  mmk_file *shm = NULL;
  mmk_view *sv = NULL;
  CHECK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, SHM_SIZE,
                     &shm));
  CHECK(mmk_map(shm, 0, 0, 0, &sv));
  char copy[sizeof message];
  CHECK(mmk_view_read(fv, 0, copy, sizeof copy)); /* fault-safe copy out */
  CHECK(mmk_view_write(sv, OFF_TEXT, copy, sizeof copy));
  printf("[writer %ld] created shared memory '%s' and copied the message in\n",
         (long)getpid(), name);
  fflush(stdout);

  /* 3. a second process: this program again */
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    execl("/proc/self/exe", argv[0], "--reader", name, (char *)NULL);
    perror("exec");
    _exit(127);
  }

  /* 4. sleep until the reader flips the flag, then look at its work */
  int rc = mmk_wait_u32(sv, OFF_DONE, 0, 10 * 1000000000ll);
  if (rc != MMK_OK) {
    fprintf(stderr, "waiting for the reader: %s\n", mmk_err_name(rc));
    return 1;
  }
  uint64_t counter = 0;
  CHECK(mmk_atomic_load_u64(sv, OFF_COUNTER, &counter));
  int status = 0;
  waitpid(pid, &status, 0);
  printf("[writer %ld] woken up: the reader (pid %ld) counted to %" PRIu64
         ", exit status %d\n",
         (long)getpid(), (long)pid, counter,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  /* the file on disk holds the message, at exactly that offset */
  char disk[sizeof message] = {0};
  int fd = open(path, O_RDONLY);
  ssize_t got = fd >= 0 ? pread(fd, disk, sizeof disk, offset) : -1;
  if (fd >= 0) close(fd);
  int file_ok = got == (ssize_t)sizeof disk && strcmp(disk, message) == 0;
  printf("[writer %ld] read back from disk at offset %" PRId64 ": %s\n",
         (long)getpid(), offset, file_ok ? "same message" : "MISMATCH");

  CHECK(mmk_view_close(sv));
  CHECK(mmk_file_close(shm));
  CHECK(mmk_shm_unlink(name));
  CHECK(mmk_view_close(fv));
  CHECK(mmk_file_close(file));
  if (own_file) unlink(path);

  int ok = file_ok && counter == READER_ADDS && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
  printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
