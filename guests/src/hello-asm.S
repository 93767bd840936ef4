// hello-asm: the smallest useful guest. No libc, no stack use: write(2) then
// exit(2) through raw SVCs, so it exercises only the loader, the EL0->host
// syscall path and two syscalls. AArch64 Linux ABI: number in x8, args x0-x5.
    .equ __NR_write, 64
    .equ __NR_exit, 93

    .text
    .global _start
_start:
    mov     x0, #1                  // fd = stdout
    adr     x1, msg
    mov     x2, #msg_len
    mov     x8, #__NR_write
    svc     #0
    mov     x0, #0
    mov     x8, #__NR_exit
    svc     #0

    .section .rodata
msg:
    .ascii  "Hello from aarch64 assembly\n"
    .equ    msg_len, . - msg
