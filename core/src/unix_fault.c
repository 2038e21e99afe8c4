/*
 * The POSIX fault handler: SIGBUS inside a guarded access becomes MMK_EIO.
 *
 * Touching a mapped page that has no backing any more (file truncated by
 * another process, I/O error, disk full on a sparse page) raises SIGBUS.
 * The guarded copies must turn that into MMK_EIO, inside processes whose
 * runtimes (JVM, .NET, CPython's faulthandler) have their own SIGBUS
 * handlers. So:
 *
 * - one process-wide handler (SA_SIGINFO | SA_ONSTACK | SA_NODEFER),
 *   installed once and re-installed by mmk_fault_guard_install when
 *   somebody replaced it (the newcomer is then the handler chained to),
 *   and by the watchdog thread (unix_watch.c);
 * - it recovers two kinds of guarded access: the quick routines
 *   (arch/x86_64-sysv.S: resumed at their exit, see mmk__quick_resume)
 *   and the sigsetjmp guards of unix_guard.c (siglongjmp; the handler
 *   restores the interrupted signal mask from the ucontext first);
 * - any other SIGBUS (another thread, another address, sent with kill) is
 *   passed exactly to the previous disposition, as the kernel would have
 *   delivered it (its mask; its stack, see mmk__redeliver). SIGSEGV is
 *   never touched;
 * - a handler installed after ours may get a guarded fault first: the
 *   guard is re-asserted by mmk_map and long copies, and a fault handed
 *   back to us (by a call, or restore-and-raise) is still recognised.
 */
#include "internal.h"
#include "unix_guard.h"

#include <stdlib.h>
#include <string.h> /* ucontext_t comes with <signal.h> */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The dispositions we chain to, newest last. Each (re-)install over a
 * newcomer (only when a runtime replaced our handler: a handful per
 * process) takes the next slot of a static ring, so a handler still reading
 * an older record never sees it half-written; a slot is reused only after
 * 32 more re-installs. seq numbers the records (1, 2, ...) so the one
 * before a given record can be found (see mmk__older). */
#define MMK__PREV_SLOTS 32
static struct sigaction mmk__prev_slots[MMK__PREV_SLOTS];
static unsigned long mmk__prev_seq[MMK__PREV_SLOTS];
static unsigned long mmk__prev_count; /* guarded by mmk__install_mu */
static _Atomic(struct sigaction *) mmk__prev_action;
static pthread_mutex_t mmk__install_mu = PTHREAD_MUTEX_INITIALIZER;

static void mmk__set_prev(const struct sigaction *sa) {
  unsigned long seq = ++mmk__prev_count;
  unsigned i = (unsigned)(seq % MMK__PREV_SLOTS);
  mmk__prev_slots[i] = *sa;
  mmk__prev_seq[i] = seq;
  atomic_store_explicit(&mmk__prev_action, &mmk__prev_slots[i],
                        memory_order_release);
}

/* The same handler put back over ours again (a runtime re-installing its
 * own) keeps its record: what it chains to has not changed, and a
 * hand-back must reach what was there before it, not another copy. */
static void mmk__set_prev_if_new(const struct sigaction *sa) {
  const struct sigaction *p =
      atomic_load_explicit(&mmk__prev_action, memory_order_relaxed);
  if (p && p->sa_flags == sa->sa_flags &&
      ((sa->sa_flags & SA_SIGINFO) ? p->sa_sigaction == sa->sa_sigaction
                                   : p->sa_handler == sa->sa_handler) &&
      memcmp(&p->sa_mask, &sa->sa_mask, sizeof sa->sa_mask) == 0)
    return;
  mmk__set_prev(sa);
}

/* The record that was current before rec, or NULL (then: default). */
static struct sigaction *mmk__older(const struct sigaction *rec) {
  unsigned i = (unsigned)(rec - mmk__prev_slots);
  unsigned j = (i + MMK__PREV_SLOTS - 1) % MMK__PREV_SLOTS;
  if (mmk__prev_seq[i] > 1 && mmk__prev_seq[j] == mmk__prev_seq[i] - 1)
    return &mmk__prev_slots[j];
  return NULL;
}

