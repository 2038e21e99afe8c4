/* tests/c/test-open.c: opening files, their size, the error model. */
#include "test.h"

/* At least n bytes of the file's blocks are reserved. Wine 8 does not
 * implement FileAllocationInfo (the host file stays sparse): there the
 * check is skipped, saying so. */
#define TEST_CHECK_ALLOCATED(path, n)                                          \
  do {                                                                         \
    if (test_emulator() && !strcmp(test_emulator(), "wine64"))                 \
      printf("  SKIP part [%s]: wine64 does not implement "                   \
             "FileAllocationInfo: no blocks are reserved\n", test__case_name); \
    else                                                                       \
      ASSERT_GE(test_allocated(path), (n));                                    \
  } while (0)

#if !defined(_WIN32)
#include <sys/socket.h>
#include <sys/un.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#endif
#endif

TEST(test_open_read_mode_reports_mode_kind_path_and_size) {
  const char *path = test_path("data.bin");
  test_make_pattern_file(path, 12345);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(mmk_file_mode(f), MMK_READ);
  ASSERT_EQ(mmk_file_kind(f), MMK_KIND_FILE);
  ASSERT_STR_EQ(mmk_file_path(f), path);
#if defined(_WIN32) /* descriptors are POSIX-only */
  ASSERT_EQ(mmk_file_fd(f), -1);
#else
  ASSERT_GE(mmk_file_fd(f), 0);
#endif
  int64_t size = -1;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 12345);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_open_every_mode_maps_existing_file) {
  const char *path = test_path("data.bin");
  test_make_pattern_file(path, 5000);
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  for (size_t i = 0; i < 3; i++) {
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(path, modes[i], 0, 0, &f));
    ASSERT_EQ(mmk_file_mode(f), modes[i]);
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
    ASSERT_EQ(mmk_view_mode(v), modes[i]);
    ASSERT_EQ(mmk_view_writable(v), modes[i] != MMK_READ);
    ASSERT_EQ(mmk_view_size(v), 5000);
    unsigned char expect[5000];
    test_fill_pattern(expect, 0, sizeof expect);
    ASSERT_MEM_EQ(mmk_view_data(v), expect, sizeof expect);
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
  }
}

TEST(test_open_missing_file_is_enoent_naming_open_and_path) {
  const char *path = test_path("missing.bin");
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  for (size_t i = 0; i < 3; i++) {
    mmk_file *f = (mmk_file *)&f; /* must be reset to NULL */
    ASSERT_STATUS(mmk_file_open(path, modes[i], 0, 0, &f), MMK_ENOENT);
    ASSERT_NULL(f);
    ASSERT_EQ(mmk_last_error_code(), MMK_ENOENT);
    ASSERT_EQ(mmk_last_error_errno(), ENOENT);
    ASSERT_STR_EQ(mmk_last_error_op(), "open");
    ASSERT_STR_EQ(mmk_last_error_path(), path);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), "open");
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    const mmk_error *e = mmk_last_error();
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(e->code, MMK_ENOENT);
    ASSERT_STR_EQ(e->path, path);
  }
  ASSERT_EQ(access(path, F_OK), -1); /* nothing was created */
}

TEST(test_open_create_makes_file_of_exact_size_with_reserved_blocks) {
  const char *path = test_path("new.bin");
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 1000000, &f));
  ASSERT_EQ(test_file_size(path), 1000000);
  /* the blocks are reserved (posix_fallocate, FileAllocationInfo): not a
   * sparse file */
  TEST_CHECK_ALLOCATED(path, 1000000);
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 1000000);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_open_create_applies_umask_to_0666) {
#if defined(_WIN32)
  TEST_SKIP("POSIX permission bits and umask; Windows files take their "
            "directory's ACL");
#else
  const char *path = test_path("perm.bin");
  mode_t old = umask(027);
  mmk_file *f = NULL;
  int r = mmk_file_open(path, MMK_WRITE, MMK_CREATE, 10, &f);
  umask(old);
  ASSERT_OK(r);
  ASSERT_OK(mmk_file_close(f));
  struct stat st;
  CHECK_SYS(stat(path, &st));
  ASSERT_EQ(st.st_mode & 0777, 0640);
#endif
}

TEST(test_open_create_exclusive_existing_is_eexist) {
  const char *path = test_path("exists.bin");
  test_make_pattern_file(path, 100);
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 0, &f),
                MMK_EEXIST);
  ASSERT_NULL(f);
  ASSERT_STR_EQ(mmk_last_error_path(), path);
  /* untouched */
  ASSERT_EQ(test_file_size(path), 100);
  /* and a new name works exclusively */
  ASSERT_OK(mmk_file_open(test_path("fresh.bin"), MMK_WRITE,
                          MMK_CREATE | MMK_EXCLUSIVE, 64, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_EQ(test_file_size(test_path("fresh.bin")), 64);
}

/* Writes "kept" at offset 0 through a view. */
static int write_kept(mmk_file *f) {
  mmk_view *v = NULL;
  int r = mmk_map(f, 0, 0, 0, &v);
  if (!r) r = mmk_view_write(v, 0, "kept", 4);
  if (v) mmk_view_close(v);
  return r;
}

TEST(test_open_created_tells_create_from_open) {
  const char *path = test_path("c.bin");
  mmk_file *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 100, &a));
  ASSERT_EQ(mmk_file_created(a), 1);
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &b));
  ASSERT_EQ(mmk_file_created(b), 0);
  ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &c));
  ASSERT_EQ(mmk_file_created(c), 0);
#if !defined(_WIN32) /* descriptors are POSIX-only */
  ASSERT_OK(mmk_file_from_fd(mmk_file_fd(a), MMK_WRITE, &d));
  ASSERT_EQ(mmk_file_created(d), 0);
  ASSERT_OK(mmk_file_close(d));
  ASSERT_EQ(unlink(path), 0);
#else
  /* Windows removes the name of an open file only once its handles are
   * closed: a fresh name instead */
  path = test_path("c2.bin");
#endif
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 0, &d));
  ASSERT_EQ(mmk_file_created(d), 1);
  ASSERT_OK(mmk_file_close(d));
#if !defined(_WIN32) /* symbolic links need a privilege on Windows */
  /* a dangling symlink: the create makes its target, as open(2) does */
  ASSERT_EQ(symlink(test_path("target.bin"), test_path("link.bin")), 0);
  ASSERT_OK(mmk_file_open(test_path("link.bin"), MMK_WRITE, MMK_CREATE, 10,
                          &d));
  ASSERT_EQ(mmk_file_created(d), 1);
  ASSERT_EQ(test_file_size(test_path("target.bin")), 10);
  ASSERT_OK(mmk_file_close(d));
