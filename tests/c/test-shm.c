/* tests/c/test-shm.c: named shared memory and anonymous memory. */
#include "test.h"

static int shm_exists(const char *name) {
#if defined(_WIN32) /* no directory of names: whether it opens */
  mmk_file *f = NULL;
  int r = mmk_shm_open(name, MMK_READ, 0, 0, &f);
  if (r == MMK_ENOENT) return 0;
  ASSERT_OK(r);
  ASSERT_OK(mmk_file_close(f));
  return 1;
#else
  char p[PATH_MAX];
  snprintf(p, sizeof p, "/dev/shm/%s", name);
  return access(p, F_OK) == 0;
#endif
}

TEST(test_shm_create_open_and_unlink) {
  const char *name = test_shm_name("basic");
  mmk_file *f = NULL, *g = NULL;
  mmk_view *v = NULL, *w = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f));
  ASSERT_EQ(mmk_file_kind(f), MMK_KIND_SHM);
  ASSERT_STR_EQ(mmk_file_path(f), name);
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 4096);
  ASSERT_TRUE(shm_exists(name));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 100, "hello shm", 9));
  /* a second handle by name sees the same memory */
  ASSERT_OK(mmk_shm_open(name, MMK_READ, 0, 0, &g));
  ASSERT_OK(mmk_map(g, 100, 9, 0, &w));
  ASSERT_MEM_EQ(mmk_view_data(w), "hello shm", 9);
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_file_close(g));
  ASSERT_OK(mmk_shm_unlink(name));
#if !defined(_WIN32) /* Windows: the name goes with the last handle */
  ASSERT_FALSE(shm_exists(name));
#endif
  /* the existing handle and view keep the memory */
  char buf[9];
  ASSERT_OK(mmk_view_read(v, 100, buf, 9));
  ASSERT_MEM_EQ(buf, "hello shm", 9);
  ASSERT_OK(mmk_map(f, 0, 10, 0, &w));
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  /* gone by name */
  g = (mmk_file *)&g;
  ASSERT_STATUS(mmk_shm_open(name, MMK_READ, 0, 0, &g), MMK_ENOENT);
  ASSERT_NULL(g);
  ASSERT_STR_EQ(mmk_last_error_path(), name);
  ASSERT_STATUS(mmk_shm_unlink(name), MMK_ENOENT);
}

TEST(test_shm_is_created_owner_only_whatever_the_umask) {
#if defined(_WIN32)
  TEST_SKIP("POSIX mode bits under /dev/shm (Windows sections get an "
            "owner-only DACL instead)");
#else
  const char *name = test_shm_name("perm");
  mode_t old = umask(0);
  mmk_file *f = NULL;
  int r = mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 100, &f);
  umask(old);
  ASSERT_OK(r);
  char p[PATH_MAX];
  snprintf(p, sizeof p, "/dev/shm/%s", name);
  struct stat st;
  CHECK_SYS(stat(p, &st));
  ASSERT_EQ(st.st_mode & 0777, 0600);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

TEST(test_shm_seen_by_a_forked_child_by_name) {
  const char *name = test_shm_name("child");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 8192, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 5000, "from parent", 11));
  pid_t pid = test_fork();
  if (pid == 0) {
    /* a fresh handle by name, not the inherited mapping */
    mmk_file *cf = NULL;
    mmk_view *cv = NULL;
    ASSERT_OK(mmk_shm_open(name, MMK_WRITE, 0, 0, &cf));
    ASSERT_OK(mmk_map(cf, 4097, 0, 0, &cv));
    char buf[11];
    ASSERT_OK(mmk_view_read(cv, 5000 - 4097, buf, 11));
    ASSERT_MEM_EQ(buf, "from parent", 11);
    ASSERT_OK(mmk_view_write(cv, 0, "from child", 10));
    ASSERT_OK(mmk_view_close(cv));
    ASSERT_OK(mmk_file_close(cf));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  char buf[10];
  ASSERT_OK(mmk_view_read(v, 4097, buf, 10));
  ASSERT_MEM_EQ(buf, "from child", 10);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_shm_unlink(name), TEST_SHM_UNLINK_CLOSED);
}

TEST(test_shm_missing_without_create_is_enoent) {
  mmk_file *f = (mmk_file *)&f;
  const char *name = test_shm_name("missing");
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, 0, 0, &f), MMK_ENOENT);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
  ASSERT_STATUS(mmk_shm_open(name, MMK_READ, 0, 0, &f), MMK_ENOENT);
  ASSERT_FALSE(shm_exists(name));
}

