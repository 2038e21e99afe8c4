/*
 * tests/c/test-win32.h: the Windows half of the harness (test.h includes
 * it), run under Wine by scripts/test-windows.sh.
 *
 * No fork: each case runs in a fresh process of the test binary itself
 * (re-exec: "test-x.exe --run-case NAME", the case directory and the
 * harness's pid passed in the environment), waited for with a timeout and
 * killed when it is over, with whatever it started (a job object). The
 * leak check counts the process's handles (GetProcessHandleCount) and the
 * regions mmapkit can leave behind (VirtualQuery: every mapped view, and
 * every allocation that is address space reserved and nothing committed),
 * before and after the case.
 *
 * Cases that need fork, signals, /proc or tmpfs mounts are skipped on
 * Windows with the reason printed (TEST_SKIP), never passed.
 */
#ifndef MMAPKIT_TEST_WIN32_H
#define MMAPKIT_TEST_WIN32_H

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <psapi.h>
#include <winioctl.h>

#include <direct.h>
#include <dirent.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <sched.h>

#define TEST_CASE_ENV_DIR "MMK_TEST_CASE_DIR"
#define TEST_CASE_ENV_PID "MMK_TEST_HARNESS_PID"

/* A case that cannot run on Windows at all. */
#define TEST_SKIP_ON_WINDOWS(...) TEST_SKIP(__VA_ARGS__)

/* ---- files ------------------------------------------------------------ */

static TEST_UNUSED FILE *test__fopen(const char *path, const char *mode) {
  FILE *f = fopen(path, mode);
  if (!f) TEST_FAIL("fopen(%s, %s): %s", path, mode, strerror(errno));
  return f;
}

/* Creates (or replaces) a file of `size` pattern bytes. */
static TEST_UNUSED void test_make_pattern_file(const char *path, size_t size) {
  FILE *f = test__fopen(path, "wb");
  unsigned char buf[65536];
  size_t done = 0;
  while (done < size) {
    size_t n = size - done < sizeof buf ? size - done : sizeof buf;
    test_fill_pattern(buf, done, n);
    if (fwrite(buf, 1, n, f) != n)
      TEST_FAIL("fwrite(%s): %s", path, strerror(errno));
    done += n;
  }
  fclose(f);
}

static TEST_UNUSED void test_write_file(const char *path, const void *data,
                                        size_t n) {
  FILE *f = test__fopen(path, "wb");
  if (n && fwrite(data, 1, n, f) != n)
    TEST_FAIL("fwrite(%s): %s", path, strerror(errno));
  fclose(f);
}

static TEST_UNUSED void test_mkdir(const char *path) {
  if (_mkdir(path) != 0) TEST_FAIL("mkdir(%s): %s", path, strerror(errno));
}

/* mmk_shm_unlink of a name whose handles and views are all closed: the
 * name went with the last of them. */
#define TEST_SHM_UNLINK_CLOSED MMK_ENOENT

/* Devices that must never be mapped (MMK_ENODEV): DOS device names. */
#define TEST_DEV_ZERO "NUL"
#define TEST_DEV_NULL "CON"

/* Reads n bytes at off from the file, outside any mapping. */
static TEST_UNUSED void test_pread(const char *path, int64_t off, void *buf,
                                   size_t n) {
  FILE *f = test__fopen(path, "rb");
  if (_fseeki64(f, off, SEEK_SET) != 0)
    TEST_FAIL("fseek(%s, %" PRId64 "): %s", path, off, strerror(errno));
  size_t r = fread(buf, 1, n, f);
  if (r != n)
    TEST_FAIL("fread(%s, %zu at %" PRId64 ") = %zu", path, n, off, r);
  fclose(f);
}

static TEST_UNUSED int64_t test_file_size(const char *path) {
  struct _stat64 st;
  if (_stat64(path, &st) != 0)
    TEST_FAIL("stat(%s): %s", path, strerror(errno));
  return (int64_t)st.st_size;
}

/* Fails with EACCES while a view of the file is mapped (Windows). */
static TEST_UNUSED void test_truncate(const char *path, int64_t size) {
  int fd = _open(path, _O_RDWR | _O_BINARY);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  int e = _chsize_s(fd, size);
  _close(fd);
  if (e != 0)
    TEST_FAIL("truncate(%s, %" PRId64 "): %s", path, size, strerror(e));
}

/* Writes n bytes at off into the file, outside any mapping. */
static TEST_UNUSED void test_pwrite(const char *path, int64_t off,
                                    const void *data, size_t n) {
  FILE *f = test__fopen(path, "r+b");
  if (_fseeki64(f, off, SEEK_SET) != 0 || fwrite(data, 1, n, f) != n)
    TEST_FAIL("write(%s, %zu at %" PRId64 "): %s", path, n, off,
              strerror(errno));
  fclose(f);
}