static void mmk__sigbus(int sig, siginfo_t *si, void *ucv);

static int mmk__is_ours(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == mmk__sigbus;
}

/* Default action for a signal the handler got: restore SIG_DFL and raise
 * it again, unblocked, so the process dies (or stops) as it would have. */
static void mmk__die_by_default(int sig) {
  struct sigaction dfl;
  sigset_t set;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
}

/* Relapse detection. A previous handler that returns from a kernel fault
 * without changing the interrupted context makes the instruction fault
 * again: a livelock when the handler has given up on it. After
 * MMK__RELAPSES identical returns at one address in quick succession we
 * apply the default action, as the kernel would without us. A handler
 * that repairs (changes the PC, as the JVM does for mapped buffers) or
 * maps memory over the address never relapses at the same spot with an
 * unchanged context, so it is not affected. */
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
#  define MMK__CTX(uc) ((const void *)(uc)->uc_mcontext.gregs)
#  define MMK__CTX_SIZE sizeof(gregset_t)
#elif defined(__linux__) && defined(__aarch64__)
/* regs[31], sp, pc: contiguous in the kernel's sigcontext. */
#  define MMK__CTX(uc) ((const void *)(uc)->uc_mcontext.regs)
#  define MMK__CTX_SIZE                                                       \
    (offsetof(mcontext_t, pstate) - offsetof(mcontext_t, regs))
#endif
#define MMK__RELAPSES 16
#define MMK__RELAPSE_NS 1000000 /* 1 ms */

#ifdef MMK__CTX
struct mmk__relapse {
  uintptr_t addr;
  unsigned count;
  int64_t when; /* CLOCK_MONOTONIC ns of the last unchanged return */
};

static int64_t mmk__mono_ns(void) {
  struct timespec ts; /* clock_gettime is async-signal-safe */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static _Thread_local struct mmk__relapse mmk__relapse_tls MMK__TLS_IE;
#endif

/* Hand-back detection. A handler we chain to may hand the signal back to
 * its own previous handler, which is us when it was installed after us:
 * by calling it with the same siginfo, or by restoring it and raising
 * again (CPython's faulthandler). Chaining to that handler again would
 * recurse until the stack overflows; a hand-back goes instead to the
 * disposition that was in place before it, as without our re-install.
 * A chained call is marked live by one signal that was not blocked before
 * it and that stays blocked while it runs (the highest free real-time
 * signal; its delivery to this thread is only deferred): a hand-back
 * arrives while that signal is blocked. A handler that leaves by
 * siglongjmp restores its mask and so ends the mark itself; a marker kept
 * in a variable outlived that, and the program's next raise(SIGBUS) was
 * taken for a hand-back and killed the process (issue 11, number 16). */
struct mmk__live {
  struct sigaction *rec; /* the record called, or NULL */
  const siginfo_t *si;   /* the siginfo it was given */
  int mark;              /* the marking signal, 0: none was free */
  uintptr_t sp;          /* where the call was made from */
};
static _Thread_local struct mmk__live mmk__live_tls MMK__TLS_IE;

static int mmk__free_mark(const sigset_t *blocked) {
  for (int s = SIGRTMAX; s >= SIGRTMIN; s--)
    if (sigismember(blocked, s) == 0) return s;
  return 0;
}

/* The record whose live chained call si hands back, or NULL. */
static MMK__NOINLINE struct sigaction *
mmk__handed_back(const siginfo_t *si, int kernel_fault) {
  struct mmk__live *l = &mmk__live_tls;
  sigset_t cur;
  if (!l->rec) return NULL;
  if (!l->mark) {
    /* Every signal was blocked (ThreadSanitizer runs handlers so): only
     * a call with the same siginfo from deeper on the stack than the live
     * call is recognised (a fresh fault at the same spot after a longjmp
     * has the same siginfo address, but our frames at the same depth). */
    volatile char here = 0;
    return kernel_fault && si == l->si && (uintptr_t)&here < l->sp
               ? l->rec
               : NULL;
  }
  if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 ||
      sigismember(&cur, l->mark) != 1) {
    l->rec = NULL; /* left by siglongjmp: stale */
    return NULL;
  }
  /* A fault inside the handler itself has a siginfo of its own. */
  if (kernel_fault && si != l->si) return NULL;
  return l->rec;
}