TEST(test_shm_exclusive_on_existing_is_eexist) {
  const char *name = test_shm_name("excl");
  mmk_file *f = NULL, *g = (mmk_file *)&g;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 10, &f));
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 10, &g),
                MMK_EEXIST);
  ASSERT_NULL(g);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_shm_unlink(name), TEST_SHM_UNLINK_CLOSED);
}

TEST(test_shm_size_grows_to_at_least_size_and_never_shrinks) {
#if defined(_WIN32)
  TEST_SKIP("Windows sections keep their creation size and go with their last "
            "handle (test_win32_shared_memory_keeps_its_creation_size)");
#else
  const char *name = test_shm_name("grow");
  mmk_file *f = NULL;
  int64_t size = 0;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 10000, &f));
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 10000);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, 0, 100, &f));
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 10000);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_TRUNCATE, 0, &f));
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 0);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

TEST(test_shm_name_validation_table) {
  char longest[201], too_long[202];
  memset(longest, 'a', 200);
  longest[200] = '\0';
  memset(too_long, 'b', 201);
  too_long[201] = '\0';
  static const struct {
    const char *name;
    int ok;
  } rows[] = {
      {"a", 1},
      {"Z", 1},
      {"0", 1},
      {"a.b", 1},
      {"a-b_c.9", 1},
      {"x.", 1},
      {"-dash-first", 1},
      {"_under", 1},
      {"", 0},
      {".hidden", 0},
      {".", 0},
      {"..", 0},
      {"/slash", 0},
      {"a/b", 0},
      {"a b", 0},
      {"tab\t", 0},
      {"new\nline", 0},
      {"colon:", 0},
      {"star*", 0},
      {"percent%s", 0},
      {"\xc3\xa9t\xc3\xa9", 0}, /* UTF-8 "ete" with accents */
      {"back\\slash", 0},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int expect = rows[i].ok ? MMK_OK : MMK_EINVAL;
    int r = mmk_shm_name_check(rows[i].name);
    if (r != expect)
      TEST_FAIL("mmk_shm_name_check(\"%s\") = %s, expected %s", rows[i].name,
                mmk_err_name(r), mmk_err_name(expect));
    if (!rows[i].ok) {
      mmk_file *f = (mmk_file *)&f;
      r = mmk_shm_open(rows[i].name, MMK_WRITE, MMK_CREATE, 10, &f);
      if (r != MMK_EINVAL)
        TEST_FAIL("mmk_shm_open(\"%s\") = %s, expected MMK_EINVAL",
                  rows[i].name, mmk_err_name(r));
      ASSERT_NULL(f);
      r = mmk_shm_unlink(rows[i].name);
      if (r != MMK_EINVAL)
        TEST_FAIL("mmk_shm_unlink(\"%s\") = %s, expected MMK_EINVAL",
                  rows[i].name, mmk_err_name(r));
    }
  }
  ASSERT_OK(mmk_shm_name_check(longest));
  ASSERT_STATUS(mmk_shm_name_check(too_long), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_name_check(NULL), MMK_EINVAL);
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_shm_open(too_long, MMK_WRITE, MMK_CREATE, 10, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(NULL, MMK_READ, 0, 0, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_unlink(NULL), MMK_EINVAL);
  /* the longest valid name really works end to end */
  char name[201];
  snprintf(name, sizeof name, "%s", test_shm_name(""));
  memset(name + strlen(name), 'L', 200 - strlen(name));
  name[200] = '\0';
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 10, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_shm_unlink(name), TEST_SHM_UNLINK_CLOSED);
}

