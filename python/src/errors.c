/*
 * python/src/errors.c: the one place a core status becomes a Python
 * exception (mmkpy_raise), and the binding's own refusals that every
 * method shares (closed, read-only).
 */
#include "mmkpy.h" /* Python.h first, as it asks */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

PyObject *mmkpy_FaultError = NULL;

/* The errno an OSError carries for a status: the OS's own when the core
 * recorded one (on POSIX an errno; the Windows port, whose native errors
 * are Win32 codes, changes this here and nowhere else), else the
 * platform's errno for the status (mmk_status_errno), else EIO. */
static int mmkpy_os_errno(int status, int sys_errno)
{
  int e;
  if (sys_errno > 0)
    return sys_errno;
  e = mmk_status_errno(status);
  return e ? e : EIO;
}

/* A refusal of mmapkit's own (no native errno) says why; the C names it
 * may use are spelled as Python spells them. */
static void mmkpy_python_spelling(const char *why, char *out, size_t n)
{
  static const char *const spelling[][2] = {
    {"pass MMK_ALLOW_FOREIGN", "pass allow_foreign=True"},
    {"MMK_WRITE needs", "a writable map needs"},
  };
  size_t i;
  for (i = 0; i < sizeof spelling / sizeof spelling[0]; i++) {
    const char *c = strstr(why, spelling[i][0]);
    if (c) {
      PyOS_snprintf(out, n, "%.*s%s%s", (int)(c - why), why, spelling[i][1],
                    c + strlen(spelling[i][0]));
      return;
    }
  }
  PyOS_snprintf(out, n, "%s", why);
}

PyObject *mmkpy_raise(mmkpy_ctx ctx, int status)
{
  /* This failure's detail, or the status's alone: never a stale one. */
  const mmk_error *e = mmk_error_for(status);
  const char *op = e->op, *path = e->path, *message = e->message;
  int sys_errno = e->sys_errno, own_refusal;
  PyObject *exc_type, *args, *filename, *text;
  char reason[512], why[400] = "";

  if (!op) op = "";
  if (!path) path = "";
  if (!message || !*message) message = mmk_strerror(status);

  switch (status) {
  case MMK_EINVAL:
  case MMK_ECLOSED:
    PyErr_SetString(PyExc_ValueError, message);
    return NULL;
  case MMK_ERANGE:
    PyErr_SetString(ctx == MMKPY_CTX_MAP ? PyExc_ValueError : PyExc_IndexError,
                    message);
    return NULL;
  case MMK_EBUSY:
    PyErr_SetString(PyExc_BufferError, message);
    return NULL;
  default:
    break;
  }

  /* An OSError: errno, strerror, filename. OSError's constructor picks the
   * subclass from errno (FileNotFoundError, PermissionError, ...). */
  own_refusal = sys_errno <= 0 && *op; /* recorded by the core, with why */
  sys_errno = mmkpy_os_errno(status, sys_errno);
  if (status == MMK_EIO && ctx == MMKPY_CTX_ACCESS) {
    exc_type = mmkpy_FaultError;
    sys_errno = EIO; /* the contract: a fault is errno EIO, whatever raised it */
    PyOS_snprintf(reason, sizeof reason,
                  "fault while accessing mapped memory (%s)", message);
  } else {
    exc_type = PyExc_OSError;
    if (own_refusal)
      mmkpy_python_spelling(message, why, sizeof why);
    PyOS_snprintf(reason, sizeof reason, "%s%s%s%s%s%s", strerror(sys_errno),
                  *op ? " [" : "", op, *op ? "]" : "", *why ? ": " : "", why);
  }
  text = PyUnicode_DecodeLocale(reason, "surrogateescape");
  if (!text)
    return NULL;
  if (*path) {
    filename = PyUnicode_DecodeFSDefault(path);
    if (!filename) {
      Py_DECREF(text);
      return NULL;
    }
    args = Py_BuildValue("(iNN)", sys_errno, text, filename);
  } else {
    args = Py_BuildValue("(iN)", sys_errno, text);
  }
  if (!args)
    return NULL;
  PyErr_SetObject(exc_type, args);
  Py_DECREF(args);
  return NULL;
}

void mmkpy_warn_unclosed(const char *fmt, ...)
{
  PyObject *et, *ev, *tb, *msg;
  va_list ap;
  PyErr_Fetch(&et, &ev, &tb);
  va_start(ap, fmt);
  msg = PyUnicode_FromFormatV(fmt, ap);
  va_end(ap);
  if (!msg || PyErr_WarnEx(PyExc_ResourceWarning, PyUnicode_AsUTF8(msg), 1) < 0)
    PyErr_WriteUnraisable(NULL);
  Py_XDECREF(msg);
  PyErr_Restore(et, ev, tb);
}

PyObject *mmkpy_raise_closed(const mmkpy_view *pv)
{
  PyErr_SetString(PyExc_ValueError, pv && pv->compat
                                        ? "mmap closed or invalid"
                                        : "I/O operation on closed view");
  return NULL;
}

PyObject *mmkpy_raise_readonly(const mmkpy_view *pv)
{
  PyErr_SetString(PyExc_TypeError,
                  pv->compat ? "mmap can't modify a readonly memory map."
                             : "cannot modify a read-only view");
  return NULL;
}