#endif
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_file_close(c));
}

TEST(test_open_truncate_discards_old_content_then_grows_to_size) {
  const char *path = test_path("t.bin");
  test_make_pattern_file(path, 8000);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_TRUNCATE, 3000, &f));
  ASSERT_EQ(test_file_size(path), 3000);
  unsigned char buf[3000], zero[3000] = {0};
  test_pread(path, 0, buf, sizeof buf);
  ASSERT_MEM_EQ(buf, zero, sizeof buf);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_open_truncate_to_empty_file_maps_empty_view) {
  const char *path = test_path("t.bin");
  test_make_pattern_file(path, 8000);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_TRUNCATE, 0, &f));
  ASSERT_EQ(test_file_size(path), 0);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 0);
  ASSERT_NOT_NULL(mmk_view_data(v));
  ASSERT_OK(mmk_view_read(v, 0, NULL, 0));
  char c;
  ASSERT_STATUS(mmk_view_read(v, 0, &c, 1), MMK_ERANGE);
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_open_empty_file_read_mode_maps_empty_view) {
  const char *path = test_path("empty.bin");
  test_write_file(path, "", 0);
  const int modes[] = {MMK_READ, MMK_COPY, MMK_WRITE};
  for (size_t i = 0; i < 3; i++) {
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(path, modes[i], 0, 0, &f));
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
    ASSERT_EQ(mmk_view_size(v), 0);
    ASSERT_NOT_NULL(mmk_view_data(v));
    ASSERT_OK(mmk_view_close(v));
    if (modes[i] != MMK_WRITE)
      ASSERT_STATUS(mmk_map(f, 0, 1, 0, &v), MMK_ERANGE);
    ASSERT_OK(mmk_file_close(f));
  }
  ASSERT_EQ(test_file_size(path), 0);
}

TEST(test_open_size_grows_but_never_shrinks) {
  const char *path = test_path("g.bin");
  test_make_pattern_file(path, 10000);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 100, &f));
  ASSERT_EQ(test_file_size(path), 10000);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 20000, &f));
  ASSERT_EQ(test_file_size(path), 20000);
  ASSERT_OK(mmk_file_close(f));
  /* the old bytes are kept, the new ones are zero */
  unsigned char buf[10000], expect[10000], zero[10000] = {0};
  test_pread(path, 0, buf, sizeof buf);
  test_fill_pattern(expect, 0, sizeof expect);
  ASSERT_MEM_EQ(buf, expect, sizeof buf);
  test_pread(path, 10000, buf, sizeof buf);
  ASSERT_MEM_EQ(buf, zero, sizeof buf);
}

TEST(test_open_out_is_null_after_every_failure) {
  const char *dir = test_path("dir");
  test_mkdir(dir);
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open(dir, MMK_READ, 0, 0, &f), MMK_EISDIR);
  ASSERT_NULL(f);
  f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open("", MMK_READ, 0, 0, &f), MMK_EINVAL);
  ASSERT_NULL(f);
  f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open(dir, 9, 0, 0, &f), MMK_EINVAL);
  ASSERT_NULL(f);
}

TEST(test_open_descriptor_is_close_on_exec) {
#if defined(_WIN32)
  TEST_SKIP("FD_CLOEXEC is POSIX (Windows handles are opened non-inheritable, "
            "and mmk_file_fd gives no handle to check)");
#else
  const char *path = test_path("cloexec.bin");
  test_make_pattern_file(path, 100);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
  int flags = fcntl(mmk_file_fd(f), F_GETFD);
  ASSERT_GE(flags, 0);
  ASSERT_TRUE(flags & FD_CLOEXEC);
  ASSERT_OK(mmk_file_close(f));
#endif
}

TEST(test_file_resize_grows_with_reserved_blocks_and_shrinks) {
  const char *path = test_path("r.bin");
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 10, &f));
  ASSERT_OK(mmk_file_resize(f, 3 * test_page + 5));
  ASSERT_EQ(test_file_size(path), 3 * test_page + 5);
  TEST_CHECK_ALLOCATED(path, 3 * test_page + 5);
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 3 * test_page + 5);
  ASSERT_OK(mmk_file_resize(f, 7));
  ASSERT_EQ(test_file_size(path), 7);
  ASSERT_OK(mmk_file_resize(f, 0));
  ASSERT_EQ(test_file_size(path), 0);
  ASSERT_STATUS(mmk_file_resize(f, -1), MMK_EINVAL);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_file_resize_read_only_handle_is_eacces) {
  const char *path = test_path("ro.bin");
  test_make_pattern_file(path, 100);
  const int modes[] = {MMK_READ, MMK_COPY};
  for (size_t i = 0; i < 2; i++) {
    mmk_file *f = NULL;
    ASSERT_OK(mmk_file_open(path, modes[i], 0, 0, &f));
    ASSERT_STATUS(mmk_file_resize(f, 200), MMK_EACCES);
    ASSERT_OK(mmk_file_close(f));
  }
  ASSERT_EQ(test_file_size(path), 100);
}

/* mmk_file_from_fd: POSIX descriptors (a Windows HANDLE maps through
 * mmk_file_from_handle, tested in test-win32.c). */
#if !defined(_WIN32)
TEST(test_file_from_fd_duplicates_the_descriptor) {
  const char *path = test_path("fd.bin");
  test_make_pattern_file(path, 4096);
  int fd = open(path, O_RDWR);
  CHECK_SYS(fd);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  ASSERT_NE(mmk_file_fd(f), fd);
  ASSERT_TRUE(fcntl(mmk_file_fd(f), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(mmk_file_mode(f), MMK_WRITE);
  ASSERT_EQ(mmk_file_kind(f), MMK_KIND_FILE);
  ASSERT_EQ(mmk_file_created(f), 0);
  ASSERT_OK(mmk_map(f, 10, 10, 0, &v));
  ASSERT_OK(mmk_view_write(v, 0, "0123456789", 10));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  /* the caller's descriptor still works */
  char buf[10];
  ASSERT_EQ(pread(fd, buf, 10, 10), 10);
  ASSERT_MEM_EQ(buf, "0123456789", 10);
  close(fd);
}

/* The name is what the system says, kept for the handle's later errors. */
TEST(test_file_from_fd_names_the_file_in_later_errors) {
  const char *path = test_path("named.bin");
  test_make_pattern_file(path, 4096);
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_READ, &f));
  close(fd);
#if defined(__linux__) || defined(F_GETPATH)
  char real[PATH_MAX];
  ASSERT_NOT_NULL(realpath(path, real));
  ASSERT_STR_EQ(mmk_file_path(f), real);
  ASSERT_STATUS(mmk_file_resize(f, 10), MMK_EACCES);
  ASSERT_STR_EQ(mmk_last_error_path(), real);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), real);
