/*
 * The quick guard routines for x86-64 with the System V calling
 * convention (Linux): small copies and the atomics on a view, resumable
 * after a fault without a jump buffer.
 *
 * The contract with the fault handler (unix_fault.c, through
 * mmk__quick_resume in guard.c), which holds for every instruction from a
 * routine's entry to its exit label:
 * - only accesses to the guarded bytes can fault: those of the view at
 *   guard_p (the copy: [guard_p, guard_p + n), rcx and rdx) or the word at
 *   p (the atomics: 8 bytes at rdi); the caller's own memory is touched
 *   only where a fault there is not ours to excuse (the handler checks the
 *   fault address against the guarded pages);
 * - the registers that name the guarded bytes are never written (rdi, rsi,
 *   rdx, rcx in the copy; rdi in the atomics), so the handler can read the
 *   range from the interrupted context: no thread-local record;
 * - no routine touches the stack or calls out: resuming at the exit label
 *   with the interrupted rsp returns to the caller with eax = 1.
 * The PC ranges are [mmk__quick_guarded_move, mmk__quick_guard_exit) and
 * [mmk__quick_atomics, mmk__quick_atomic_exit).
 *
 * C prototypes (internal.h): each returns 0, or 1 after a fault.
 *   int mmk__quick_guarded_move(void *dst, const void *src, size_t n,
 *                               const void *guard_p);     n <= 64
 *   int mmk__qa_load32(const void *p, uint32_t *out);     and 64
 *   int mmk__qa_store32(void *p, uint32_t value);         and 64
 *   int mmk__qa_xadd32(void *p, uint32_t delta, uint32_t *old);
 *   int mmk__qa_cas32(void *p, uint32_t expected, uint32_t desired,
 *                     uint32_t *current);
 * x86-64 loads are acquire and stores release as they are; the locked
 * instructions are sequentially consistent: the orderings mmapkit.h gives.
 * The atomics also set the thread-local mmk__quick_busy while they run
 * (the copy's inline wrapper does it around the copy), so the handler
 * knows a hand-back from a handler installed over ours (unix_fault.c).
 */
#if defined(__CET__)
#  include <cet.h> /* the IBT/SHSTK property note and _CET_ENDBR */
#else
#  define _CET_ENDBR
#endif

#define FN(name)                                                              \
  .globl name;                                                                \
  .hidden name;                                                               \
  .type name, @function;                                                      \
  name:                                                                       \
  .cfi_startproc;                                                             \
  _CET_ENDBR
#define END(name)                                                             \
  .cfi_endproc;                                                               \
  .size name, .-name

#define LABEL(name)                                                           \
  .globl name;                                                                \
  .hidden name;                                                               \
  name:

  .text

/* memmove semantics: each size class loads everything (overlapping head
 * and tail words) before it stores. On a cache line of its own start: the
 * 8- and 16-byte paths, the hot ones, then sit in its first 64 bytes. */
  .p2align 6
FN(mmk__quick_guarded_move)
  cmpq $16, %rdx
  ja 5f
  cmpq $8, %rdx
  jb 2f
  movq (%rsi), %r8
  movq -8(%rsi,%rdx), %r9
  movq %r8, (%rdi)
  movq %r9, -8(%rdi,%rdx)
  xorl %eax, %eax
  ret
2:cmpq $4, %rdx
  jb 3f
  movl (%rsi), %r8d
  movl -4(%rsi,%rdx), %r9d
  movl %r8d, (%rdi)
  movl %r9d, -4(%rdi,%rdx)
  xorl %eax, %eax
  ret
3:cmpq $2, %rdx
  jb 4f
  movzwl (%rsi), %r8d
  movzwl -2(%rsi,%rdx), %r9d
  movw %r8w, (%rdi)
  movw %r9w, -2(%rdi,%rdx)
  xorl %eax, %eax
  ret
4:testq %rdx, %rdx
  je 1f
  movzbl (%rsi), %r8d
  movb %r8b, (%rdi)
1:xorl %eax, %eax
  ret
5:cmpq $32, %rdx
  ja 6f
  movdqu (%rsi), %xmm0
  movdqu -16(%rsi,%rdx), %xmm1
  movdqu %xmm0, (%rdi)
  movdqu %xmm1, -16(%rdi,%rdx)
  xorl %eax, %eax
  ret
6:movdqu (%rsi), %xmm0
  movdqu 16(%rsi), %xmm1
  movdqu -32(%rsi,%rdx), %xmm2
  movdqu -16(%rsi,%rdx), %xmm3
  movdqu %xmm0, (%rdi)
  movdqu %xmm1, 16(%rdi)
  movdqu %xmm2, -32(%rdi,%rdx)
  movdqu %xmm3, -16(%rdi,%rdx)
  xorl %eax, %eax
  ret
LABEL(mmk__quick_guard_exit)
  movl $1, %eax
  ret
END(mmk__quick_guarded_move) /* the exit is part of it */

/* mmk__quick_busy = v (r9 is free in every atomic). */
#define BUSY(v)                                                               \
  movq mmk__quick_busy@gottpoff(%rip), %r9;                                   \
  movl $v, %fs:(%r9)

  .p2align 4
LABEL(mmk__quick_atomics)
FN(mmk__qa_load32)
  BUSY(1)
  movl (%rdi), %r8d
  movl %r8d, (%rsi)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_load32)

FN(mmk__qa_load64)
  BUSY(1)
  movq (%rdi), %r8
  movq %r8, (%rsi)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_load64)

FN(mmk__qa_store32)
  BUSY(1)
  movl %esi, (%rdi)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_store32)

FN(mmk__qa_store64)
  BUSY(1)
  movq %rsi, (%rdi)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_store64)

FN(mmk__qa_xadd32)
  BUSY(1)
  movl %esi, %r8d
  lock xaddl %r8d, (%rdi)
  movl %r8d, (%rdx)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_xadd32)

FN(mmk__qa_xadd64)
  BUSY(1)
  movq %rsi, %r8
  lock xaddq %r8, (%rdi)
  movq %r8, (%rdx)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_xadd64)

FN(mmk__qa_cas32)
  BUSY(1)
  movl %esi, %eax
  lock cmpxchgl %edx, (%rdi)
  movl %eax, (%rcx)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_cas32)

FN(mmk__qa_cas64)
  BUSY(1)
  movq %rsi, %rax
  lock cmpxchgq %rdx, (%rdi)
  movq %rax, (%rcx)
  BUSY(0)
  xorl %eax, %eax
  ret
END(mmk__qa_cas64)

FN(mmk__quick_atomic_exit)
  BUSY(0)
  movl $1, %eax
  ret
END(mmk__quick_atomic_exit)

  .section .note.GNU-stack, "", @progbits
