//go:build !noasm

#include "textflag.h"

// func adamAVX(params, grad, m, v *float64, n int, k *adamConsts)
// n is a positive multiple of 4. k points at b1, b2, 1-b1, 1-b2, c1, c2, lr, eps.
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ params+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), DX
	VBROADCASTSD 0(DX), Y8   // b1
	VBROADCASTSD 8(DX), Y9   // b2
	VBROADCASTSD 16(DX), Y10 // 1-b1
	VBROADCASTSD 24(DX), Y11 // 1-b2
	VBROADCASTSD 32(DX), Y12 // c1
	VBROADCASTSD 40(DX), Y13 // c2
	VBROADCASTSD 48(DX), Y14 // lr
	VBROADCASTSD 56(DX), Y15 // eps
	XORQ AX, AX

loop:
	VMOVUPD (SI)(AX*8), Y0     // g
	VMOVUPD (R8)(AX*8), Y1     // m
	VMULPD  Y8, Y1, Y1         // b1·m
	VMULPD  Y10, Y0, Y2        // (1-b1)·g
	VADDPD  Y2, Y1, Y1         // m = b1·m + (1-b1)·g
	VMOVUPD Y1, (R8)(AX*8)
	VMOVUPD (R9)(AX*8), Y3     // v
	VMULPD  Y9, Y3, Y3         // b2·v
	VMULPD  Y11, Y0, Y4        // (1-b2)·g
	VMULPD  Y0, Y4, Y4         // ((1-b2)·g)·g
	VADDPD  Y4, Y3, Y3         // v = b2·v + ((1-b2)·g)·g
	VMOVUPD Y3, (R9)(AX*8)
	VMULPD  Y12, Y1, Y5        // m·c1
	VMULPD  Y14, Y5, Y5        // lr·(m·c1)
	VMULPD  Y13, Y3, Y6        // v·c2
	VSQRTPD Y6, Y6             // √(v·c2)
	VADDPD  Y15, Y6, Y6        // √(v·c2) + ε
	VDIVPD  Y6, Y5, Y5         // lr·(m·c1) / (√(v·c2) + ε)
	VMOVUPD (DI)(AX*8), Y7
	VSUBPD  Y5, Y7, Y7         // θ − step
	VMOVUPD Y7, (DI)(AX*8)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JLT     loop
	VZEROUPPER
	RET