#endif
  mmk_view *v = NULL;
  ASSERT_STATUS(mmk_map(f, 8192, 10, 0, &v), MMK_ERANGE);
  ASSERT_STR_EQ(mmk_last_error_path(), mmk_file_path(f));
  ASSERT_OK(mmk_file_close(f));
}

/* The name is asked for when first needed, of the handle's own
 * duplicate: a rename made before then shows, and the caller's number,
 * closed and reused for another file, is never what is named. */
TEST(test_file_from_fd_names_the_file_when_first_needed) {
#if defined(__linux__) || defined(F_GETPATH)
  const char *path = test_path("before.bin");
  const char *moved = test_path("after.bin");
  test_make_pattern_file(path, 4096);
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_READ, &f));
  CHECK_SYS(rename(path, moved));
  close(fd);
  int other = open("/dev/null", O_RDONLY); /* most likely fd's number */
  CHECK_SYS(other);
  char real[PATH_MAX];
  ASSERT_NOT_NULL(realpath(moved, real));
  mmk_view *v = NULL;
  ASSERT_STATUS(mmk_map(f, 8192, 10, 0, &v), MMK_ERANGE);
  ASSERT_STR_EQ(mmk_last_error_path(), real);
  const char *first = mmk_file_path(f);
  ASSERT_STR_EQ(first, real);
  CHECK_SYS(rename(moved, path));
  ASSERT_PTR_EQ(mmk_file_path(f), first); /* named once, then kept */
  ASSERT_OK(mmk_file_close(f));
  close(other);
#else
  TEST_SKIP("no way to ask the system for a descriptor's path");
#endif
}

/* Unlinked before wrapping (the common "anonymous temporary file"), the
 * caller closing its descriptor at once: the handle alone keeps it. */
TEST(test_file_from_fd_maps_an_unlinked_file_after_the_caller_closed_it) {
  const char *path = test_path("gone.bin");
  test_make_pattern_file(path, 10000);
  int fd = open(path, O_RDWR);
  CHECK_SYS(fd);
  CHECK_SYS(unlink(path));
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  ASSERT_EQ(close(fd), 0);
#if defined(__linux__)
  ASSERT_STR_CONTAINS(mmk_file_path(f), "gone.bin (deleted)");
#endif
  /* the number is free again: whatever reuses it is not what is mapped */
  int other = open("/dev/null", O_RDONLY);
  CHECK_SYS(other);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 10000);
  unsigned char buf[64], want[64];
  ASSERT_OK(mmk_view_read(v, 5000, buf, 64));
  test_fill_pattern(want, 5000, 64);
  ASSERT_MEM_EQ(buf, want, 64);
  ASSERT_OK(mmk_view_close(v));
  /* growing the unlinked file works too (blocks reserved as for a path) */
  ASSERT_OK(mmk_file_resize(f, 20000));
  ASSERT_OK(mmk_map(f, 15000, 100, 0, &v));
  ASSERT_OK(mmk_view_write(v, 0, "tail", 4));
  ASSERT_OK(mmk_view_read(v, 0, buf, 4));
  ASSERT_MEM_EQ(buf, "tail", 4);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  close(other);
}

/* A view outlives both descriptors: the caller's (closed right after the
 * map) and the handle's (closed by mmk_file_close). */
TEST(test_file_from_fd_view_outlives_the_callers_descriptor_and_the_handle) {
  const char *path = test_path("owner.bin");
  test_make_pattern_file(path, 8192);
  int fd = open(path, O_RDWR);
  CHECK_SYS(fd);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  ASSERT_OK(mmk_map(f, 0, 8192, 0, &v));
  ASSERT_EQ(close(fd), 0);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_view_write(v, 100, "still", 5));
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
  ASSERT_OK(mmk_view_close(v));
  char buf[5];
  int check = open(path, O_RDONLY);
  CHECK_SYS(check);
  ASSERT_EQ(pread(check, buf, 5, 100), 5);
  ASSERT_MEM_EQ(buf, "still", 5);
  close(check);
}

#if defined(__linux__) && defined(O_TMPFILE)
TEST(test_file_from_fd_maps_an_o_tmpfile_that_never_had_a_name) {
  int fd = open(test_dir(), O_TMPFILE | O_RDWR, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
    TEST_SKIP("this file system has no O_TMPFILE (%s)", strerror(errno));
  CHECK_SYS(fd);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  close(fd);
  ASSERT_STR_CONTAINS(mmk_file_path(f), "(deleted)");
  /* empty: a writable map past the end grows it, as for a path */
  ASSERT_OK(mmk_map(f, 0, 5000, 0, &v));
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 5000);
  ASSERT_OK(mmk_view_write(v, 4990, "0123456789", 10));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_map(f, 4990, 10, 0, &v));
  char buf[10];
  ASSERT_OK(mmk_view_read(v, 0, buf, 10));
  ASSERT_MEM_EQ(buf, "0123456789", 10);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}
#endif

#if defined(__linux__)
/* memfd: a regular file to the kernel, so it maps; a write seal refuses
 * MMK_WRITE up front instead of failing in mmap. */
TEST(test_file_from_fd_maps_a_memfd_and_respects_its_write_seal) {
  int fd = (int)syscall(SYS_memfd_create, "mmk-test", 0x0002u /* ALLOW_SEALING */);
  if (fd < 0 && errno == ENOSYS) TEST_SKIP("no memfd_create");
  CHECK_SYS(fd);
  CHECK_SYS(ftruncate(fd, 4096));
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  ASSERT_STR_CONTAINS(mmk_file_path(f), "memfd:mmk-test");
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 7, "memfd", 5));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  char buf[5];
  ASSERT_EQ(pread(fd, buf, 5, 7), 5);
  ASSERT_MEM_EQ(buf, "memfd", 5);
  CHECK_SYS(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_from_fd(fd, MMK_WRITE, &f), MMK_EACCES);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "F_SEAL_WRITE");
  ASSERT_OK(mmk_file_from_fd(fd, MMK_READ, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_read(v, 7, buf, 5));
  ASSERT_MEM_EQ(buf, "memfd", 5);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  close(fd);
}
#endif