TEST(test_shm_bad_flags_and_sizes_are_einval) {
  const char *name = test_shm_name("flags");
  mmk_file *f = NULL;
  ASSERT_STATUS(mmk_shm_open(name, MMK_READ, MMK_CREATE, 0, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(name, MMK_READ, 0, 10, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, -1, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, 1u << 9, 10, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(name, 7, MMK_CREATE, 10, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 10, NULL), MMK_EINVAL);
  ASSERT_FALSE(shm_exists(name));
}

TEST(test_shm_copy_mode_is_private) {
  const char *name = test_shm_name("cow");
  mmk_file *f = NULL, *c = NULL;
  mmk_view *v = NULL, *cv = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 0, "orig", 4));
  ASSERT_OK(mmk_shm_open(name, MMK_COPY, 0, 0, &c));
  ASSERT_OK(mmk_map(c, 0, 0, 0, &cv));
  ASSERT_OK(mmk_view_write(cv, 0, "mine", 4));
  char buf[4];
  ASSERT_OK(mmk_view_read(v, 0, buf, 4));
  ASSERT_MEM_EQ(buf, "orig", 4);
  ASSERT_OK(mmk_view_close(cv));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(c));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_shm_unlink(name), TEST_SHM_UNLINK_CLOSED);
}

TEST(test_anon_views_share_memory_with_each_other_and_a_forked_child) {
  mmk_file *f = NULL;
  mmk_view *a = NULL, *b = NULL;
  ASSERT_OK(mmk_anon_create(3 * 4096, &f));
  ASSERT_EQ(mmk_file_kind(f), MMK_KIND_ANON);
  ASSERT_EQ(mmk_file_mode(f), MMK_WRITE);
  ASSERT_STR_EQ(mmk_file_path(f), "");
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 3 * 4096);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &a));
  ASSERT_OK(mmk_map(f, 4097, 100, 0, &b));
  ASSERT_OK(mmk_view_write(a, 4099, "anon", 4));
  char buf[10];
  ASSERT_OK(mmk_view_read(b, 2, buf, 4));
  ASSERT_MEM_EQ(buf, "anon", 4);
  pid_t pid = test_fork();
  if (pid == 0) {
    ASSERT_OK(mmk_view_read(a, 4099, buf, 4));
    ASSERT_MEM_EQ(buf, "anon", 4);
    ASSERT_OK(mmk_view_write(a, 8000, "child wrote", 11));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  char big[11];
  ASSERT_OK(mmk_view_read(a, 8000, big, 11));
  ASSERT_MEM_EQ(big, "child wrote", 11);
  ASSERT_OK(mmk_view_close(b));
  ASSERT_OK(mmk_view_close(a));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_anon_create_bad_sizes_are_einval) {
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_anon_create(0, &f), MMK_EINVAL);
  ASSERT_NULL(f);
  ASSERT_STATUS(mmk_anon_create(-4096, &f), MMK_EINVAL);
  ASSERT_STATUS(mmk_anon_create(4096, NULL), MMK_EINVAL);
}

TEST(test_anon_resize_grows_and_keeps_content) {
#if defined(_WIN32)
  TEST_SKIP("Windows anonymous sections keep their creation size "
            "(MMK_ENOTSUP, test_win32)");
#else
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_anon_create(4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 4000, "keep", 4));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_resize(f, 1 << 20));
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 1 << 20);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 1 << 20);
  char buf[4];
  ASSERT_OK(mmk_view_read(v, 4000, buf, 4));
  ASSERT_MEM_EQ(buf, "keep", 4);
  ASSERT_OK(mmk_view_write(v, (1 << 20) - 4, "end!", 4));
  /* a mapping past the end of anonymous memory grows it too */
  mmk_view *w = NULL;
  ASSERT_OK(mmk_map(f, 1 << 20, 4096, 0, &w));
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, (1 << 20) + 4096);
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
#endif
}


/* Owner-only for real: another user can neither open nor unlink it. */
TEST(test_shm_other_user_cannot_open_or_unlink) {
#if defined(_WIN32)
  TEST_SKIP("needs a second POSIX user (setuid)");
#else
  if (geteuid() != 0) TEST_SKIP("needs root to act as a second user");
  const char *name = test_shm_name("owner");
  mmk_file *f = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f));
  pid_t pid = test_fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0)
      test_skip("cannot drop privileges: %s", strerror(errno));
    mmk_file *g = (mmk_file *)&g;
    ASSERT_STATUS(mmk_shm_open(name, MMK_READ, 0, 0, &g), MMK_EACCES);
    ASSERT_NULL(g);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
    ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, 0, 0, &g), MMK_EACCES);
    ASSERT_STATUS(mmk_shm_unlink(name), MMK_EACCES);
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  ASSERT_TRUE(shm_exists(name));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

