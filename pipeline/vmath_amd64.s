//go:build !noasm

#include "textflag.h"

// The loops of vmath.go's exp1 and log1, operation for operation, so that
// every lane gets the bits the Go functions give it. DX points at a
// vmathConsts; the offsets below are its fields'.

#define POLY(i) (i*8)
#define LOG2E 112
#define SHIFT 120
#define LN2HI 128
#define LN2LO 136
#define EMAX 144
#define EMIN 152
#define EBIAS 160
#define L1 168
#define L2 176
#define L3 184
#define L4 192
#define L5 200
#define L6 208
#define L7 216
#define LLN2HI 224
#define LLN2LO 232
#define OFF 240
#define MANT 248
#define SQRT2_2 256
#define MAGIC 264
#define MINNORM 272
#define TWO54 280
#define ADJN 288
#define ADJS 296
#define HALF 304
#define ONE 312
#define TWO 320
#define MAGICF 328
#define NAN 336
#define INF 344
#define NINF 352

// func expAVX2(dst, src *float64, n int, k *vmathConsts)
// n is a positive multiple of 4.
TEXT ·expAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ k+24(FP), DX
	VBROADCASTSD LOG2E(DX), Y8
	VBROADCASTSD SHIFT(DX), Y9
	VBROADCASTSD LN2HI(DX), Y10
	VBROADCASTSD LN2LO(DX), Y11
	VBROADCASTSD EMAX(DX), Y12
	VBROADCASTSD EMIN(DX), Y13
	VPBROADCASTQ EBIAS(DX), Y14
	XORQ AX, AX

expavx2:
	VMOVUPD      (SI)(AX*8), Y0 // x
	VMINPD       Y12, Y0, Y1    // min(x, 710)
	VMAXPD       Y13, Y1, Y1    // max(·, −746)
	VMOVAPD      Y9, Y2
	VFMADD231PD  Y8, Y1, Y2     // t = x·log2e + shift
	VSUBPD       Y9, Y2, Y3     // k = t − shift
	VFNMADD231PD Y10, Y3, Y1    // r = x − k·ln2hi
	VFNMADD231PD Y11, Y3, Y1    // r = r − k·ln2lo
	VBROADCASTSD POLY(0)(DX), Y4
	VBROADCASTSD POLY(1)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/12!
	VBROADCASTSD POLY(2)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/11!
	VBROADCASTSD POLY(3)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/10!
	VBROADCASTSD POLY(4)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/9!
	VBROADCASTSD POLY(5)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/8!
	VBROADCASTSD POLY(6)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/7!
	VBROADCASTSD POLY(7)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/6!
	VBROADCASTSD POLY(8)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/5!
	VBROADCASTSD POLY(9)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/4!
	VBROADCASTSD POLY(10)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/3!
	VBROADCASTSD POLY(11)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/2!
	VBROADCASTSD POLY(12)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/1!
	VBROADCASTSD POLY(13)(DX), Y5
	VFMADD213PD  Y5, Y1, Y4     // p = p·r + 1/0!
	VPSUBQ       Y14, Y2, Y2    // u = bits(t) − ebias = k + 2046
	VPSRLQ       $1, Y2, Y3     // e1 = u >> 1
	VPSUBQ       Y3, Y2, Y2     // e2 = u − e1
	VPSLLQ       $52, Y3, Y3
	VPSLLQ       $52, Y2, Y2
	VMULPD       Y3, Y4, Y4     // p·2^(e1−1023)
	VMULPD       Y2, Y4, Y4     // ·2^(e2−1023)
	VCMPPD       $3, Y0, Y0, Y5 // x is NaN
	VBLENDVPD    Y5, Y0, Y4, Y4 // then x
	VMOVUPD      Y4, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          expavx2
	VZEROUPPER
	RET