/* A shm_open descriptor is a regular file too: it maps as a file (kind
 * MMK_KIND_FILE, so no owner check: the caller chose to open it), and
 * shares its memory with the name's other users. */
TEST(test_file_from_fd_maps_a_shm_open_descriptor) {
  char name[160];
  snprintf(name, sizeof name, "/%s", test_shm_name("fromfd"));
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK_SYS(fd);
  CHECK_SYS(ftruncate(fd, 8192));
  mmk_file *f = NULL, *g = NULL;
  mmk_view *v = NULL, *w = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  close(fd);
  ASSERT_EQ(mmk_file_kind(f), MMK_KIND_FILE);
#if defined(__linux__)
  ASSERT_STR_CONTAINS(mmk_file_path(f), name + 1);
#endif
  ASSERT_OK(mmk_shm_open(name + 1, MMK_READ, 0, 0, &g));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_map(g, 0, 0, 0, &w));
  ASSERT_OK(mmk_atomic_store_u32(v, 4096, 0xfeedu));
  uint32_t x = 0;
  ASSERT_OK(mmk_atomic_load_u32(w, 4096, &x));
  ASSERT_UEQ(x, 0xfeedu);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_file_close(g));
  ASSERT_OK(mmk_shm_unlink(name + 1));
}

TEST(test_file_from_fd_write_mode_on_read_only_descriptor_is_eacces) {
  const char *path = test_path("fd.bin");
  test_make_pattern_file(path, 4096);
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_from_fd(fd, MMK_WRITE, &f), MMK_EACCES);
  ASSERT_NULL(f);
  ASSERT_STR_EQ(mmk_last_error_op(), "from_fd");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "O_RDWR");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "fd.bin");
  char detail[32];
  snprintf(detail, sizeof detail, "[fd %d]", fd);
#if defined(__linux__) || defined(F_GETPATH)
  ASSERT_STR_CONTAINS(mmk_last_error_message(), detail);
#endif
  /* read and copy-on-write are fine on an O_RDONLY descriptor */
  ASSERT_OK(mmk_file_from_fd(fd, MMK_READ, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_file_from_fd(fd, MMK_COPY, &f));
  ASSERT_OK(mmk_file_close(f));
  close(fd);
  /* a write-only descriptor maps in no mode */
  fd = open(path, O_WRONLY);
  CHECK_SYS(fd);
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  for (size_t i = 0; i < 3; i++) {
    ASSERT_STATUS(mmk_file_from_fd(fd, modes[i], &f), MMK_EACCES);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), "write-only");
  }
  close(fd);
}

TEST(test_file_from_fd_closed_descriptor_is_ebadf) {
  int fd = open("/dev/null", O_RDONLY);
  CHECK_SYS(fd);
  close(fd);
  mmk_file *f = (mmk_file *)&f;
  char name[32];
  snprintf(name, sizeof name, "fd %d (no path)", fd);
  ASSERT_STATUS(mmk_file_from_fd(fd, MMK_READ, &f), MMK_EBADF);
  ASSERT_NULL(f);
  ASSERT_STR_EQ(mmk_last_error_path(), name);
  ASSERT_STATUS(mmk_file_from_fd(-1, MMK_READ, &f), MMK_EBADF);
  ASSERT_STR_EQ(mmk_last_error_path(), "fd -1 (no path)");
  ASSERT_STATUS(mmk_file_from_fd(0, MMK_READ, NULL), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_from_fd(0, 5, &f), MMK_EINVAL);
#ifdef O_PATH
  fd = open(test_dir(), O_PATH);
  CHECK_SYS(fd);
  ASSERT_STATUS(mmk_file_from_fd(fd, MMK_READ, &f), MMK_EBADF);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "O_PATH");
  close(fd);
#endif
}

/* Refused with the documented status and a reason saying what it is,
 * without blocking and without leaving the duplicate open (the harness
 * counts descriptors). */
static void expect_refused(int fd, int mode, int status, const char *reason,
                           const char *name) {
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_from_fd(fd, mode, &f), status);
  ASSERT_NULL(f);
  ASSERT_STR_EQ(mmk_last_error_op(), "from_fd");
  if (reason) ASSERT_STR_CONTAINS(mmk_last_error_message(), reason);
#if defined(__linux__)
  ASSERT_STR_CONTAINS(mmk_last_error_path(), name);
#else
  (void)name;
#endif
  close(fd);
}

TEST(test_file_from_fd_directory_pipe_socket_and_devices_are_refused) {
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  for (size_t i = 0; i < 3; i++) {
    int m = modes[i];
    int fd = open(test_dir(), O_RDONLY | O_DIRECTORY);
    CHECK_SYS(fd);
    expect_refused(fd, m, MMK_EISDIR, NULL, "/");
    int p[2];
    CHECK_SYS(pipe(p)); /* empty, no writer data: a read would block */
    expect_refused(p[0], m, MMK_ENODEV, "a pipe or FIFO", "pipe:[");
    expect_refused(p[1], m, MMK_ENODEV, "a pipe or FIFO", "pipe:[");
    int sv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    expect_refused(sv[0], m, MMK_ENODEV, "a socket", "socket:[");
    close(sv[1]);
    const char *fifo = test_path("fifo");
    unlink(fifo);
    CHECK_SYS(mkfifo(fifo, 0600));
    fd = open(fifo, O_RDWR | O_NONBLOCK); /* O_RDWR: does not wait for a peer */
    CHECK_SYS(fd);
    expect_refused(fd, m, MMK_ENODEV, "a pipe or FIFO", "fifo");
    fd = open("/dev/null", O_RDWR);
    CHECK_SYS(fd);
    expect_refused(fd, m, MMK_ENODEV, "a character device", "/dev/null");
    fd = open("/dev/zero", O_RDWR);
    CHECK_SYS(fd);
    expect_refused(fd, m, MMK_ENODEV, "a character device", "/dev/zero");
  }
}

/* The duplicate shares the caller's open file description, and with it
 * (OFD locks) the caller's locks: mmk_file_close must release its own
 * explicitly, since the caller's descriptor keeps the description alive. */