TEST(test_shm_created_tells_create_from_open) {
  const char *name = test_shm_name("created");
  mmk_file *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &a));
  ASSERT_EQ(mmk_file_created(a), 1);
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &b));
  ASSERT_EQ(mmk_file_created(b), 0);
  ASSERT_OK(mmk_shm_open(name, MMK_READ, 0, 0, &c));
  ASSERT_EQ(mmk_file_created(c), 0);
#if defined(_WIN32)
  /* the name goes with its last handle, and a section needs a size */
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_file_close(c));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 4096,
                         &d));
  ASSERT_EQ(mmk_file_created(d), 1);
  ASSERT_OK(mmk_shm_unlink(name));
  ASSERT_OK(mmk_file_close(d));
#else
  ASSERT_OK(mmk_shm_unlink(name));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 0, &d));
  ASSERT_EQ(mmk_file_created(d), 1);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_file_close(c));
  ASSERT_OK(mmk_file_close(d));
  ASSERT_OK(mmk_shm_unlink(name));
#endif
  ASSERT_OK(mmk_anon_create(4096, &a));
  ASSERT_EQ(mmk_file_created(a), 1);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_STATUS(mmk_file_created(NULL), MMK_EINVAL);
}

#if !defined(_WIN32)
/* Pre-creates /dev/shm/name as a squatter would: mode `perm`, then owner
 * `uid` (as root) and 4 KiB of the squatter's bytes. */
static void squat(const char *name, mode_t perm, uid_t uid) {
  char full[256];
  snprintf(full, sizeof full, "/%s", name);
  int fd = shm_open(full, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK_SYS(fd);
  CHECK_SYS(ftruncate(fd, 4096));
  CHECK_SYS(pwrite(fd, "squatter", 8, 0));
  CHECK_SYS(fchmod(fd, perm));
  if (uid != geteuid()) CHECK_SYS(fchown(fd, uid, (gid_t)-1));
  close(fd);
}

static int64_t shm_size(const char *name) {
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "/dev/shm/%s", name);
  CHECK_SYS(stat(p, &st));
  return (int64_t)st.st_size;
}

/* Every mode, with and without MMK_CREATE (and with MMK_TRUNCATE or a
 * size that would grow it): refused with MMK_EACCES naming the object,
 * owner, mode and flag, and nothing changed; MMK_ALLOW_FOREIGN opens it. */
static void check_squatted_object_refused(const char *name, const char *own) {
  struct {
    int mode;
    unsigned flags;
    int64_t size;
  } calls[] = {
      {MMK_READ, 0, 0},
      {MMK_COPY, 0, 0},
      {MMK_WRITE, 0, 0},
      {MMK_WRITE, MMK_CREATE, 0},
      {MMK_WRITE, MMK_CREATE, 1 << 20},
      {MMK_WRITE, MMK_CREATE | MMK_TRUNCATE, 0},
      {MMK_WRITE, MMK_TRUNCATE, 8192},
  };
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    mmk_file *f = (mmk_file *)&f;
    ASSERT_STATUS(mmk_shm_open(name, calls[i].mode, calls[i].flags,
                               calls[i].size, &f),
                  MMK_EACCES);
    ASSERT_NULL(f);
    ASSERT_STR_EQ(mmk_last_error_op(), "shm_open");
    ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), own);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), "MMK_ALLOW_FOREIGN");
    ASSERT_EQ(shm_size(name), 4096);
  }
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  char buf[8];
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE | MMK_ALLOW_FOREIGN, 0,
                         &f));
  ASSERT_EQ(mmk_file_created(f), 0);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_read(v, 0, buf, 8));
  ASSERT_MEM_EQ(buf, "squatter", 8);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_open(name, MMK_READ, MMK_ALLOW_FOREIGN, 0, &f));
  ASSERT_OK(mmk_file_close(f));
}
#endif