// func expAVX512(dst, src *float64, n int, k *vmathConsts)
// n is a positive multiple of 8.
TEXT ·expAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ k+24(FP), DX
	VBROADCASTSD LOG2E(DX), Z8
	VBROADCASTSD SHIFT(DX), Z9
	VBROADCASTSD LN2HI(DX), Z10
	VBROADCASTSD LN2LO(DX), Z11
	VBROADCASTSD EMAX(DX), Z12
	VBROADCASTSD EMIN(DX), Z13
	VPBROADCASTQ EBIAS(DX), Z14
	VBROADCASTSD POLY(0)(DX), Z16
	VBROADCASTSD POLY(1)(DX), Z17
	VBROADCASTSD POLY(2)(DX), Z18
	VBROADCASTSD POLY(3)(DX), Z19
	VBROADCASTSD POLY(4)(DX), Z20
	VBROADCASTSD POLY(5)(DX), Z21
	VBROADCASTSD POLY(6)(DX), Z22
	VBROADCASTSD POLY(7)(DX), Z23
	VBROADCASTSD POLY(8)(DX), Z24
	VBROADCASTSD POLY(9)(DX), Z25
	VBROADCASTSD POLY(10)(DX), Z26
	VBROADCASTSD POLY(11)(DX), Z27
	VBROADCASTSD POLY(12)(DX), Z28
	VBROADCASTSD POLY(13)(DX), Z29
	XORQ AX, AX

expavx512:
	VMOVUPD      (SI)(AX*8), Z0 // x
	VMINPD       Z12, Z0, Z1    // min(x, 710)
	VMAXPD       Z13, Z1, Z1    // max(·, −746)
	VMOVAPD      Z9, Z2
	VFMADD231PD  Z8, Z1, Z2     // t = x·log2e + shift
	VSUBPD       Z9, Z2, Z3     // k = t − shift
	VFNMADD231PD Z10, Z3, Z1    // r = x − k·ln2hi
	VFNMADD231PD Z11, Z3, Z1    // r = r − k·ln2lo
	VMOVAPD      Z16, Z4
	VFMADD213PD  Z17, Z1, Z4    // p = p·r + 1/12!
	VFMADD213PD  Z18, Z1, Z4    // p = p·r + 1/11!
	VFMADD213PD  Z19, Z1, Z4    // p = p·r + 1/10!
	VFMADD213PD  Z20, Z1, Z4    // p = p·r + 1/9!
	VFMADD213PD  Z21, Z1, Z4    // p = p·r + 1/8!
	VFMADD213PD  Z22, Z1, Z4    // p = p·r + 1/7!
	VFMADD213PD  Z23, Z1, Z4    // p = p·r + 1/6!
	VFMADD213PD  Z24, Z1, Z4    // p = p·r + 1/5!
	VFMADD213PD  Z25, Z1, Z4    // p = p·r + 1/4!
	VFMADD213PD  Z26, Z1, Z4    // p = p·r + 1/3!
	VFMADD213PD  Z27, Z1, Z4    // p = p·r + 1/2!
	VFMADD213PD  Z28, Z1, Z4    // p = p·r + 1/1!
	VFMADD213PD  Z29, Z1, Z4    // p = p·r + 1/0!
	VPSUBQ       Z14, Z2, Z2    // u = k + 2046
	VPSRLQ       $1, Z2, Z3     // e1
	VPSUBQ       Z3, Z2, Z2     // e2
	VPSLLQ       $52, Z3, Z3
	VPSLLQ       $52, Z2, Z2
	VMULPD       Z3, Z4, Z4
	VMULPD       Z2, Z4, Z4
	VCMPPD       $3, Z0, Z0, K1 // x is NaN
	VMOVAPD      Z0, K1, Z4     // then x
	VMOVUPD      Z4, (DI)(AX*8)
	ADDQ         $8, AX
	CMPQ         AX, CX
	JLT          expavx512
	VZEROUPPER
	RET

// func logAVX2(dst, src *float64, n int, k *vmathConsts)
// n is a positive multiple of 4.
TEXT ·logAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ k+24(FP), DX
	VPBROADCASTQ OFF(DX), Y8
	VPBROADCASTQ MANT(DX), Y9
	VPBROADCASTQ SQRT2_2(DX), Y10
	VPBROADCASTQ MAGIC(DX), Y11
	VBROADCASTSD MAGICF(DX), Y12
	XORQ AX, AX