TEST(test_file_from_fd_close_releases_its_locks_while_the_caller_keeps_fd) {
  const char *path = test_path("locks.bin");
  test_make_pattern_file(path, 4096);
  int fd = open(path, O_RDWR);
  CHECK_SYS(fd);
  mmk_file *f = NULL, *g = NULL;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  ASSERT_OK(mmk_file_lock(f, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &g));
#ifdef F_OFD_SETLK
  ASSERT_STATUS(mmk_file_lock(g, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY),
                MMK_EAGAIN);
#endif
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_file_lock(g, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_close(g));
  ASSERT_EQ(fcntl(fd, F_GETFD) >= 0, 1); /* never closed by mmapkit */
#ifdef F_OFD_SETLK
  /* the caller's own OFD lock on fd is the handle's owner; a classic
   * (process-owned) lock is another owner and conflicts */
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_len = 100;
  ASSERT_OK(mmk_file_from_fd(fd, MMK_WRITE, &f));
  CHECK_SYS(fcntl(fd, F_OFD_SETLK, &fl));
  ASSERT_OK(mmk_file_lock(f, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_unlock(f, 0, 100)); /* ... and releases the caller's */
  fl.l_type = F_UNLCK;
  CHECK_SYS(fcntl(fd, F_OFD_SETLK, &fl));
  fl.l_type = F_WRLCK;
  CHECK_SYS(fcntl(fd, F_SETLK, &fl));
  ASSERT_STATUS(mmk_file_lock(f, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY),
                MMK_EAGAIN);
  fl.l_type = F_UNLCK;
  CHECK_SYS(fcntl(fd, F_SETLK, &fl));
  ASSERT_OK(mmk_file_close(f));
#endif
  close(fd);
}

/* By path: FIFOs and devices are refused with MMK_ENODEV in every mode,
 * without blocking on a FIFO that has no peer, and without leaving the
 * descriptor open (the harness checks). */
#endif /* !_WIN32 */

TEST(test_open_fifo_and_device_paths_are_refused_without_blocking) {
#if defined(_WIN32)
  TEST_SKIP("FIFOs and /dev are POSIX; the DOS device names are "
            "in test-args");
#else
  const char *fifo = test_path("fifo");
  CHECK_SYS(mkfifo(fifo, 0600));
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  mmk_file *f = NULL;
  for (size_t i = 0; i < 3; i++) {
    ASSERT_STATUS(mmk_file_open(fifo, modes[i], 0, 0, &f), MMK_ENODEV);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), fifo);
    ASSERT_STATUS(mmk_file_open("/dev/null", modes[i], 0, 0, &f), MMK_ENODEV);
  }
  /* a link to a device, outside /dev: opened, then refused all the same */
  const char *link = test_path("null-link");
  CHECK_SYS(symlink("/dev/null", link));
  ASSERT_STATUS(mmk_file_open(link, MMK_READ, 0, 0, &f), MMK_ENODEV);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), link);
  ASSERT_TRUE(f == NULL);
#endif
}

TEST(test_file_close_null_is_ok) { ASSERT_OK(mmk_file_close(NULL)); }

TEST(test_view_outlives_file_close) {
  const char *path = test_path("v.bin");
  test_make_pattern_file(path, 3 * 4096);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 100, 5000, 0, &v));
  ASSERT_OK(mmk_file_close(f));
  unsigned char expect[5000];
  test_fill_pattern(expect, 100, sizeof expect);
  ASSERT_MEM_EQ(mmk_view_data(v), expect, sizeof expect);
  ASSERT_OK(mmk_view_write(v, 4990, "tail!12345", 10));
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
  ASSERT_OK(mmk_view_close(v));
  char buf[10];
  test_pread(path, 5090, buf, 10);
  ASSERT_MEM_EQ(buf, "tail!12345", 10);
}

TEST(test_err_name_and_strerror_come_from_one_table) {
  ASSERT_STR_EQ(mmk_err_name(MMK_OK), "MMK_OK");
  ASSERT_STR_EQ(mmk_err_name(MMK_EINVAL), "MMK_EINVAL");
  ASSERT_STR_EQ(mmk_err_name(MMK_ECLOSED), "MMK_ECLOSED");
  ASSERT_STR_EQ(mmk_err_name(-77777), "MMK_EUNKNOWN");
  ASSERT_STR_EQ(mmk_err_name(12), "MMK_EUNKNOWN");
  ASSERT_STR_EQ(mmk_strerror(MMK_EINVAL), "invalid argument");
  ASSERT_STR_EQ(mmk_strerror(-77777), "unknown error");
#define CHECK_ROW(name, value, msg)                                            \
  ASSERT_STR_EQ(mmk_err_name(value), "MMK_" #name);                           \
  ASSERT_STR_EQ(mmk_strerror(value), msg);
  MMK_ERRNO_MAP(CHECK_ROW)
#undef CHECK_ROW
}

/* The values are part of the contract (the same on every platform, as
 * the bindings' tables have them); the errno a status stands for is the
 * platform's own, through mmk_status_errno. */
TEST(test_err_codes_are_stable_and_status_errno_is_the_platforms) {
  static const struct {
    int code, value, err;
  } rows[] = {
      {MMK_EPERM, -1, EPERM},
      {MMK_ENOENT, -2, ENOENT},
      {MMK_EINTR, -4, EINTR},
      {MMK_EIO, -5, EIO},
      {MMK_EBADF, -9, EBADF},
      {MMK_EAGAIN, -11, EAGAIN},
      {MMK_ENOMEM, -12, ENOMEM},
      {MMK_EACCES, -13, EACCES},
      {MMK_EBUSY, -16, EBUSY},
      {MMK_EEXIST, -17, EEXIST},
      {MMK_ENODEV, -19, ENODEV},
      {MMK_EISDIR, -21, EISDIR},
      {MMK_EINVAL, -22, EINVAL},
      {MMK_EMFILE, -24, EMFILE},
      {MMK_EFBIG, -27, EFBIG},
      {MMK_ENOSPC, -28, ENOSPC},
      {MMK_EROFS, -30, EROFS},
      {MMK_ERANGE, -34, ERANGE},
      {MMK_EDEADLK, -35, EDEADLK},
      {MMK_ENAMETOOLONG, -36, ENAMETOOLONG},
      {MMK_ENOTSUP, -95, ENOTSUP},
      {MMK_ETIMEDOUT, -110, ETIMEDOUT},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    ASSERT_EQ(rows[i].code, rows[i].value);
    ASSERT_EQ(mmk_status_errno(rows[i].code), rows[i].err);
  }
  ASSERT_EQ(MMK_EUNKNOWN, -3000);
  ASSERT_EQ(MMK_ECLOSED, -3001);
  ASSERT_EQ(mmk_status_errno(MMK_OK), 0);
  ASSERT_EQ(mmk_status_errno(MMK_EUNKNOWN), 0);
  ASSERT_EQ(mmk_status_errno(MMK_ECLOSED), 0);
  ASSERT_EQ(mmk_status_errno(-12345), 0);
}

TEST(test_error_for_gives_the_detail_of_that_failure_or_of_the_code_alone) {
  const char *path = test_path("missing.bin");
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_file_open(path, MMK_READ, 0, 0, &f), MMK_ENOENT);
  const mmk_error *e = mmk_error_for(MMK_ENOENT);
  ASSERT_EQ(e->code, MMK_ENOENT);
  ASSERT_EQ(e->sys_errno, ENOENT);
  ASSERT_STR_EQ(e->path, path);
  ASSERT_TRUE(strstr(e->message, "missing.bin") != NULL);
  /* A status the last failure did not record: its own detail, nothing of
   * the stale one. */
  e = mmk_error_for(MMK_EBUSY);
  ASSERT_EQ(e->code, MMK_EBUSY);
  ASSERT_EQ(e->sys_errno, 0);
  ASSERT_STR_EQ(e->path, "");
  ASSERT_STR_EQ(e->op, "");
  ASSERT_TRUE(strstr(e->message, "missing.bin") == NULL);
  ASSERT_STR_EQ(e->message, mmk_strerror(MMK_EBUSY));
  ASSERT_EQ(mmk_last_error_code(), MMK_EBUSY);
}