static MMK__NOINLINE void mmk__call(const struct sigaction *prev, int sig,
                                    siginfo_t *si, void *ucv,
                                    int kernel_fault) {
  sigset_t old, block;
  /* Call the previous handler the way the kernel would have: with its
   * sa_mask blocked, plus the signal itself unless it asked SA_NODEFER. */
  struct mmk__live saved = mmk__live_tls;
  volatile char here = 0;
  mmk__live_tls.sp = (uintptr_t)&here;
  block = prev->sa_mask;
  if (!(prev->sa_flags & SA_NODEFER)) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, NULL, &old);
  mmk__live_tls.rec = (struct sigaction *)prev;
  mmk__live_tls.si = si;
  mmk__live_tls.mark = mmk__free_mark(&old);
  if (mmk__live_tls.mark) sigaddset(&block, mmk__live_tls.mark);
#ifdef MMK__CTX
  {
    ucontext_t *uc = ucv;
    struct mmk__relapse *rl = &mmk__relapse_tls;
    uintptr_t addr = kernel_fault ? (uintptr_t)si->si_addr : 0;
    unsigned char before[MMK__CTX_SIZE];
    if (kernel_fault && uc) memcpy(before, MMK__CTX(uc), sizeof before);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    if (prev->sa_flags & SA_SIGINFO)
      prev->sa_sigaction(sig, si, ucv);
    else
      prev->sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    mmk__live_tls = saved;
    if (kernel_fault && uc &&
        memcmp(before, MMK__CTX(uc), sizeof before) == 0) {
      /* Relapses follow each other within microseconds; a handler that
       * repairs the same page again much later starts a new count. */
      int64_t now = mmk__mono_ns();
      if (rl->addr == addr && now - rl->when < MMK__RELAPSE_NS) {
        if (++rl->count >= MMK__RELAPSES) mmk__die_by_default(sig);
      } else {
        rl->addr = addr;
        rl->count = 1;
      }
      rl->when = now;
    } else if (kernel_fault) {
      rl->count = 0;
    }
  }
#else
  (void)kernel_fault;
  pthread_sigmask(SIG_BLOCK, &block, NULL);
  if (prev->sa_flags & SA_SIGINFO)
    prev->sa_sigaction(sig, si, ucv);
  else
    prev->sa_handler(sig);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  mmk__live_tls = saved;
#endif
}

#if defined(__linux__) && defined(__x86_64__)
/* Re-delivery on the interrupted stack. Our handler runs with SA_ONSTACK,
 * so on a thread with an alternate signal stack (every .NET thread has
 * one) it runs there; a previous handler installed without SA_ONSTACK
 * expects the thread's own stack and may use a lot of it: .NET's SIGBUS
 * handler dispatches the managed exception from inside the handler, which
 * on the small alternate stack ends in "Stack overflow." instead of its
 * AccessViolation report. So for such a handler we do what the kernel
 * would have done: build a signal frame (pretcode, ucontext, siginfo, FPU
 * state) below the interrupted stack pointer and its red zone, and return
 * into the handler with the registers and signal mask of a delivery. When
 * it returns, the restorer's rt_sigreturn resumes from that frame's (maybe
 * modified) context; our own frame is gone by then, so nothing of ours
 * lives on the alternate stack while the handler runs. */
#  define MMK__REDELIVER 1
static void (*mmk__restorer)(void); /* the sa_restorer of our handler */

