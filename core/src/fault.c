/*
 * The SIGBUS fault guard.
 *
 * Touching a mapped page that has no backing any more (file truncated by
 * another process, I/O error, disk full on a sparse page) raises SIGBUS.
 * The guarded copies must turn that into MMK_EIO, inside processes whose
 * runtimes (JVM, .NET, CPython's faulthandler) have their own SIGBUS
 * handlers. So:
 *
 * - one process-wide handler (SA_SIGINFO | SA_ONSTACK | SA_NODEFER),
 *   installed once and re-installed by mmk_fault_guard_install when
 *   somebody replaced it (the newcomer is then the handler chained to);
 * - a thread-local pointer (initial-exec TLS: a dlopen'ed library's
 *   dynamic TLS access may allocate, which a signal handler must not do)
 *   to a guard record on the stack of the copying thread: jump buffer and
 *   the armed address range. It is non-NULL only inside a guarded copy;
 * - sigsetjmp(env, 0) on the fast path (no sigprocmask system call); on
 *   the fault path the handler restores the interrupted signal mask from
 *   the ucontext and siglongjmps;
 * - any other SIGBUS (another thread, another address, sent with kill) is
 *   passed exactly to the previous disposition, as the kernel would have
 *   delivered it (its mask; its stack, see mmk__redeliver). SIGSEGV is
 *   never touched;
 * - a handler installed after ours may get a guarded fault first: the
 *   guard is re-asserted by mmk_map and long copies, and a fault handed
 *   back to us (by a call, or restore-and-raise) is still recognised.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h> /* ucontext_t comes with <signal.h> */
#include <sys/syscall.h>
#if defined(__linux__)
#  include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

_Thread_local struct mmk__guard *mmk__guard_cur MMK__TLS_IE = NULL;
_Thread_local int mmk__quick_busy MMK__TLS_IE = 0;

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
static int mmk__should_redeliver(const struct sigaction *prev, void *ucv,
                                 void *ret) {
  ucontext_t *uc = ucv;
  volatile char here = 0;
  uintptr_t lo, p = (uintptr_t)&here;
  unsigned long shstk = 0;
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
                           const siginfo_t *si, ucontext_t *uc) {
  greg_t *r = uc->uc_mcontext.gregs;
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  size_t fpsize = 0;
  uintptr_t sp = (uintptr_t)r[REG_RSP] - 128; /* below the red zone */
  unsigned char *fpc = NULL;
  siginfo_t *sic;
  ucontext_t *ucc;
  sigset_t mask = uc->uc_sigmask;
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
  if (kernel_fault && !back && mmk__should_redeliver(prev, ucv, ret)) {
    mmk__relapse_at(sig, (uintptr_t)si->si_addr,
                    (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP]);
    mmk__redeliver(prev, sig, si, ucv);
    return;
  }
#else
  (void)ret;
#endif
  mmk__call(prev, sig, si, ucv, kernel_fault);
}

/* Whether fault address a lies in the pages of the guarded bytes
 * [lo, hi): those pages belong to the view's mapping, and a vectorised copy
 * may touch any byte of them, so the fast paths do no page arithmetic. */
static int mmk__in_guarded_pages(uintptr_t a, uintptr_t lo, uintptr_t hi) {
  /* Set by mmk_map before any view (and so any guard) exists; 1 keeps
   * the exact range should it ever be 0. */
  uintptr_t pg =
      (uintptr_t)atomic_load_explicit(&mmk__page_size, memory_order_relaxed);
  uintptr_t mask = pg ? ~(pg - 1) : ~(uintptr_t)0;
  lo &= mask;
  hi = hi > (UINTPTR_MAX & mask) ? UINTPTR_MAX : (hi + ~mask) & mask;
  return a >= lo && a < hi;
}

#ifdef MMK__QUICK_GUARD
#  ifdef __CET__
#    define QUICK_ENDBR "  endbr64\n"
#  else
#    define QUICK_ENDBR ""
#  endif
/* A hidden leaf function of the quick blocks below. */
#  define QUICK_FN(name)                                                      \
  "  .globl " name "\n"                                                       \
  "  .hidden " name "\n"                                                      \
  "  .type " name ", @function\n"                                             \
  name ":\n"                                                                  \
  "  .cfi_startproc\n" QUICK_ENDBR
#  define QUICK_END(name)                                                     \
  "  .cfi_endproc\n"                                                          \
  "  .size " name ", .-" name "\n"