static void *fail_in_thread(void *arg) {
  (void)arg;
  mmk_file *f = NULL;
  int r = mmk_file_open(test_path("thread-missing"), MMK_READ, 0, 0, &f);
  if (r != MMK_ENOENT) return (void *)1;
  if (mmk_last_error_code() != MMK_ENOENT) return (void *)2;
  if (!strstr(mmk_last_error_message(), "thread-missing")) return (void *)3;
  return NULL;
}

TEST(test_last_error_is_thread_local) {
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_file_open(test_path("dir-missing/x"), MMK_WRITE, MMK_CREATE,
                              0, &f),
                MMK_ENOENT);
  mmk_clear_error();
  ASSERT_STATUS(mmk_file_open(NULL, MMK_READ, 0, 0, &f), MMK_EINVAL);
  test_thread t;
  test_thread_start(&t, fail_in_thread, NULL);
  ASSERT_PTR_EQ(test_thread_join(&t), NULL);
  /* the other thread's failure did not replace ours */
  ASSERT_EQ(mmk_last_error_code(), MMK_EINVAL);
  ASSERT_TRUE(strstr(mmk_last_error_message(), "thread-missing") == NULL);
}

TEST(test_last_error_survives_success_and_clear_resets_it) {
  const char *path = test_path("x.bin");
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_file_open(path, MMK_READ, 0, 0, &f), MMK_ENOENT);
  test_make_pattern_file(path, 10);
  ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_EQ(mmk_last_error_code(), MMK_ENOENT);
  ASSERT_STR_EQ(mmk_last_error_path(), path);
  mmk_clear_error();
  ASSERT_EQ(mmk_last_error_code(), 0);
  ASSERT_EQ(mmk_last_error()->code, 0);
  ASSERT_NOT_NULL(mmk_last_error_message());
  ASSERT_NOT_NULL(mmk_last_error_op());
  ASSERT_NOT_NULL(mmk_last_error_path());
}

TEST(test_version_matches_header) {
  ASSERT_STR_EQ(mmk_version(), MMK_VERSION_STRING);
  ASSERT_GT(mmk_page_size(), 0);
  ASSERT_EQ(mmk_page_size(), test_page);
}

TEST(test_open_write_on_read_only_filesystem_is_erofs) {
#if defined(_WIN32)
  TEST_SKIP("needs a tmpfs remounted read-only (Linux mount namespaces)");
#else
  pid_t pid = test_fork();
  if (pid == 0) {
    const char *dir = test_path("ro-mount");
    const char *how;
    int e = test_mount_tmpfs(dir, "size=1m", &how);
    if (e) test_skip("cannot mount a tmpfs (%s): %s", how, strerror(e));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/file.bin", dir);
    test_make_pattern_file(path, 100);
    if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
      test_skip("cannot remount read-only: %s", strerror(errno));
    mmk_file *f = NULL;
    ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, 0, 0, &f), MMK_EROFS);
    ASSERT_STR_EQ(mmk_last_error_path(), path);
    snprintf(path, sizeof path, "%s/new.bin", dir);
    ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 10, &f), MMK_EROFS);
    snprintf(path, sizeof path, "%s/file.bin", dir);
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

TEST(test_open_without_permission_is_eacces) {
#if defined(_WIN32)
  TEST_SKIP("POSIX permission bits and setuid");
#else
  const char *secret = test_path("secret.bin");
  const char *ro = test_path("readonly.bin");
  test_make_pattern_file(secret, 100);
  test_make_pattern_file(ro, 100);
  CHECK_SYS(chmod(secret, 0600));
  CHECK_SYS(chmod(ro, 0444));
  CHECK_SYS(chmod(test_dir(), 0755));
  pid_t pid = test_fork();
  if (pid == 0) {
    /* root bypasses permission bits: drop to nobody first */
    if (geteuid() == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0)
        test_skip("cannot drop privileges: %s", strerror(errno));
    } else {
      CHECK_SYS(chmod(secret, 0000));
    }
    mmk_file *f = (mmk_file *)&f;
    ASSERT_STATUS(mmk_file_open(secret, MMK_READ, 0, 0, &f), MMK_EACCES);
    ASSERT_NULL(f);
    ASSERT_STR_EQ(mmk_last_error_op(), "open");
    ASSERT_STR_CONTAINS(mmk_last_error_message(), secret);
    /* a write map of a read-only file */
    ASSERT_STATUS(mmk_file_open(ro, MMK_WRITE, 0, 0, &f), MMK_EACCES);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), ro);
    /* reading it is fine */
    ASSERT_OK(mmk_file_open(ro, MMK_READ, 0, 0, &f));
    ASSERT_OK(mmk_file_close(f));
    ASSERT_OK(mmk_file_open(ro, MMK_COPY, 0, 0, &f));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

TEST(test_open_size_beyond_filesystem_limit_is_efbig) {
  const char *path = test_path("huge.bin");
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, INT64_MAX, &f),
                MMK_EFBIG);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
}