logavx2:
	VMOVUPD      (SI)(AX*8), Y0    // x
	VBROADCASTSD MINNORM(DX), Y6
	VCMPPD       $0x11, Y6, Y0, Y5 // x < 2⁻¹⁰²² (subnormal)
	VBROADCASTSD TWO54(DX), Y6
	VMULPD       Y6, Y0, Y1
	VBLENDVPD    Y5, Y1, Y0, Y1    // y = x·2⁵⁴ if subnormal, else x
	VBROADCASTSD ADJN(DX), Y6
	VBROADCASTSD ADJS(DX), Y7
	VBLENDVPD    Y5, Y7, Y6, Y6    // adj = 1023 + 54 if subnormal, else 1023
	VPADDQ       Y8, Y1, Y1        // ix = bits(y) + off
	VPSRLQ       $52, Y1, Y2
	VPOR         Y11, Y2, Y2
	VSUBPD       Y12, Y2, Y2       // float(ix >> 52)
	VSUBPD       Y6, Y2, Y2        // k
	VPAND        Y9, Y1, Y1
	VPADDQ       Y10, Y1, Y1       // m
	VBROADCASTSD ONE(DX), Y6
	VSUBPD       Y6, Y1, Y1        // f = m − 1
	VBROADCASTSD TWO(DX), Y3
	VADDPD       Y1, Y3, Y3        // 2 + f
	VDIVPD       Y3, Y1, Y3        // s = f/(2+f)
	VMULPD       Y3, Y3, Y4        // z = s·s
	VMULPD       Y4, Y4, Y5        // w = z·z
	VBROADCASTSD L6(DX), Y6
	VMULPD       Y6, Y5, Y6        // w·L6
	VBROADCASTSD L4(DX), Y7
	VADDPD       Y6, Y7, Y6        // L4 + ·
	VMULPD       Y6, Y5, Y6        // w·(·)
	VBROADCASTSD L2(DX), Y7
	VADDPD       Y6, Y7, Y6        // L2 + ·
	VMULPD       Y6, Y5, Y6        // t1 = w·(·)
	VBROADCASTSD L7(DX), Y7
	VMULPD       Y7, Y5, Y7        // w·L7
	VBROADCASTSD L5(DX), Y13
	VADDPD       Y7, Y13, Y7       // L5 + ·
	VMULPD       Y7, Y5, Y7        // w·(·)
	VBROADCASTSD L3(DX), Y13
	VADDPD       Y7, Y13, Y7       // L3 + ·
	VMULPD       Y7, Y5, Y7        // w·(·)
	VBROADCASTSD L1(DX), Y13
	VADDPD       Y7, Y13, Y7       // L1 + ·
	VMULPD       Y7, Y4, Y7        // t2 = z·(·)
	VADDPD       Y6, Y7, Y7        // R = t2 + t1
	VBROADCASTSD HALF(DX), Y13
	VMULPD       Y13, Y1, Y13      // 0.5·f
	VMULPD       Y1, Y13, Y13      // hfsq = (0.5·f)·f
	VADDPD       Y7, Y13, Y7       // hfsq + R
	VMULPD       Y7, Y3, Y7        // s·(hfsq + R)
	VBROADCASTSD LLN2LO(DX), Y14
	VMULPD       Y14, Y2, Y14      // k·ln2lo
	VADDPD       Y14, Y7, Y7       // s·(hfsq + R) + k·ln2lo
	VSUBPD       Y7, Y13, Y7       // hfsq − ·
	VSUBPD       Y1, Y7, Y7        // · − f
	VBROADCASTSD LLN2HI(DX), Y14
	VMULPD       Y14, Y2, Y14      // k·ln2hi
	VSUBPD       Y7, Y14, Y7       // k·ln2hi − ·
	VBROADCASTSD INF(DX), Y14
	VCMPPD       $0, Y14, Y0, Y15  // x = +Inf
	VBLENDVPD    Y15, Y0, Y7, Y7   // then x
	VXORPD       Y14, Y14, Y14
	VCMPPD       $0, Y14, Y0, Y15  // x = ±0
	VBROADCASTSD NINF(DX), Y13
	VBLENDVPD    Y15, Y13, Y7, Y7  // then −Inf
	VCMPPD       $0x11, Y14, Y0, Y15 // x < 0
	VBROADCASTSD NAN(DX), Y13
	VBLENDVPD    Y15, Y13, Y7, Y7  // then NaN
	VCMPPD       $3, Y0, Y0, Y15   // x is NaN
	VBLENDVPD    Y15, Y0, Y7, Y7   // then x
	VMOVUPD      Y7, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          logavx2
	VZEROUPPER
	RET

