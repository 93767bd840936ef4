// rwx-segment: linked with ld -n, so text, data and .bss share one
// read-write-execute PT_LOAD segment (and the same page). Stores into .bss
// and .data next to the running code, then writes what it stored.
	.global _start
	.text
_start:
	adr	x1, counter
	mov	w2, #3
1:	ldr	w3, [x1]
	add	w3, w3, #1
	str	w3, [x1]
	subs	w2, w2, #1
	b.ne	1b
	ldr	w3, [x1]
	add	w3, w3, #'0'
	adr	x1, msg
	strb	w3, [x1, #8]
	mov	x0, #1
	mov	x2, #10
	mov	x8, #64
	svc	#0
	mov	x0, #0
	mov	x8, #93
	svc	#0
	.data
msg:	.ascii	"counter ?\n"
	.bss
	.balign	4
counter:	.skip	4