TEST(test_open_unix_socket_is_enodev) {
#if defined(_WIN32)
  TEST_SKIP("a unix socket in the file system is POSIX");
#else
  const char *path = test_path("sock");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK_SYS(s);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (strlen(path) >= sizeof addr.sun_path) {
    close(s);
    TEST_SKIP("temporary path too long for a unix socket");
  }
  CHECK_SYS(bind(s, (struct sockaddr *)&addr, sizeof addr));
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_file_open(path, MMK_READ, 0, 0, &f), MMK_ENODEV);
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, 0, 0, &f), MMK_ENODEV);
  close(s);
#endif
}

TEST(test_open_name_too_long_is_enametoolong) {
  char name[400];
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  mmk_file *f = NULL;
  char path[1024]; /* not test_path: PATH_MAX is 260 on Windows */
  snprintf(path, sizeof path, "%s/%s", test_dir(), name);
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 10, &f),
                MMK_ENAMETOOLONG);
  ASSERT_STR_EQ(mmk_last_error_op(), "open");
  ASSERT_STATUS(mmk_file_open(path, MMK_READ, 0, 0, &f), MMK_ENAMETOOLONG);
}


TEST(test_open_out_of_descriptors_is_emfile_without_leaks) {
#if defined(_WIN32)
  TEST_SKIP("RLIMIT_NOFILE and fork are POSIX");
#else
  const char *path = test_path("fd.bin");
  test_make_pattern_file(path, 100);
  pid_t pid = test_fork();
  if (pid == 0) {
    /* use up every descriptor below a small limit */
    struct rlimit rl = {64, 64};
    CHECK_SYS(setrlimit(RLIMIT_NOFILE, &rl));
    int fds[64], n = 0;
    int fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) fds[n++] = fd;
    mmk_file *f = (mmk_file *)&f;
    ASSERT_STATUS(mmk_file_open(path, MMK_READ, 0, 0, &f), MMK_EMFILE);
    ASSERT_NULL(f);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    ASSERT_STATUS(mmk_anon_create(4096, &f), MMK_EMFILE);
    /* one descriptor free: opening works, mapping needs none more */
    close(fds[--n]);
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
    mmk_view *v = NULL;
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    /* and the descriptor came back */
    fd = open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

TEST(test_map_without_address_space_is_enomem_without_leaks) {
#if defined(_WIN32)
  TEST_SKIP("RLIMIT_AS and fork are POSIX");
#else
  if (TEST_ASAN) TEST_SKIP("RLIMIT_AS cannot be lowered under AddressSanitizer");
  if (TEST_TSAN) TEST_SKIP("RLIMIT_AS cannot be lowered under ThreadSanitizer");
  TEST_SKIP_EMULATED("qemu-user does not enforce RLIMIT_AS");
  const char *path = test_path("big.bin");
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  CHECK_SYS(fd);
  CHECK_SYS(ftruncate(fd, 1ll << 32));
  close(fd);
  pid_t pid = test_fork();
  if (pid == 0) {
    mmk_file *f = NULL;
    mmk_view *v = (mmk_view *)&v;
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
    struct rlimit rl = {1ull << 30, 1ull << 30}; /* 1 GiB of address space */
    CHECK_SYS(setrlimit(RLIMIT_AS, &rl));
    ASSERT_STATUS(mmk_map(f, 0, 0, 0, &v), MMK_ENOMEM);
    ASSERT_NULL(v);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    ASSERT_OK(mmk_map(f, 1ll << 31, 4096, 0, &v)); /* a small one fits */
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

/* A /proc file is a "regular file" of size 0 that cannot be grown or
 * mapped: every call that would grow it is MMK_ENODEV naming the call and
 * the path (it used to be MMK_EUNKNOWN, "Illegal seek"), and nothing is
 * ever written to it. */
TEST(test_growing_a_proc_file_is_enodev_naming_op_and_path) {
#if defined(_WIN32)
  TEST_SKIP("procfs is Linux");
#else
  const char *path = "/proc/self/status";
  mmk_file *f = (mmk_file *)&f;
  mmk_view *v = (mmk_view *)&v;
  int r = mmk_file_open(path, MMK_WRITE, 0, 6000, &f);
  if (r == MMK_EACCES) TEST_SKIP("cannot open %s for writing (not root)", path);
  ASSERT_STATUS(r, MMK_ENODEV);
  ASSERT_NULL(f);
  ASSERT_STR_EQ(mmk_last_error_op(), "open");
  ASSERT_STR_EQ(mmk_last_error_path(), path);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "open '/proc/self/status'");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "procfs");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "cannot be grown");

  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f)); /* no growth: fine */
  ASSERT_STATUS(mmk_map(f, 0, 100, 0, &v), MMK_ENODEV);
  ASSERT_NULL(v);
  ASSERT_STR_EQ(mmk_last_error_op(), "map");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "map '/proc/self/status'");
  ASSERT_STATUS(mmk_map_reserve(f, 0, 100, 4 * test_page, 0, &v), MMK_ENODEV);
  ASSERT_NULL(v);
  ASSERT_STATUS(mmk_file_resize(f, 6000), MMK_ENODEV);
  ASSERT_STR_EQ(mmk_last_error_op(), "resize");
  ASSERT_STR_EQ(mmk_last_error_path(), path);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v)); /* an empty view needs no growth */
  ASSERT_EQ(mmk_view_size(v), 0);
  ASSERT_STATUS(mmk_view_resize(v, 100), MMK_ENODEV);
  ASSERT_STR_EQ(mmk_last_error_op(), "resize");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "procfs");
  ASSERT_EQ(mmk_view_size(v), 0);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
#endif
}

/* Issue 11, number 9: a create that fails removes what it created, so an
 * exclusive retry works; an object that existed keeps size and content.
 * (tmpfs reports a size beyond its limit as ENOSPC, not EFBIG.) */
static void check_failed_creates(const char *path, const char *name,
                                 int64_t too_big, int code, int shm_code) {
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, too_big, &f), code);
  ASSERT_NULL(f);
  ASSERT_EQ(access(path, F_OK), -1);
#if defined(_WIN32)
  /* A section's size is fixed at its creation and its name goes with its
   * last handle: the shared-memory half is test_win32's. */
  (void)name, (void)shm_code;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 4096,
                          &f));
  ASSERT_OK(write_kept(f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, too_big, &f), code);
  ASSERT_EQ(test_file_size(path), 4096);
  char kept[5] = {0};
  test_pread(path, 0, kept, 4);
  ASSERT_STR_EQ(kept, "kept");