/* The bytes of storage the file has allocated (FileStandardInfo's
 * AllocationSize), read through a handle that shares everything. */
static TEST_UNUSED int64_t test_allocated(const char *path) {
  FILE_STANDARD_INFO si;
  HANDLE h = CreateFileA(path, FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE |
                             FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE)
    TEST_FAIL("CreateFile(%s): error %lu", path, GetLastError());
  if (!GetFileInformationByHandleEx(h, FileStandardInfo, &si, sizeof si))
    TEST_FAIL("GetFileInformationByHandleEx(%s): error %lu", path,
              GetLastError());
  CloseHandle(h);
  return (int64_t)si.AllocationSize.QuadPart;
}

/* Creates a sparse file of size bytes (FSCTL_SET_SPARSE, then the end of
 * file): 0, or the Win32 error that refused it. */
static TEST_UNUSED int test_make_sparse(const char *path, int64_t size) {
  HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                         OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD n, e = 0;
  FILE_END_OF_FILE_INFO eof;
  if (h == INVALID_HANDLE_VALUE)
    TEST_FAIL("CreateFile(%s): error %lu", path, GetLastError());
  DeviceIoControl(h, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &n, NULL);
  eof.EndOfFile.QuadPart = size;
  if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof))
    e = GetLastError();
  CloseHandle(h);
  return (int)e;
}

/* ---- time, processes, threads ----------------------------------------- */

static TEST_UNUSED uint64_t test_now_ns(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (uint64_t)(c.QuadPart / f.QuadPart) * 1000000000ull +
         (uint64_t)(c.QuadPart % f.QuadPart) * 1000000000ull /
             (uint64_t)f.QuadPart;
}

static TEST_UNUSED void test_sleep_ms(long ms) { Sleep((DWORD)ms); }

typedef struct test_thread {
  HANDLE h;
  void *(*fn)(void *);
  void *arg, *ret;
} test_thread;

static unsigned __stdcall test__thread_main(void *p) {
  test_thread *t = p;
  t->ret = t->fn(t->arg);
  return 0;
}

static TEST_UNUSED void test_thread_start(test_thread *t, void *(*fn)(void *),
                                          void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->ret = NULL;
  t->h = (HANDLE)_beginthreadex(NULL, 512 * 1024, test__thread_main, t, 0,
                                NULL);
  if (!t->h) TEST_FAIL("_beginthreadex: %s", strerror(errno));
}

static TEST_UNUSED void *test_thread_join(test_thread *t) {
  if (WaitForSingleObject(t->h, INFINITE) != WAIT_OBJECT_0)
    TEST_FAIL("WaitForSingleObject(thread): error %lu", GetLastError());
  CloseHandle(t->h);
  return t->ret;
}

/* fork() exists on POSIX only: a case that forks skips here at its fork,
 * saying so. The cases that need two processes on Windows use
 * test_run_child (test-proc.c and the suites' child entries). */
#define TEST_NO_FORK                                                           \
  "needs fork() (POSIX only; the cross-process cases of Windows re-exec "    \
  "the test binary: test-proc)"
static TEST_UNUSED pid_t test_fork(void) { test_skip("%s", TEST_NO_FORK); }
__attribute__((noreturn)) static TEST_UNUSED void test_child_exit(int code) {
  test__die(code);
}
static TEST_UNUSED int test_wait(pid_t pid) {
  (void)pid;
  test_skip("%s", TEST_NO_FORK);
}
#define ASSERT_CHILD_OK(pid) ((void)test_wait(pid))

/* A pipe between threads (or a parent and its child) as on POSIX. */
#define pipe(fds) _pipe((fds), 4096, _O_BINARY)

/* ---- address space ---------------------------------------------------- */

/* Whether every page of [p, p+n) is committed memory. */
static TEST_UNUSED int test_is_mapped(const void *p, size_t n) {
  const char *a = p, *end = a + (n ? n : 1);
  MEMORY_BASIC_INFORMATION mi;
  while (a < end) {
    if (!VirtualQuery(a, &mi, sizeof mi) || mi.State != MEM_COMMIT) return 0;
    a = (const char *)mi.BaseAddress + mi.RegionSize;
  }
  return 1;
}

/* The last component of a path, after '/' or '\'. */
static const char *test__basename(const char *p) {
  const char *b = p;
  for (; *p; p++)
    if (*p == '/' || *p == '\\') b = p + 1;
  return b;
}

/* Mapped views of a file whose name ends like `needle` (the counterpart
 * of counting /proc/self/maps lines naming it). */