/* int mmk__quick_guarded_move(void *dst, const void *src, size_t n,
 *                             const void *guard_p), n <= 64.
 * A leaf that never touches the stack and never writes rdi, rsi, rdx or
 * rcx: every instruction from its entry to mmk__quick_guard_exit may fault
 * on the view's pages, and the handler then sets the PC to that exit,
 * which returns 1. Memmove semantics: each size class loads everything
 * (overlapping head and tail words) before it stores. */
__asm__(
    "  .pushsection .text\n"
    "  .p2align 4\n"
    QUICK_FN("mmk__quick_guarded_move")
    "  cmpq $16, %rdx\n"
    "  ja 5f\n"
    "  cmpq $8, %rdx\n"
    "  jb 2f\n"
    "  movq (%rsi), %r8\n"
    "  movq -8(%rsi,%rdx), %r9\n"
    "  movq %r8, (%rdi)\n"
    "  movq %r9, -8(%rdi,%rdx)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    "2:cmpq $4, %rdx\n"
    "  jb 3f\n"
    "  movl (%rsi), %r8d\n"
    "  movl -4(%rsi,%rdx), %r9d\n"
    "  movl %r8d, (%rdi)\n"
    "  movl %r9d, -4(%rdi,%rdx)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    "3:cmpq $2, %rdx\n"
    "  jb 4f\n"
    "  movzwl (%rsi), %r8d\n"
    "  movzwl -2(%rsi,%rdx), %r9d\n"
    "  movw %r8w, (%rdi)\n"
    "  movw %r9w, -2(%rdi,%rdx)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    "4:testq %rdx, %rdx\n"
    "  je 1f\n"
    "  movzbl (%rsi), %r8d\n"
    "  movb %r8b, (%rdi)\n"
    "1:xorl %eax, %eax\n"
    "  ret\n"
    "5:cmpq $32, %rdx\n"
    "  ja 6f\n"
    "  movdqu (%rsi), %xmm0\n"
    "  movdqu -16(%rsi,%rdx), %xmm1\n"
    "  movdqu %xmm0, (%rdi)\n"
    "  movdqu %xmm1, -16(%rdi,%rdx)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    "6:movdqu (%rsi), %xmm0\n"
    "  movdqu 16(%rsi), %xmm1\n"
    "  movdqu -32(%rsi,%rdx), %xmm2\n"
    "  movdqu -16(%rsi,%rdx), %xmm3\n"
    "  movdqu %xmm0, (%rdi)\n"
    "  movdqu %xmm1, 16(%rdi)\n"
    "  movdqu %xmm2, -32(%rdi,%rdx)\n"
    "  movdqu %xmm3, -16(%rdi,%rdx)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    "  .globl mmk__quick_guard_exit\n"
    "  .hidden mmk__quick_guard_exit\n"
    "mmk__quick_guard_exit:\n"
    "  movl $1, %eax\n"
    "  ret\n"
    QUICK_END("mmk__quick_guarded_move") /* the exit is part of it */
    "  .popsection\n");

/* The atomics on a view word, in the same style: a fault can only come
 * from the access to the word at rdi (at most 8 bytes, naturally aligned:
 * one page), which no routine writes before it; the results go through the
 * other pointer arguments after the access. x86-64 loads are acquire and
 * stores release as they are; the locked instructions are sequentially
 * consistent. Each returns 0, or 1 from mmk__quick_atomic_exit. Each
 * sets mmk__quick_busy while it runs (r9 is free in all of them), as the
 * inline wrapper does around the copy routine. */
#  define QUICK_BUSY(v)                                                       \
  "  movq mmk__quick_busy@gottpoff(%rip), %r9\n"                              \
  "  movl $" v ", %fs:(%r9)\n"
