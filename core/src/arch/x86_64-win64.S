/*
 * The quick guarded routines for x86-64 Windows (Win64 ABI: arguments in
 * rcx, rdx, r8, r9; rax, rcx, rdx, r8-r11 volatile; rdi, rsi preserved).
 * Same contract as the Linux ones: every instruction between a routine
 * group's start and its exit may fault on the view's pages; the vectored
 * exception handler (win32_guard.c) recognises the PC, checks the fault
 * address against the guarded range read from the registers that hold it
 * here (the move: r8 = n, r9 = guard_p, never written; an atomic: rcx =
 * the word, never written), and resumes at the group's exit, which
 * returns 1. No routine touches the stack, so none needs unwind data.
 */
	.text

	.macro FN name
	.globl \name
	.def \name; .scl 2; .type 32; .endef
\name:
	.endm

/* int mmk__quick_guarded_move(void *dst, const void *src, size_t n,
 *                             const void *guard_p), any n, memmove
 * semantics. Up to 16 bytes: head and tail words loaded before either
 * store (overlap-safe). More: rep movsb, forward, or backward (std) when
 * dst lies inside [src, src + n). rdi and rsi are kept in r10 and r11 for
 * the whole routine, so the exit can restore them whatever faulted. */
	.p2align 4
FN mmk__quick_guarded_move
	movq %rdi, %r10
	movq %rsi, %r11
	cmpq $16, %r8
	ja 5f
	cmpq $8, %r8
	jb 2f
	movq (%rdx), %rax
	movq -8(%rdx,%r8), %rdx
	movq %rax, (%rcx)
	movq %rdx, -8(%rcx,%r8)
	xorl %eax, %eax
	ret
2:	cmpq $4, %r8
	jb 3f
	movl (%rdx), %eax
	movl -4(%rdx,%r8), %edx
	movl %eax, (%rcx)
	movl %edx, -4(%rcx,%r8)
	xorl %eax, %eax
	ret
3:	cmpq $2, %r8
	jb 4f
	movzwl (%rdx), %eax
	movzwl -2(%rdx,%r8), %edx
	movw %ax, (%rcx)
	movw %dx, -2(%rcx,%r8)
	xorl %eax, %eax
	ret
4:	testq %r8, %r8
	je 1f
	movzbl (%rdx), %eax
	movb %al, (%rcx)
1:	xorl %eax, %eax
	ret
5:	movq %rcx, %rax
	subq %rdx, %rax
	cmpq %r8, %rax
	jb 6f                     /* 0 < dst - src < n: copy backwards */
	movq %rcx, %rdi
	movq %rdx, %rsi
	movq %r8, %rcx
	rep movsb
	movq %r10, %rdi
	movq %r11, %rsi
	xorl %eax, %eax
	ret
6:	leaq -1(%rcx,%r8), %rdi
	leaq -1(%rdx,%r8), %rsi
	movq %r8, %rcx
	std
	rep movsb
	cld
	movq %r10, %rdi
	movq %r11, %rsi
	xorl %eax, %eax
	ret
FN mmk__quick_guard_exit
	cld
	movq %r10, %rdi
	movq %r11, %rsi
	movl $1, %eax
	ret

/* The atomics on the naturally aligned view word at rcx (one page: the
 * only access that may fault); results go out through the other pointer
 * arguments after it. x86-64 loads are acquire and stores release as
 * they are; the locked instructions are sequentially consistent. */
	.p2align 4
FN mmk__quick_atomics
FN mmk__qa_load32              /* (p, uint32_t *out) */
	movl (%rcx), %eax
	movl %eax, (%rdx)
	xorl %eax, %eax
	ret
FN mmk__qa_load64              /* (p, uint64_t *out) */
	movq (%rcx), %rax
	movq %rax, (%rdx)
	xorl %eax, %eax
	ret
FN mmk__qa_store32             /* (p, uint32_t value) */
	movl %edx, (%rcx)
	xorl %eax, %eax
	ret
FN mmk__qa_store64             /* (p, uint64_t value) */
	movq %rdx, (%rcx)
	xorl %eax, %eax
	ret
FN mmk__qa_xadd32              /* (p, uint32_t delta, uint32_t *old) */
	movl %edx, %eax
	lock xaddl %eax, (%rcx)
	movl %eax, (%r8)
	xorl %eax, %eax
	ret
FN mmk__qa_xadd64              /* (p, uint64_t delta, uint64_t *old) */
	movq %rdx, %rax
	lock xaddq %rax, (%rcx)
	movq %rax, (%r8)
	xorl %eax, %eax
	ret
FN mmk__qa_cas32               /* (p, expected, desired, uint32_t *cur) */
	movl %edx, %eax
	lock cmpxchgl %r8d, (%rcx)
	movl %eax, (%r9)
	xorl %eax, %eax
	ret
FN mmk__qa_cas64               /* (p, expected, desired, uint64_t *cur) */
	movq %rdx, %rax
	lock cmpxchgq %r8, (%rcx)
	movq %rax, (%r9)
	xorl %eax, %eax
	ret
FN mmk__quick_atomic_exit
	movl $1, %eax
	ret
