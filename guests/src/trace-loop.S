// trace-loop: a guest whose instruction path depends on nothing outside it
// (no libc, no auxv or environment reads), for the instruction-trace test:
// a counted loop with a call and a return, loads and stores to the stack,
// a conditional branch, a write(2) and exit(2). (Built with ld -n, text and
// data share one segment, so it writes only to its stack.)
    .equ __NR_write, 64
    .equ __NR_exit, 93

    .text
    .global _start
_start:
    sub     sp, sp, #16
    mov     x19, sp
    mov     x20, #5                 // iterations
    mov     x21, #0
1:  mov     x0, x20
    bl      square
    add     x21, x21, x0
    str     x21, [x19]
    sub     x20, x20, #1
    cbnz    x20, 1b
    ldr     x1, [x19]
    cmp     x1, #55                 // 25+16+9+4+1
    b.ne    2f
    mov     x0, #1
    adr     x1, ok
    mov     x2, #3
    mov     x8, #__NR_write
    svc     #0
2:  mov     x0, x21
    mov     x8, #__NR_exit
    svc     #0

square:
    stp     x29, x30, [sp, #-16]!
    mul     x0, x0, x0
    ldp     x29, x30, [sp], #16
    ret

    .section .rodata
ok: .ascii "ok\n"