__asm__(
    "  .pushsection .text\n"
    "  .p2align 4\n"
    "  .globl mmk__quick_atomics\n"
    "  .hidden mmk__quick_atomics\n"
    "mmk__quick_atomics:\n"
    QUICK_FN("mmk__qa_load32")
    QUICK_BUSY("1")
    "  movl (%rdi), %r8d\n"
    "  movl %r8d, (%rsi)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_load32")
    QUICK_FN("mmk__qa_load64")
    QUICK_BUSY("1")
    "  movq (%rdi), %r8\n"
    "  movq %r8, (%rsi)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_load64")
    QUICK_FN("mmk__qa_store32")
    QUICK_BUSY("1")
    "  movl %esi, (%rdi)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_store32")
    QUICK_FN("mmk__qa_store64")
    QUICK_BUSY("1")
    "  movq %rsi, (%rdi)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_store64")
    QUICK_FN("mmk__qa_xadd32")
    QUICK_BUSY("1")
    "  movl %esi, %r8d\n"
    "  lock xaddl %r8d, (%rdi)\n"
    "  movl %r8d, (%rdx)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_xadd32")
    QUICK_FN("mmk__qa_xadd64")
    QUICK_BUSY("1")
    "  movq %rsi, %r8\n"
    "  lock xaddq %r8, (%rdi)\n"
    "  movq %r8, (%rdx)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_xadd64")
    QUICK_FN("mmk__qa_cas32")
    QUICK_BUSY("1")
    "  movl %esi, %eax\n"
    "  lock cmpxchgl %edx, (%rdi)\n"
    "  movl %eax, (%rcx)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_cas32")
    QUICK_FN("mmk__qa_cas64")
    QUICK_BUSY("1")
    "  movq %rsi, %rax\n"
    "  lock cmpxchgq %rdx, (%rdi)\n"
    "  movq %rax, (%rcx)\n"
    QUICK_BUSY("0")
    "  xorl %eax, %eax\n"
    "  ret\n"
    QUICK_END("mmk__qa_cas64")
    "  .globl mmk__quick_atomic_exit\n"
    "  .hidden mmk__quick_atomic_exit\n"
    "  .type mmk__quick_atomic_exit, @function\n"
    "mmk__quick_atomic_exit:\n"
    "  .cfi_startproc\n"
    QUICK_BUSY("0")
    "  movl $1, %eax\n"
    "  ret\n"
    "  .cfi_endproc\n"
    "  .size mmk__quick_atomic_exit, .-mmk__quick_atomic_exit\n"
    "  .popsection\n");

extern const char mmk__quick_guard_exit[] MMK__HIDDEN;
extern const char mmk__quick_atomics[] MMK__HIDDEN;
extern const char mmk__quick_atomic_exit[] MMK__HIDDEN;

/* A fault of a quick routine on its guarded pages: resume at its exit. */
static int mmk__quick_guard_recover(siginfo_t *si, void *ucv) {
  greg_t *r = ((ucontext_t *)ucv)->uc_mcontext.gregs;
  uintptr_t pc = (uintptr_t)r[REG_RIP], lo, hi;
  const char *exit;
  if (pc >= (uintptr_t)&mmk__quick_guarded_move &&
      pc < (uintptr_t)mmk__quick_guard_exit) {
    lo = (uintptr_t)r[REG_RCX];
    hi = lo + (uintptr_t)r[REG_RDX];
    exit = mmk__quick_guard_exit;
  } else if (pc >= (uintptr_t)mmk__quick_atomics &&
             pc < (uintptr_t)mmk__quick_atomic_exit) {
    lo = (uintptr_t)r[REG_RDI];
    hi = lo + 8;
    exit = mmk__quick_atomic_exit;
  } else {
    return 0;
  }
  if (!mmk__in_guarded_pages((uintptr_t)si->si_addr, lo, hi))
    return 0; /* the caller's own memory: not ours to excuse */
  r[REG_RIP] = (greg_t)(uintptr_t)exit;
  return 1; /* sigreturn restores the interrupted mask too */
}
#endif