static TEST_UNUSED int test_maps_lines_containing(const char *needle) {
  const char *want = test__basename(needle);
  char *a = NULL;
  void *last = NULL;
  MEMORY_BASIC_INFORMATION mi;
  int n = 0;
  while (VirtualQuery(a, &mi, sizeof mi)) {
    char name[MAX_PATH * 2];
    if (mi.Type == MEM_MAPPED && mi.AllocationBase != last &&
        GetMappedFileNameA(GetCurrentProcess(), mi.BaseAddress, name,
                           sizeof name)) {
      last = mi.AllocationBase;
      size_t ln = strlen(name), lw = strlen(want);
      if (ln >= lw && _stricmp(name + ln - lw, want) == 0) n++;
    }
    a = (char *)mi.BaseAddress + mi.RegionSize;
  }
  return n;
}

/* ---- leak check ------------------------------------------------------- */

/* Open handles, probed by value (multiples of 4): Wine's
 * GetProcessHandleCount does not count them. */
static int test__count_fds(void) {
  int n = 0;
  DWORD flags;
  for (uintptr_t h = 4; h < 4 * 16384; h += 4)
    n += GetHandleInformation((HANDLE)h, &flags) != 0;
  return n;
}

/* One line per allocation mmapkit could leak: a mapped view, or address
 * space only reserved (a view's reservation; heap and stack reservations
 * always have committed pages). */
static char *test__read_maps(void) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  char *a = NULL;
  MEMORY_BASIC_INFORMATION mi;
  buf[0] = '\0';
  while (VirtualQuery(a, &mi, sizeof mi)) {
    void *alloc = mi.AllocationBase;
    const char *kind = NULL;
    size_t size = 0;
    int committed = 0;
    if (mi.State != MEM_FREE && mi.Type != MEM_IMAGE) {
      /* Walk the allocation's regions. */
      kind = mi.Type == MEM_MAPPED ? "mapped" : "reserved";
      while (mi.AllocationBase == alloc && mi.State != MEM_FREE) {
        committed |= mi.State == MEM_COMMIT;
        size += mi.RegionSize;
        a = (char *)mi.BaseAddress + mi.RegionSize;
        if (!VirtualQuery(a, &mi, sizeof mi)) break;
      }
      if (!strcmp(kind, "mapped") || !committed) {
        if (len + 128 > cap) buf = realloc(buf, cap *= 2);
        len += (size_t)snprintf(buf + len, cap - len, "%p %zu %s\n", alloc,
                                size, kind);
      }
      continue;
    }
    a = (char *)mi.BaseAddress + mi.RegionSize;
  }
  return buf;
}

static int test__maps_line_counts(const char *line, size_t len) {
  (void)line;
  return len > 0;
}

static int test__count_maps(const char *maps) {
  int n = 0;
  for (const char *p = maps; *p; p++) n += *p == '\n';
  return n;
}

static void test__list_fds(void) {
  fprintf(stderr, "    (Windows: handles are counted, not listed)\n");
}

/* ---- runner (Windows) ------------------------------------------------- */

static void test__rmtree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    _unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    struct _stat64 st;
    if (_stat64(sub, &st) == 0 && (st.st_mode & _S_IFDIR))
      test__rmtree(sub);
    else
      _unlink(sub);
  }
  closedir(d);
  _rmdir(path);
}

/* Named mappings vanish with their last handle: nothing can be left. */
static void test__unlink_leftover_shm(void) {}

/* A crash reports its exception and ends the case process with it as
 * the exit code, without a debugger or a dialog box. */
static LONG WINAPI test__unhandled(EXCEPTION_POINTERS *ep) {
  fprintf(stderr, "  unhandled exception 0x%08lx at %p (address %p)\n",
          (unsigned long)ep->ExceptionRecord->ExceptionCode,
          ep->ExceptionRecord->ExceptionAddress,
          ep->ExceptionRecord->NumberParameters > 1
              ? (void *)ep->ExceptionRecord->ExceptionInformation[1]
              : NULL);
  fflush(stderr);
  TerminateProcess(GetCurrentProcess(), ep->ExceptionRecord->ExceptionCode);
  return EXCEPTION_EXECUTE_HANDLER;
}

static void test__platform_init(void) {
  SetUnhandledExceptionFilter(test__unhandled);
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  test_page = (long)si.dwPageSize; /* views start at 64 KiB granules */
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
}

static const char *test__tmp_base(void) {
  static char base[MAX_PATH + 1];
  const char *env = getenv("MMK_TEST_TMPDIR");
  if (env && *env) return env;
  DWORD n = GetTempPathA(sizeof base, base);
  if (n == 0 || n >= sizeof base) return ".";
  while (n > 0 && (base[n - 1] == '\\' || base[n - 1] == '/'))
    base[--n] = '\0';
  return base;
}