/* Whether si/ucv came straight from the kernel to us (not from a handler
 * that chained to us), on the alternate stack while the interrupted code
 * was not on it, and nothing (a shadow stack) forbids a hand-made frame. */
static int mmk__should_redeliver(const struct sigaction *prev,
                                 const siginfo_t *si, void *ucv, void *ret) {
  ucontext_t *uc = ucv;
  volatile char here = 0;
  uintptr_t lo, p = (uintptr_t)&here;
  unsigned long shstk = 0;
  (void)si;
  if (!uc || (prev->sa_flags & SA_ONSTACK) || !mmk__restorer ||
      ret != (void *)mmk__restorer)
    return 0;
  if (uc->uc_stack.ss_flags & (SS_DISABLE | SS_ONSTACK)) return 0;
  lo = (uintptr_t)uc->uc_stack.ss_sp;
  if (p < lo || p - lo >= uc->uc_stack.ss_size) return 0;
  /* ARCH_SHSTK_STATUS: a user shadow stack would reject our frame. */
  if (syscall(SYS_arch_prctl, 0x5005, &shstk) == 0 && (shstk & 1)) return 0;
  return 1;
}

static void mmk__redeliver(const struct sigaction *prev, int sig,
                           const siginfo_t *si, ucontext_t *uc, void *ret) {
  greg_t *r = uc->uc_mcontext.gregs;
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  size_t fpsize = 0;
  uintptr_t sp = (uintptr_t)r[REG_RSP] - 128; /* below the red zone */
  unsigned char *fpc = NULL;
  siginfo_t *sic;
  ucontext_t *ucc;
  sigset_t mask = uc->uc_sigmask;
  (void)ret; /* the kernel's restorer: mmk__restorer */
  if (fp) {
    uint32_t magic, ext; /* struct _fpx_sw_bytes at byte 464 */
    memcpy(&magic, fp + 464, 4);
    memcpy(&ext, fp + 468, 4);
    fpsize = magic == FP_XSTATE_MAGIC1 && ext > 512 ? ext : 512;
    sp = (sp - fpsize) & ~(uintptr_t)63; /* xsave wants 64 */
    fpc = (unsigned char *)sp;
    memcpy(fpc, fp, fpsize);
  }
  sp = (sp - sizeof *sic) & ~(uintptr_t)15;
  sic = (siginfo_t *)sp;
  memcpy(sic, si, sizeof *sic);
  sp = (sp - sizeof *ucc) & ~(uintptr_t)15;
  ucc = (ucontext_t *)sp;
  memcpy(ucc, uc, offsetof(ucontext_t, __fpregs_mem));
  ucc->uc_mcontext.fpregs = (fpregset_t)fpc;
  sp -= sizeof(void *); /* pretcode: rsp % 16 == 8 at handler entry */
  *(void (**)(void))sp = mmk__restorer;

  mmk__live_tls.rec = (struct sigaction *)prev;
  mmk__live_tls.si = sic;
  mmk__live_tls.sp = (uintptr_t)sic;
  mmk__live_tls.mark = mmk__free_mark(&mask);
  sigorset(&mask, &mask, &prev->sa_mask);
  if (!(prev->sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
  if (mmk__live_tls.mark) sigaddset(&mask, mmk__live_tls.mark);
  uc->uc_sigmask = mask; /* what our sigreturn installs for the handler */
  r[REG_RSP] = (greg_t)sp;
  r[REG_RIP] = (greg_t)(uintptr_t)prev->sa_sigaction;
  r[REG_RDI] = sig;
  r[REG_RSI] = (greg_t)(uintptr_t)sic;
  r[REG_RDX] = (greg_t)(uintptr_t)ucc;
  r[REG_RAX] = 0;
  r[REG_EFL] &= ~(greg_t)0x10500; /* DF, TF, RF, as a delivery clears */
}

#  define MMK__PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RIP])
#elif defined(__linux__) && defined(__aarch64__)
/* Re-delivery on the interrupted stack, for the reason given for x86-64
 * above, in the arm64 kernel's frame: siginfo, then the ucontext (glibc's
 * ucontext_t is the kernel's, sigset padding included) whose
 * uc_mcontext.__reserved holds tagged context records (FP/SIMD, ESR, SVE,
 * ZA; an extra_context record when they do not fit, its data right after
 * the records' terminator, beyond __reserved), and above them a frame
 * record {x29, x30}. The handler is entered with x0..x2 = sig, siginfo,
 * ucontext, x29 = the frame record, x30 = the return trampoline and sp =
 * the frame; the trampoline's rt_sigreturn reads the frame at sp. Such a
 * trampoline (the vdso's, qemu's) is `mov x8, #139; svc #0`: that is how a
 * delivery straight from the kernel is recognised (as libgcc's unwinder
 * recognises signal frames), and the copy returns to the same trampoline.
 * Only records whose restore gives the handler the state a delivery would
 * are copied: streaming SVE mode or live ZA (which a delivery turns off),
 * and any record this code does not know, keep the plain call. */
#  define MMK__REDELIVER 1
#  define MMK__PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
#  define MMK__PR_GET_SHADOW_STACK_STATUS 74 /* arm64 GCS, Linux 6.13 */
#  define MMK__PSR_BTYPE 0xc00u
#  define MMK__TPIDR2_MAGIC 0x54504902u /* SME; newer than some headers */

static uintptr_t mmk__strip_pac(uintptr_t p) {
  register uintptr_t lr __asm__("x30") = p;
  __asm__("hint #7" : "+r"(lr)); /* xpaclri; a no-op without PAC */
  return lr;
}

/* The end of the frame's records (past any extra_context data), or 0 if
 * a record forbids a hand-made frame. */
static uintptr_t mmk__frame_end(const ucontext_t *uc) {
  const unsigned char *p = uc->uc_mcontext.__reserved;
  const unsigned char *rend = p + sizeof uc->uc_mcontext.__reserved;
  const unsigned char *lim = rend;
  uintptr_t end = (uintptr_t)(uc + 1);
  const struct extra_context *extra = NULL;
  for (;;) {
    struct _aarch64_ctx h;
    if ((size_t)(lim - p) < sizeof h) return 0;
    memcpy(&h, p, sizeof h);
    if (h.magic == 0) {
      if (!extra) return end;
      /* The extra data follows this terminator. */
      if (extra->datap != (uintptr_t)(p + sizeof h)) return 0;
      p = (const unsigned char *)(uintptr_t)extra->datap;
      lim = p + extra->size;
      if ((uintptr_t)lim > end) end = (uintptr_t)lim;
      extra = NULL;
      continue;
    }
    if (h.size < sizeof h || h.size % 16 || h.size > (size_t)(lim - p))
      return 0;
    switch (h.magic) {
    case FPSIMD_MAGIC:
    case ESR_MAGIC:
      break;
    case SVE_MAGIC:
      if (((const struct sve_context *)p)->flags & SVE_SIG_FLAG_SM) return 0;
      break;
    case ZA_MAGIC:
      if (h.size != sizeof(struct za_context)) return 0; /* ZA live */
      break;
    case MMK__TPIDR2_MAGIC: { /* a delivery enters with TPIDR2_EL0 = 0 */
      uint64_t v;
      if (h.size < sizeof h + sizeof v) return 0;
      memcpy(&v, p + sizeof h, sizeof v);
      if (v) return 0;
      break;
    }
    case EXTRA_MAGIC:
      if (lim != rend) return 0; /* only in __reserved, once */
      extra = (const struct extra_context *)p;
      break;
    default:
      return 0;
    }
    p += h.size;
  }
}

/* Whether si/ucv came straight from the kernel to us (not from a handler
 * that chained to us), on the alternate stack while the interrupted code
 * was not on it, and nothing (a shadow stack) forbids a hand-made frame. */
static int mmk__should_redeliver(const struct sigaction *prev,
                                 const siginfo_t *si, void *ucv, void *ret) {
  static const uint32_t tramp[2] = {0xd2801168u, 0xd4000001u};
  ucontext_t *uc = ucv;
  volatile char here = 0;
  uintptr_t lo, p = (uintptr_t)&here;
  unsigned long gcs = 0;
  if (!uc || (prev->sa_flags & SA_ONSTACK) || (void *)(si + 1) != ucv)
    return 0;
  if (memcmp((const void *)mmk__strip_pac((uintptr_t)ret), tramp,
             sizeof tramp) != 0)
    return 0;
  if (uc->uc_stack.ss_flags & (SS_DISABLE | SS_ONSTACK)) return 0;
  lo = (uintptr_t)uc->uc_stack.ss_sp;
  if (p < lo || p - lo >= uc->uc_stack.ss_size) return 0;
  /* A guarded control stack would reject the second sigreturn. */
  if (prctl(MMK__PR_GET_SHADOW_STACK_STATUS, &gcs, 0, 0, 0) == 0 && (gcs & 1))
    return 0;
  return mmk__frame_end(uc) != 0;
}

static void mmk__redeliver(const struct sigaction *prev, int sig,
                           const siginfo_t *si, ucontext_t *uc, void *ret) {
  mcontext_t *m = &uc->uc_mcontext;
  uintptr_t from = (uintptr_t)si, size = mmk__frame_end(uc) - from;
  uintptr_t sp = (m->sp - 16) & ~(uintptr_t)15, record = sp;
  intptr_t delta;
  siginfo_t *sic;
  ucontext_t *ucc;
  sigset_t mask = uc->uc_sigmask;
  ((uint64_t *)record)[0] = m->regs[29];
  ((uint64_t *)record)[1] = m->regs[30];
  sp = (sp - size) & ~(uintptr_t)15;
  memcpy((void *)sp, si, size);
  delta = (intptr_t)(sp - from);
  sic = (siginfo_t *)sp;
  ucc = (ucontext_t *)(sic + 1);
  {
    /* The copy's extra_context points at the copy's extra data. */
    unsigned char *p = ucc->uc_mcontext.__reserved;
    struct _aarch64_ctx h;
    for (memcpy(&h, p, sizeof h); h.magic; memcpy(&h, p, sizeof h)) {
      if (h.magic == EXTRA_MAGIC)
        ((struct extra_context *)p)->datap += (uint64_t)delta;
      p += h.size;
    }
  }

  mmk__live_tls.rec = (struct sigaction *)prev;
  mmk__live_tls.si = sic;
  mmk__live_tls.sp = (uintptr_t)sic;
  mmk__live_tls.mark = mmk__free_mark(&mask);
  sigorset(&mask, &mask, &prev->sa_mask);
  if (!(prev->sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
  if (mmk__live_tls.mark) sigaddset(&mask, mmk__live_tls.mark);
  uc->uc_sigmask = mask; /* what our sigreturn installs for the handler */
  m->regs[0] = (uint64_t)sig;
  m->regs[1] = (uint64_t)(uintptr_t)sic;
  m->regs[2] = (uint64_t)(uintptr_t)ucc;
  m->regs[29] = (uint64_t)record;
  m->regs[30] = (uint64_t)mmk__strip_pac((uintptr_t)ret);
  m->sp = (uint64_t)sp;
  m->pc = (uint64_t)(uintptr_t)prev->sa_sigaction;
  /* Entered as by a delivery: no branch-target check pending. */
  m->pstate &= ~(uint64_t)MMK__PSR_BTYPE;
}
#endif

#ifdef MMK__REDELIVER
/* A re-delivered handler that returns without repairing faults again at
 * once, and so does a handler on top of ours that hands back (see
 * mmk__sigbus) without restoring us: the relapse rule of mmk__call,
 * counted at our entry for the spot (addr, pc). */
static _Thread_local struct {
  uintptr_t addr, pc;
  unsigned count;
  int64_t when;
} mmk__redo_tls MMK__TLS_IE;

static void mmk__relapse_at(int sig, uintptr_t addr, uintptr_t pc) {
  int64_t now = mmk__mono_ns();
  if (mmk__redo_tls.addr == addr && mmk__redo_tls.pc == pc &&
      now - mmk__redo_tls.when < MMK__RELAPSE_NS) {
    if (++mmk__redo_tls.count >= MMK__RELAPSES) mmk__die_by_default(sig);
  } else {
    mmk__redo_tls.addr = addr;
    mmk__redo_tls.pc = pc;
    mmk__redo_tls.count = 1;
  }
  mmk__redo_tls.when = now;
}
/* A guarded fault recovered: the hand-backs before it made progress. */
#  define MMK__RELAPSE_RESET() (mmk__redo_tls.count = 0)
#else
#  define MMK__RELAPSE_RESET() ((void)0)
#endif

static void mmk__chain(int sig, siginfo_t *si, void *ucv, void *ret) {
  struct sigaction *prev =
      atomic_load_explicit(&mmk__prev_action, memory_order_acquire);
  int kernel_fault = si && si->si_code > 0;
  struct sigaction *back = mmk__handed_back(si, kernel_fault);

  if (back) {
    prev = mmk__older(back);
    /* A raise means it restored its previous handler: it uninstalled
     * itself, so the fault, retried, is chained past it from now on. */
    if (!kernel_fault)
      atomic_compare_exchange_strong(&mmk__prev_action, &back, prev);
  }
  if (!prev || (!(prev->sa_flags & SA_SIGINFO) &&
                prev->sa_handler == SIG_DFL)) {
    mmk__die_by_default(sig);
    return;
  }
  if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler == SIG_IGN) {
    /* A fault the kernel raised cannot be ignored (returning re-executes
     * the faulting instruction); the kernel itself kills the process in
     * that case, so do the same. A SIGBUS sent by kill() is ignored. */
    if (kernel_fault) mmk__die_by_default(sig);
    return;
  }
#ifdef MMK__REDELIVER
  if (kernel_fault && !back && mmk__should_redeliver(prev, si, ucv, ret)) {
    mmk__relapse_at(sig, (uintptr_t)si->si_addr, MMK__PC((ucontext_t *)ucv));
    mmk__redeliver(prev, sig, si, ucv, ret);
    return;
  }
#else
  (void)ret;
#endif
  mmk__call(prev, sig, si, ucv, kernel_fault);
}

#ifdef MMK__QUICK_GUARD
/* A fault of a quick routine on its guarded pages: resume at its exit.
 * The routines' arguments are still in their registers (see the contract
 * in arch/x86_64-sysv.S). */
static int mmk__quick_recover(siginfo_t *si, void *ucv) {
  greg_t *r = ((ucontext_t *)ucv)->uc_mcontext.gregs;
  uintptr_t exit = mmk__quick_resume(
      (uintptr_t)r[REG_RIP], (uintptr_t)si->si_addr, (uintptr_t)r[REG_RDI],
      (uintptr_t)r[REG_RDX], (uintptr_t)r[REG_RCX]);
  if (!exit) return 0;
  r[REG_RIP] = (greg_t)exit;
  return 1; /* sigreturn restores the interrupted mask too */
}
#endif

static void mmk__sigbus(int sig, siginfo_t *si, void *ucv) {
  struct mmk__guard *g = mmk__guard_cur;
  /* si_code > 0: raised by the kernel for this access (BUS_ADRERR...),
   * not sent by kill/sigqueue whose si_addr is meaningless. */
#ifdef MMK__QUICK_GUARD
  if (si && si->si_code > 0 && ucv && mmk__quick_recover(si, ucv)) {
    MMK__RELAPSE_RESET();
    return;
  }
#endif
  /* A later handler that got our fault first (installed over ours, not
   * re-asserted yet) may hand it back by restoring ours and raising again
   * (CPython's faulthandler). While this thread is inside a guarded access
   * such a raise (tgkill, not kill) is that access's fault: return, the
   * access faults again and now reaches the handler in place, ours. A
   * hand-back of our own chained call is not this case (see mmk__chain). */
  if (si && si->si_code == SI_TKILL && (g || mmk__quick_busy) &&
      si->si_pid == getpid() &&
      !mmk__handed_back(si, 0)) {
#ifdef MMK__REDELIVER
    /* If it did not put ours back, the retried fault comes to it again:
     * that loop gets the relapse rule. */
    struct sigaction cur;
    if (sigaction(SIGBUS, NULL, &cur) != 0 || !mmk__is_ours(&cur))
      mmk__relapse_at(sig, 1, 0);
#endif
    return;
  }
  if (g && si && si->si_code > 0) {
    if (mmk__in_guarded_pages((uintptr_t)si->si_addr, g->lo, g->hi)) {
      mmk__guard_cur = g->prev; /* disarm before leaving */
      MMK__RELAPSE_RESET();
      if (ucv)
        pthread_sigmask(SIG_SETMASK, &((ucontext_t *)ucv)->uc_sigmask, NULL);
      siglongjmp(g->env, 1);
    }
  }
  {
    int saved = errno;
    mmk__chain(sig, si, ucv, __builtin_return_address(0));
    errno = saved;
  }
}

void mmk__unix_install_lock(void) { pthread_mutex_lock(&mmk__install_mu); }
void mmk__unix_install_unlock(void) {
  pthread_mutex_unlock(&mmk__install_mu);
}

int mmk__unix_handler_is_ours(const struct sigaction *sa) {
  return mmk__is_ours(sa);
}

int mmk__os_guard_install(int mapping) {
  /* Only a mapping needs the watchdog (a process that merely loads a
   * binding, which installs the guard at once, gets no thread). */
  if (mapping) mmk__unix_watch_start();
  return mmk__unix_guard_assert();
}

int mmk__unix_guard_assert(void) {
  struct sigaction cur, ours, old;

  /* Cheap path: one sigaction query. */
  if (sigaction(SIGBUS, NULL, &cur) == 0 && mmk__is_ours(&cur)) return 0;

  pthread_mutex_lock(&mmk__install_mu);
  if (sigaction(SIGBUS, NULL, &cur) != 0) {
    int e = errno;
    pthread_mutex_unlock(&mmk__install_mu);
    return mmk__sys_error(e, "sigaction", "SIGBUS", NULL);
  }
  if (mmk__is_ours(&cur)) {
    pthread_mutex_unlock(&mmk__install_mu);
    return 0;
  }
  /* Publish what we chain to before our handler can run. */
  mmk__set_prev_if_new(&cur);

  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = mmk__sigbus;
  sigemptyset(&ours.sa_mask);
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
  if (sigaction(SIGBUS, &ours, &old) != 0) {
    int e = errno;
    pthread_mutex_unlock(&mmk__install_mu);
    return mmk__sys_error(e, "sigaction", "SIGBUS", NULL);
  }
#if defined(MMK__REDELIVER) && defined(__x86_64__)
  {
    struct sigaction now;
    if (sigaction(SIGBUS, NULL, &now) == 0 && mmk__is_ours(&now))
      mmk__restorer = now.sa_restorer; /* what the kernel returns us to */
  }
#endif
  /* Someone outside this lock changed it between query and install: chain
   * to what was really there. */
  if (!mmk__is_ours(&old) &&
      (old.sa_flags != cur.sa_flags ||
       ((old.sa_flags & SA_SIGINFO)
            ? old.sa_sigaction != cur.sa_sigaction
            : old.sa_handler != cur.sa_handler))) {
    mmk__set_prev_if_new(&old);
  }
  pthread_mutex_unlock(&mmk__install_mu);
  return 0;
}