// func logAVX512(dst, src *float64, n int, k *vmathConsts)
// n is a positive multiple of 8.
TEXT ·logAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ k+24(FP), DX
	VPBROADCASTQ OFF(DX), Z8
	VPBROADCASTQ MANT(DX), Z9
	VPBROADCASTQ SQRT2_2(DX), Z10
	VPBROADCASTQ MAGIC(DX), Z11
	VBROADCASTSD MAGICF(DX), Z12
	VBROADCASTSD MINNORM(DX), Z16
	VBROADCASTSD TWO54(DX), Z17
	VBROADCASTSD ADJN(DX), Z18
	VBROADCASTSD ADJS(DX), Z19
	VBROADCASTSD ONE(DX), Z20
	VBROADCASTSD TWO(DX), Z21
	VBROADCASTSD L1(DX), Z22
	VBROADCASTSD L2(DX), Z23
	VBROADCASTSD L3(DX), Z24
	VBROADCASTSD L4(DX), Z25
	VBROADCASTSD L5(DX), Z26
	VBROADCASTSD L6(DX), Z27
	VBROADCASTSD L7(DX), Z28
	VBROADCASTSD HALF(DX), Z29
	VBROADCASTSD LLN2LO(DX), Z30
	VBROADCASTSD LLN2HI(DX), Z31
	XORQ AX, AX

logavx512:
	VMOVUPD      (SI)(AX*8), Z0    // x
	VCMPPD       $0x11, Z16, Z0, K1 // x < 2⁻¹⁰²² (subnormal)
	VMOVAPD      Z0, Z1
	VMULPD       Z17, Z0, K1, Z1   // y = x·2⁵⁴ if subnormal, else x
	VMOVAPD      Z18, Z6
	VMOVAPD      Z19, K1, Z6       // adj
	VPADDQ       Z8, Z1, Z1        // ix = bits(y) + off
	VPSRLQ       $52, Z1, Z2
	VPORQ        Z11, Z2, Z2
	VSUBPD       Z12, Z2, Z2       // float(ix >> 52)
	VSUBPD       Z6, Z2, Z2        // k
	VPANDQ       Z9, Z1, Z1
	VPADDQ       Z10, Z1, Z1       // m
	VSUBPD       Z20, Z1, Z1       // f = m − 1
	VADDPD       Z1, Z21, Z3       // 2 + f
	VDIVPD       Z3, Z1, Z3        // s = f/(2+f)
	VMULPD       Z3, Z3, Z4        // z
	VMULPD       Z4, Z4, Z5        // w
	VMULPD       Z27, Z5, Z6       // w·L6
	VADDPD       Z6, Z25, Z6       // L4 + ·
	VMULPD       Z6, Z5, Z6
	VADDPD       Z6, Z23, Z6       // L2 + ·
	VMULPD       Z6, Z5, Z6        // t1
	VMULPD       Z28, Z5, Z7       // w·L7
	VADDPD       Z7, Z26, Z7       // L5 + ·
	VMULPD       Z7, Z5, Z7
	VADDPD       Z7, Z24, Z7       // L3 + ·
	VMULPD       Z7, Z5, Z7
	VADDPD       Z7, Z22, Z7       // L1 + ·
	VMULPD       Z7, Z4, Z7        // t2
	VADDPD       Z6, Z7, Z7        // R
	VMULPD       Z29, Z1, Z13      // 0.5·f
	VMULPD       Z1, Z13, Z13      // hfsq
	VADDPD       Z7, Z13, Z7       // hfsq + R
	VMULPD       Z7, Z3, Z7        // s·(hfsq + R)
	VMULPD       Z30, Z2, Z14      // k·ln2lo
	VADDPD       Z14, Z7, Z7
	VSUBPD       Z7, Z13, Z7       // hfsq − ·
	VSUBPD       Z1, Z7, Z7        // · − f
	VMULPD       Z31, Z2, Z14      // k·ln2hi
	VSUBPD       Z7, Z14, Z7       // k·ln2hi − ·
	VPBROADCASTQ INF(DX), Z14
	VCMPPD       $0, Z14, Z0, K1   // x = +Inf
	VMOVAPD      Z0, K1, Z7
	VPXORQ       Z14, Z14, Z14
	VCMPPD       $0, Z14, Z0, K1   // x = ±0
	VPBROADCASTQ NINF(DX), Z13
	VMOVAPD      Z13, K1, Z7
	VCMPPD       $0x11, Z14, Z0, K1 // x < 0
	VPBROADCASTQ NAN(DX), Z13
	VMOVAPD      Z13, K1, Z7
	VCMPPD       $3, Z0, Z0, K1    // x is NaN
	VMOVAPD      Z0, K1, Z7
	VMOVUPD      Z7, (DI)(AX*8)
	ADDQ         $8, AX
	CMPQ         AX, CX
	JLT          logavx512
	VZEROUPPER
	RET