TEST(test_shm_existing_object_open_to_others_is_refused_without_allow_foreign) {
#if defined(_WIN32)
  TEST_SKIP("a squatter made by shm_open, fchmod and fchown (POSIX)");
#else
  const char *name = test_shm_name("squat666");
  squat(name, 0666, geteuid());
  check_squatted_object_refused(name, "mode 0666");
  ASSERT_OK(mmk_shm_unlink(name));
  name = test_shm_name("squat640");
  squat(name, 0640, geteuid());
  check_squatted_object_refused(name, "mode 0640");
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

TEST(test_shm_existing_object_of_another_user_is_refused_without_allow_foreign) {
#if defined(_WIN32)
  TEST_SKIP("a squatter made by shm_open and fchown (POSIX)");
#else
  if (geteuid() != 0) TEST_SKIP("needs root to give the object away");
  const char *name = test_shm_name("squatuid");
  squat(name, 0600, 65534);
  check_squatted_object_refused(name, "owned by uid 65534, mode 0600");
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

/* The attack of issue 11 with a real second user: nobody (65534) creates
 * the name first with mode 0666; the victim's create-or-open is refused
 * and the squatter never sees the victim's bytes. */
TEST(test_shm_squatted_by_a_second_user_is_refused) {
#if defined(_WIN32)
  TEST_SKIP("needs a second POSIX user (setuid)");
#else
  if (geteuid() != 0) TEST_SKIP("needs root to act as a second user");
  const char *name = test_shm_name("squat2");
  pid_t pid = test_fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0)
      test_skip("cannot drop privileges: %s", strerror(errno));
    squat(name, 0666, geteuid());
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f),
                MMK_EACCES);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(),
                      "owned by uid 65534, mode 0666");
  ASSERT_OK(mmk_shm_unlink(name));
  /* once the name is free, the create makes our own private object */
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f));
  ASSERT_EQ(mmk_file_created(f), 1);
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_unlink(name));
#endif
}

/* A symbolic link planted under the name is never followed (glibc opens
 * with O_NOFOLLOW): MMK_EACCES naming the name, with or without create,
 * and nothing is created at its target. */
TEST(test_shm_symlink_planted_under_the_name_is_eacces) {
#if defined(_WIN32)
  TEST_SKIP("a symbolic link in /dev/shm (POSIX; Windows object names have no "
            "links a user can plant here)");
#else
  const char *name = test_shm_name("link");
  char link[PATH_MAX];
  snprintf(link, sizeof link, "/dev/shm/%s", name);
  CHECK_SYS(symlink(test_path("target"), link));
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &f),
                MMK_EACCES);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
  ASSERT_STATUS(mmk_shm_open(name, MMK_READ, MMK_ALLOW_FOREIGN, 0, &f),
                MMK_EACCES);
  ASSERT_EQ(access(test_path("target"), F_OK), -1);
  CHECK_SYS(unlink(link));
#endif
}

TEST(test_allow_foreign_is_for_shared_memory_only) {
  mmk_file *f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_open(test_path("x"), MMK_WRITE,
                              MMK_CREATE | MMK_ALLOW_FOREIGN, 0, &f),
                MMK_EINVAL);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "MMK_ALLOW_FOREIGN");
  ASSERT_EQ(access(test_path("x"), F_OK), -1);
  ASSERT_STATUS(mmk_shm_open(test_shm_name("af"), MMK_READ, 1u << 4, 0, &f),
                MMK_EINVAL);
}

static const test_case tests[] = {
    TEST_ENTRY(test_shm_create_open_and_unlink),
    TEST_ENTRY(test_shm_is_created_owner_only_whatever_the_umask),
    TEST_ENTRY(test_shm_seen_by_a_forked_child_by_name),
    TEST_ENTRY(test_shm_missing_without_create_is_enoent),
    TEST_ENTRY(test_shm_exclusive_on_existing_is_eexist),
    TEST_ENTRY(test_shm_size_grows_to_at_least_size_and_never_shrinks),
    TEST_ENTRY(test_shm_name_validation_table),
    TEST_ENTRY(test_shm_bad_flags_and_sizes_are_einval),
    TEST_ENTRY(test_shm_copy_mode_is_private),
    TEST_ENTRY(test_shm_other_user_cannot_open_or_unlink),
    TEST_ENTRY(test_shm_created_tells_create_from_open),
    TEST_ENTRY(test_shm_existing_object_open_to_others_is_refused_without_allow_foreign),
    TEST_ENTRY(test_shm_existing_object_of_another_user_is_refused_without_allow_foreign),
    TEST_ENTRY(test_shm_squatted_by_a_second_user_is_refused),
    TEST_ENTRY(test_shm_symlink_planted_under_the_name_is_eacces),
    TEST_ENTRY(test_allow_foreign_is_for_shared_memory_only),
    TEST_ENTRY(test_anon_views_share_memory_with_each_other_and_a_forked_child),
    TEST_ENTRY(test_anon_create_bad_sizes_are_einval),
    TEST_ENTRY(test_anon_resize_grows_and_keeps_content),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