#else
  char shm_path[PATH_MAX];
  snprintf(shm_path, sizeof shm_path, "/dev/shm/%s", name);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, too_big, &f),
                shm_code);
  ASSERT_EQ(access(shm_path, F_OK), -1);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE,
                             too_big, &f),
                shm_code);
  ASSERT_EQ(access(shm_path, F_OK), -1);
  /* the exclusive retry with a size that fits */
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 4096,
                          &f));
  ASSERT_OK(write_kept(f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 4096,
                         &f));
  ASSERT_OK(write_kept(f));
  ASSERT_OK(mmk_file_close(f));
  /* existing ones: the failed grow leaves them as they were */
  ASSERT_STATUS(mmk_file_open(path, MMK_WRITE, MMK_CREATE, too_big, &f), code);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, too_big, &f),
                shm_code);
  ASSERT_EQ(test_file_size(shm_path), 4096);
  char buf[5] = {0};
  test_pread(path, 0, buf, 4);
  ASSERT_STR_EQ(buf, "kept");
  test_pread(shm_path, 0, buf, 4);
  ASSERT_STR_EQ(buf, "kept");
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

TEST(test_failed_create_for_efbig_leaves_nothing_behind) {
  check_failed_creates(test_path("huge.bin"), test_shm_name("huge"),
                       INT64_MAX, MMK_EFBIG, MMK_ENOSPC);
}

/* The same on a full file system: a 1 MiB tmpfs as the directory and as
 * /dev/shm, in a private mount namespace. */
TEST(test_failed_create_for_enospc_leaves_nothing_behind) {
#if defined(_WIN32)
  TEST_SKIP("needs a small tmpfs mounted in a private namespace (Linux)");
#else
  pid_t pid = test_fork();
  if (pid == 0) {
    const char *how;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/small", test_dir());
    int e = test_mount_tmpfs(dir, "size=1m", &how);
    if (e) test_skip("%s: %s", how, strerror(e));
    if (mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=1m") != 0)
      test_skip("mount /dev/shm: %s", strerror(errno));
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/full.bin", dir);
    check_failed_creates(path, test_shm_name("full"), 4 << 20, MMK_ENOSPC,
                         MMK_ENOSPC);
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

static const test_case tests[] = {
    TEST_ENTRY(test_open_read_mode_reports_mode_kind_path_and_size),
    TEST_ENTRY(test_open_every_mode_maps_existing_file),
    TEST_ENTRY(test_open_missing_file_is_enoent_naming_open_and_path),
    TEST_ENTRY(test_open_create_makes_file_of_exact_size_with_reserved_blocks),
    TEST_ENTRY(test_open_create_applies_umask_to_0666),
    TEST_ENTRY(test_open_create_exclusive_existing_is_eexist),
    TEST_ENTRY(test_open_created_tells_create_from_open),
    TEST_ENTRY(test_open_truncate_discards_old_content_then_grows_to_size),
    TEST_ENTRY(test_open_truncate_to_empty_file_maps_empty_view),
    TEST_ENTRY(test_open_empty_file_read_mode_maps_empty_view),
    TEST_ENTRY(test_open_size_grows_but_never_shrinks),
    TEST_ENTRY(test_open_out_is_null_after_every_failure),
    TEST_ENTRY(test_open_descriptor_is_close_on_exec),
    TEST_ENTRY(test_file_resize_grows_with_reserved_blocks_and_shrinks),
    TEST_ENTRY(test_file_resize_read_only_handle_is_eacces),
#if !defined(_WIN32)
    TEST_ENTRY(test_file_from_fd_duplicates_the_descriptor),
    TEST_ENTRY(test_file_from_fd_names_the_file_in_later_errors),
    TEST_ENTRY(test_file_from_fd_names_the_file_when_first_needed),
    TEST_ENTRY(test_file_from_fd_maps_an_unlinked_file_after_the_caller_closed_it),
    TEST_ENTRY(test_file_from_fd_view_outlives_the_callers_descriptor_and_the_handle),
#if defined(__linux__) && defined(O_TMPFILE)
    TEST_ENTRY(test_file_from_fd_maps_an_o_tmpfile_that_never_had_a_name),
#endif
#if defined(__linux__)
    TEST_ENTRY(test_file_from_fd_maps_a_memfd_and_respects_its_write_seal),
#endif
    TEST_ENTRY(test_file_from_fd_maps_a_shm_open_descriptor),
    TEST_ENTRY(test_file_from_fd_write_mode_on_read_only_descriptor_is_eacces),
    TEST_ENTRY(test_file_from_fd_closed_descriptor_is_ebadf),
    TEST_ENTRY(test_file_from_fd_directory_pipe_socket_and_devices_are_refused),
    TEST_ENTRY(test_file_from_fd_close_releases_its_locks_while_the_caller_keeps_fd),
#endif
    TEST_ENTRY(test_open_fifo_and_device_paths_are_refused_without_blocking),
    TEST_ENTRY(test_file_close_null_is_ok),
    TEST_ENTRY(test_view_outlives_file_close),
    TEST_ENTRY(test_err_name_and_strerror_come_from_one_table),
    TEST_ENTRY(test_err_codes_are_stable_and_status_errno_is_the_platforms),
    TEST_ENTRY(test_error_for_gives_the_detail_of_that_failure_or_of_the_code_alone),
    TEST_ENTRY(test_last_error_is_thread_local),
    TEST_ENTRY(test_last_error_survives_success_and_clear_resets_it),
    TEST_ENTRY(test_version_matches_header),
    TEST_ENTRY(test_open_write_on_read_only_filesystem_is_erofs),
    TEST_ENTRY(test_open_without_permission_is_eacces),
    TEST_ENTRY(test_open_size_beyond_filesystem_limit_is_efbig),
    TEST_ENTRY(test_open_unix_socket_is_enodev),
    TEST_ENTRY(test_open_name_too_long_is_enametoolong),
    TEST_ENTRY(test_open_out_of_descriptors_is_emfile_without_leaks),
    TEST_ENTRY(test_map_without_address_space_is_enomem_without_leaks),
    TEST_ENTRY(test_growing_a_proc_file_is_enodev_naming_op_and_path),
    TEST_ENTRY(test_failed_create_for_efbig_leaves_nothing_behind),
    TEST_ENTRY(test_failed_create_for_enospc_leaves_nothing_behind),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