static void mmk__sigbus(int sig, siginfo_t *si, void *ucv) {
  struct mmk__guard *g = mmk__guard_cur;
  /* si_code > 0: raised by the kernel for this access (BUS_ADRERR...),
   * not sent by kill/sigqueue whose si_addr is meaningless. */
#ifdef MMK__QUICK_GUARD
  if (si && si->si_code > 0 && ucv && mmk__quick_guard_recover(si, ucv)) {
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

/* The watchdog thread ("mmk-guard"). A handler installed over ours that
 * returns without chaining (signal.signal, sun.misc.Signal) turns a small
 * guarded access that faults into a loop inside that handler, with no
 * mmapkit code running, and a sigaction query per small access would cost
 * far more than the access. So one thread, started by the first mmk_map,
 * queries the disposition every period and re-asserts ours when it
 * changed: the looping access then faults into ours and returns MMK_EIO.
 * A change that is back at once after a re-assert, again and again (a
 * runtime that re-installs its own handler), doubles the period up to
 * 1 s, so the two never fight faster than that; a change after a quiet
 * spell starts again at the base period. All signals are blocked in it;
 * a forked child starts its own at its next map; MMAPKIT_GUARD_WATCH_MS
 * sets the period (0: no thread). */
#define MMK__WATCH_MS_DEFAULT 20
#define MMK__WATCH_MAX_NS 1000000000LL
#define MMK__WATCH_STREAK 4

enum { MMK__WATCH_NONE, MMK__WATCH_RUNNING, MMK__WATCH_OFF };
static _Atomic int mmk__watch_state; /* in this process */
static pthread_mutex_t mmk__watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mmk__watch_cv;
static pthread_condattr_t mmk__watch_cva; /* MMK__WATCH_CLOCK */
static pthread_once_t mmk__watch_once = PTHREAD_ONCE_INIT;
static pthread_t mmk__watch_tid;
static int mmk__watch_stop;        /* under mmk__watch_mu */
static int64_t mmk__watch_base_ns; /* set before the thread starts */

static int mmk__guard_assert(void);

/* The clock of the condition variable's deadlines. */
#if defined(__APPLE__)
#  define MMK__WATCH_CLOCK CLOCK_REALTIME /* no pthread_condattr_setclock */
#else
#  define MMK__WATCH_CLOCK CLOCK_MONOTONIC
#endif

static int64_t mmk__watch_now(void) {
  struct timespec ts;
  clock_gettime(MMK__WATCH_CLOCK, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *mmk__watch_main(void *arg) {
  int64_t period = mmk__watch_base_ns, next = mmk__watch_now(), last = 0;
  unsigned streak = 0; /* re-asserts, each soon after the one before */
  (void)arg;
#if defined(__APPLE__)
  pthread_setname_np("mmk-guard"); /* Linux: named by its creator */
#elif defined(__linux__)
  /* Its wake-ups may be batched with others' (1 ms against its period). */
  prctl(PR_SET_TIMERSLACK, 1000000UL, 0, 0, 0);
#endif
  pthread_mutex_lock(&mmk__watch_mu);
  while (!mmk__watch_stop) {
    struct timespec until;
    struct sigaction cur;
    int64_t now;
    next += period;
    until.tv_sec = (time_t)(next / 1000000000);
    until.tv_nsec = (long)(next % 1000000000);
    while (!mmk__watch_stop &&
           pthread_cond_timedwait(&mmk__watch_cv, &mmk__watch_mu, &until) !=
               ETIMEDOUT) {
    } /* a spurious wake-up waits again for the same deadline */
    if (mmk__watch_stop) break;
    pthread_mutex_unlock(&mmk__watch_mu);
    now = mmk__watch_now();
    if (next < now - period) next = now; /* stopped a while: no catching up */
    if (sigaction(SIGBUS, NULL, &cur) == 0 && !mmk__is_ours(&cur)) {
      /* Back within two periods of our last re-assert, a few times in a
       * row: a fight (a program installing its handlers one after the
       * other is not). */
      streak = last && now - last <= 2 * period ? streak + 1 : 0;
      if (streak < MMK__WATCH_STREAK)
        period = mmk__watch_base_ns;
      else if (period < MMK__WATCH_MAX_NS / 2)
        period *= 2;
      else
        period = MMK__WATCH_MAX_NS;
      last = now;
      next = now;
      mmk__guard_assert();
    }
    pthread_mutex_lock(&mmk__watch_mu);
  }
  pthread_mutex_unlock(&mmk__watch_mu);
  return NULL;
}

/* fork: the child has no watchdog; no lock may be left held in it. */
static void mmk__watch_prepare(void) {
  pthread_mutex_lock(&mmk__install_mu);
  pthread_mutex_lock(&mmk__watch_mu);
}
static void mmk__watch_parent(void) {
  pthread_mutex_unlock(&mmk__watch_mu);
  pthread_mutex_unlock(&mmk__install_mu);
}
static void mmk__watch_child(void) {
  pthread_mutex_unlock(&mmk__watch_mu);
  pthread_mutex_unlock(&mmk__install_mu);
  pthread_cond_init(&mmk__watch_cv, &mmk__watch_cva); /* no waiter here */
  atomic_store_explicit(&mmk__watch_state, MMK__WATCH_NONE,
                        memory_order_relaxed);
}

static void mmk__watch_init(void) {
  pthread_condattr_init(&mmk__watch_cva);
#if !defined(__APPLE__)
  pthread_condattr_setclock(&mmk__watch_cva, MMK__WATCH_CLOCK);
#endif
  pthread_cond_init(&mmk__watch_cv, &mmk__watch_cva);
  pthread_atfork(mmk__watch_prepare, mmk__watch_parent, mmk__watch_child);
}

/* ThreadSanitizer kills a fork child of a multi-threaded process when the
 * child starts a thread, so a TSan build of mmapkit starts the watchdog
 * only when MMAPKIT_GUARD_WATCH_MS asks for it (its own tests do). */
#if defined(__SANITIZE_THREAD__)
#  define MMK__WATCH_DEFAULT_ON 0
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define MMK__WATCH_DEFAULT_ON 0
#  endif
#endif
#ifndef MMK__WATCH_DEFAULT_ON
#  define MMK__WATCH_DEFAULT_ON 1
#endif

static MMK__NOINLINE void mmk__watch_start(void) {
  sigset_t all, old;
  const char *env;
  long ms = MMK__WATCH_DEFAULT_ON ? MMK__WATCH_MS_DEFAULT : 0;
  pthread_once(&mmk__watch_once, mmk__watch_init);
  pthread_mutex_lock(&mmk__watch_mu);
  if (atomic_load_explicit(&mmk__watch_state, memory_order_relaxed) !=
      MMK__WATCH_NONE) {
    pthread_mutex_unlock(&mmk__watch_mu);
    return;
  }
  env = getenv("MMAPKIT_GUARD_WATCH_MS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == '\0' && v >= 0) ms = v > 1000 ? 1000 : v;
  }
  if (ms == 0) {
    atomic_store_explicit(&mmk__watch_state, MMK__WATCH_OFF,
                          memory_order_release);
    pthread_mutex_unlock(&mmk__watch_mu);
    return;
  }
  mmk__watch_base_ns = (int64_t)ms * 1000000;
  mmk__watch_stop = 0;
  /* Created with every signal blocked, which it inherits: no signal meant
   * for the process is ever delivered to it. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  if (pthread_create(&mmk__watch_tid, NULL, mmk__watch_main, NULL) == 0) {
#if defined(__linux__)
    pthread_setname_np(mmk__watch_tid, "mmk-guard"); /* seen at once */
#endif
    atomic_store_explicit(&mmk__watch_state, MMK__WATCH_RUNNING,
                          memory_order_release);
  }
  /* else: no thread now; the next install tries again */
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_mutex_unlock(&mmk__watch_mu);
}

/* At exit or unload: the thread runs this library's code, so it ends
 * before the code goes away. */
__attribute__((destructor)) static void mmk__watch_fini(void) {
  if (atomic_load_explicit(&mmk__watch_state, memory_order_acquire) !=
      MMK__WATCH_RUNNING)
    return;
  pthread_mutex_lock(&mmk__watch_mu);
  mmk__watch_stop = 1;
  pthread_cond_signal(&mmk__watch_cv);
  pthread_mutex_unlock(&mmk__watch_mu);
  pthread_join(mmk__watch_tid, NULL);
  /* A map from a later destructor starts none again. */
  atomic_store_explicit(&mmk__watch_state, MMK__WATCH_OFF,
                        memory_order_relaxed);
}

/* Only a mapping needs the watchdog (a process that merely loads a
 * binding, which installs the guard at once, gets no thread). */
int mmk_fault_guard_install(void) { return mmk__guard_assert(); }

int mmk__fault_guard_install(void) {
  if (MMK__UNLIKELY(atomic_load_explicit(&mmk__watch_state,
                                         memory_order_acquire) ==
                    MMK__WATCH_NONE))
    mmk__watch_start();
  return mmk__guard_assert();
}

static int mmk__guard_assert(void) {
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
#ifdef MMK__REDELIVER
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

/* Off the hot path (mmk_view_read/write and the atomics expand the guard
 * in their own frames). memmove because source and destination may lie in
 * the same view. */
int mmk__guarded_copy(void *dst, const void *src, size_t n,
                      const void *guard_p) {
  int faulted;
  MMK__GUARDED(guard_p, n, faulted, MMK__GUARDED_MOVE(dst, src, n));
  return faulted;
}