static int test__mkdir_private(const char *dir) { return _mkdir(dir); }

static int test__is_case_process(int argc, char **argv) {
  return argc >= 3 && (!strcmp(argv[1], "--run-case") ||
                       !strcmp(argv[1], "--run-child"));
}

static int test__run_here(const test_case *tc);
static const test_case *test__child_case(const char *name);

/* The case process: the case named by argv[2], in the directory and with
 * the shared-memory prefix of the harness that started it. */
static int test__case_process_main(int argc, char **argv,
                                   const test_case *cases) {
  const char *dir = getenv(TEST_CASE_ENV_DIR);
  const char *pid = getenv(TEST_CASE_ENV_PID);
  (void)argc;
  if (!dir || !pid) return 2;
  snprintf(test__dir, sizeof test__dir, "%s", dir);
  test__harness_pid = (pid_t)atol(pid);
  test__case_pid = getpid();
  for (const test_case *tc = cases; tc->name; tc++) {
    if (strcmp(tc->name, argv[2])) continue;
    if (!strcmp(argv[1], "--run-child")) {
      test__case_name = tc->name;
      test__case_pid = 0; /* failures say "in a child process" */
      tc->fn();
      test__die(0);
    }
    test__die(test__run_here(tc));
  }
  fprintf(stderr, "no case named %s\n", argv[2]);
  return 2;
}

/* Re-executes this binary for the case (or, as_child, the child-only
 * entry), with a timeout. Its exit code, 1 if it crashed or timed out,
 * -1 if it could not be started. */
static int test__spawn(const test_case *tc, int as_child) {
  char exe[MAX_PATH], cmd[MAX_PATH + 256], pid[32];
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  DWORD code = 1, w;
  HANDLE job;
  if (!GetModuleFileNameA(NULL, exe, sizeof exe)) return -1;
  snprintf(cmd, sizeof cmd, "\"%s\" %s %s", exe,
           as_child ? "--run-child" : "--run-case", tc->name);
  snprintf(pid, sizeof pid, "%ld", (long)test__harness_pid);
  SetEnvironmentVariableA(TEST_CASE_ENV_DIR, test__dir);
  SetEnvironmentVariableA(TEST_CASE_ENV_PID, pid);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  /* Starting the case process is the harness's part, not the case's: Wine 8
   * now and then fails a CreateProcess with ERROR_INTERNAL_ERROR (1359; one
   * of ~200 starts in a CI run, 2026-12-04) and the next one succeeds. Up to
   * three tries, each failure said; a case that fails is never rerun. */
  for (int attempt = 1;; attempt++) {
    if (CreateProcessA(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL,
                       NULL, &si, &pi))
      break;
    fprintf(stderr, "CreateProcess(%s) for %s: error %lu (try %d of 3)\n",
            exe, tc->name, GetLastError(), attempt);
    if (attempt == 3) return -1;
    Sleep(500);
  }
  /* In a job of its own where the system allows one (a process already in
   * a job may not get a nested one: it stays in that job then), so that a
   * timeout or the end of the case also ends what the case started. */
  job = CreateJobObjectA(NULL, NULL);
  if (job) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    memset(&li, 0, sizeof li);
    li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li,
                                 sizeof li) ||
        !AssignProcessToJobObject(job, pi.hProcess)) {
      CloseHandle(job);
      job = NULL;
    }
  }
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  w = WaitForSingleObject(pi.hProcess, TEST_TIMEOUT_SECONDS * 1000);
  if (w == WAIT_TIMEOUT) {
    if (job) TerminateJobObject(job, 1);
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, INFINITE);
    if (job) CloseHandle(job);
    fprintf(stderr, "  FAIL [%s]: timed out after %d s\n", tc->name,
            TEST_TIMEOUT_SECONDS);
    CloseHandle(pi.hProcess);
    return 1;
  }
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  if (job) CloseHandle(job); /* ends any process the case left behind */
  if (code >= 0xC0000000u) {
    fprintf(stderr, "  FAIL [%s]: crashed with exception 0x%08lx\n",
            tc->name, (unsigned long)code);
    return 1;
  }
  return (int)code;
}

static int test__run_isolated(const test_case *tc, const char *argv0) {
  (void)argv0;
  return test__spawn(tc, 0);
}

/* Runs the TEST_CHILD_ONLY entry `name` in a new process of this binary;
 * its exit code (0: it returned). */
static TEST_UNUSED int test_run_child(const char *name) {
  const test_case *tc = test__child_case(name);
  if (!tc) TEST_FAIL("no child entry named %s", name);
  int rc = test__spawn(tc, 1);
  if (rc < 0) TEST_FAIL("could not start the child process %s", name);
  return rc;
}

#endif /* MMAPKIT_TEST_WIN32_H */