// func maxShiftAVX512(z, p, gmax *float64, groups, group int, tail int)
// For each of groups consecutive groups of group values of z: its maximum m
// into gmax, and z − m into p. A group is read in vectors of 8, the last
// one under the mask tail (the low group%8 bits, or all 8); masked-off
// lanes hold −Inf. VMAXPD keeps its second operand, the running maximum,
// when the new value is NaN, as the Go loop's v > m does.
TEXT ·maxShiftAVX512(SB), NOSPLIT, $0-48
	MOVQ    z+0(FP), SI
	MOVQ    p+8(FP), DI
	MOVQ    gmax+16(FP), DX
	MOVQ    groups+24(FP), CX
	MOVQ    group+32(FP), BX
	MOVQ    tail+40(FP), AX
	KMOVW   AX, K2
	MOVQ    $0xfff0000000000000, R8
	VPBROADCASTQ R8, Z31      // −Inf

msgroup:
	VMOVAPD Z31, Z0           // running maximum
	MOVQ    BX, R9            // values left in the group
	XORQ    R10, R10          // index in the group
msmax:
	CMPQ    R9, $8
	JLE     msmaxtail
	VMOVUPD (SI)(R10*8), Z1
	VMAXPD  Z0, Z1, Z0        // m = x > m ? x : m
	ADDQ    $8, R10
	SUBQ    $8, R9
	JMP     msmax
msmaxtail:
	VMOVAPD Z31, Z1
	VMOVUPD (SI)(R10*8), K2, Z1
	VMAXPD  Z0, Z1, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPD  Y0, Y1, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPD  X0, X1, X0
	VPERMILPD $1, X0, X1
	VMAXSD  X0, X1, X0
	VMOVSD  X0, (DX)
	VBROADCASTSD X0, Z2
	MOVQ    BX, R9
	XORQ    R10, R10
msshift:
	CMPQ    R9, $8
	JLE     msshifttail
	VMOVUPD (SI)(R10*8), Z1
	VSUBPD  Z2, Z1, Z1        // z − m
	VMOVUPD Z1, (DI)(R10*8)
	ADDQ    $8, R10
	SUBQ    $8, R9
	JMP     msshift
msshifttail:
	VMOVUPD (SI)(R10*8), K2, Z1
	VSUBPD  Z2, Z1, Z1
	VMOVUPD Z1, K2, (DI)(R10*8)
	LEAQ    (SI)(BX*8), SI
	LEAQ    (DI)(BX*8), DI
	ADDQ    $8, DX
	DECQ    CX
	JNZ     msgroup
	VZEROUPPER
	RET
