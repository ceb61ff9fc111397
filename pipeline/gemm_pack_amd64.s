// The packer of gemm.go: sparse rows into lists of their nonzero columns.

//go:build !noasm

#include "textflag.h"

// packLUT[m] holds the dword indices that move the lanes set in the 4-bit
// mask m to the front (for VPERMILPS); tailMask[t] selects the first t of
// 4 lanes; laneIndex is 0, 1, 2, 3.
DATA packLUT<>+0(SB)/4, $0
DATA packLUT<>+4(SB)/4, $0
DATA packLUT<>+8(SB)/4, $0
DATA packLUT<>+12(SB)/4, $0
DATA packLUT<>+16(SB)/4, $0
DATA packLUT<>+20(SB)/4, $0
DATA packLUT<>+24(SB)/4, $0
DATA packLUT<>+28(SB)/4, $0
DATA packLUT<>+32(SB)/4, $1
DATA packLUT<>+36(SB)/4, $0
DATA packLUT<>+40(SB)/4, $0
DATA packLUT<>+44(SB)/4, $0
DATA packLUT<>+48(SB)/4, $0
DATA packLUT<>+52(SB)/4, $1
DATA packLUT<>+56(SB)/4, $0
DATA packLUT<>+60(SB)/4, $0
DATA packLUT<>+64(SB)/4, $2
DATA packLUT<>+68(SB)/4, $0
DATA packLUT<>+72(SB)/4, $0
DATA packLUT<>+76(SB)/4, $0
DATA packLUT<>+80(SB)/4, $0
DATA packLUT<>+84(SB)/4, $2
DATA packLUT<>+88(SB)/4, $0
DATA packLUT<>+92(SB)/4, $0
DATA packLUT<>+96(SB)/4, $1
DATA packLUT<>+100(SB)/4, $2
DATA packLUT<>+104(SB)/4, $0
DATA packLUT<>+108(SB)/4, $0
DATA packLUT<>+112(SB)/4, $0
DATA packLUT<>+116(SB)/4, $1
DATA packLUT<>+120(SB)/4, $2
DATA packLUT<>+124(SB)/4, $0
DATA packLUT<>+128(SB)/4, $3
DATA packLUT<>+132(SB)/4, $0
DATA packLUT<>+136(SB)/4, $0
DATA packLUT<>+140(SB)/4, $0
DATA packLUT<>+144(SB)/4, $0
DATA packLUT<>+148(SB)/4, $3
DATA packLUT<>+152(SB)/4, $0
DATA packLUT<>+156(SB)/4, $0
DATA packLUT<>+160(SB)/4, $1
DATA packLUT<>+164(SB)/4, $3
DATA packLUT<>+168(SB)/4, $0
DATA packLUT<>+172(SB)/4, $0
DATA packLUT<>+176(SB)/4, $0
DATA packLUT<>+180(SB)/4, $1
DATA packLUT<>+184(SB)/4, $3
DATA packLUT<>+188(SB)/4, $0
DATA packLUT<>+192(SB)/4, $2
DATA packLUT<>+196(SB)/4, $3
DATA packLUT<>+200(SB)/4, $0
DATA packLUT<>+204(SB)/4, $0
DATA packLUT<>+208(SB)/4, $0
DATA packLUT<>+212(SB)/4, $2
DATA packLUT<>+216(SB)/4, $3
DATA packLUT<>+220(SB)/4, $0
DATA packLUT<>+224(SB)/4, $1
DATA packLUT<>+228(SB)/4, $2
DATA packLUT<>+232(SB)/4, $3
DATA packLUT<>+236(SB)/4, $0
DATA packLUT<>+240(SB)/4, $0
DATA packLUT<>+244(SB)/4, $1
DATA packLUT<>+248(SB)/4, $2
DATA packLUT<>+252(SB)/4, $3
GLOBL packLUT<>(SB), RODATA|NOPTR, $256
DATA tailMask<>+0(SB)/8, $0
DATA tailMask<>+8(SB)/8, $0
DATA tailMask<>+16(SB)/8, $0
DATA tailMask<>+24(SB)/8, $0
DATA tailMask<>+32(SB)/8, $0xffffffffffffffff
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
DATA tailMask<>+64(SB)/8, $0xffffffffffffffff
DATA tailMask<>+72(SB)/8, $0xffffffffffffffff
DATA tailMask<>+80(SB)/8, $0
DATA tailMask<>+88(SB)/8, $0
DATA tailMask<>+96(SB)/8, $0xffffffffffffffff
DATA tailMask<>+104(SB)/8, $0xffffffffffffffff
DATA tailMask<>+112(SB)/8, $0xffffffffffffffff
DATA tailMask<>+120(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $128
DATA laneIndex<>+0(SB)/4, $0
DATA laneIndex<>+4(SB)/4, $1
DATA laneIndex<>+8(SB)/4, $2
DATA laneIndex<>+12(SB)/4, $3
GLOBL laneIndex<>(SB), RODATA|NOPTR, $16

// func packRowsAVX2(m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int)
//
// For each of m rows of a (lda bytes apart) it writes the columns j < k
// whose value is not ±0 (VCMPPD NEQ_UQ: NaN counts as nonzero), in order,
// into the row's index list (pstride bytes apart), and their number into
// cnt. Each list needs room for k+3 entries: every step stores 4.
TEXT ·packRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ m+0(FP), R8
	MOVQ a+8(FP), SI
	MOVQ k+24(FP), R9
	MOVQ cnt+32(FP), R10
	MOVQ idx+40(FP), R11
	VXORPD Y13, Y13, Y13
	MOVQ $4, AX
	MOVQ AX, X15
	VPBROADCASTD X15, X15          // 4 in every lane
	MOVQ R9, BX
	ANDQ $3, BX
	SHLQ $5, BX
	LEAQ tailMask<>(SB), AX
	VMOVDQU (AX)(BX*1), Y10        // mask of the k%4 tail lanes
	LEAQ packLUT<>(SB), DI
	VMOVDQU laneIndex<>(SB), X14
	TESTQ R8, R8
	JLE done
row:
	XORQ CX, CX                    // entries written
	MOVQ SI, DX                    // read pointer
	MOVQ R9, R13                   // values left
	VMOVDQA X14, X9                // current column indices
body:
	CMPQ R13, $4
	JLT tail
	VMOVUPD (DX), Y0
	VCMPPD $4, Y13, Y0, Y1
	VMOVMSKPD Y1, AX
	POPCNTL AX, BX
	SHLQ $4, AX
	VPERMILPS (DI)(AX*1), X9, X3
	VMOVDQU X3, (R11)(CX*4)
	ADDQ BX, CX
	VPADDD X15, X9, X9
	ADDQ $32, DX
	SUBQ $4, R13
	JMP body
tail:
	TESTQ R13, R13
	JEQ rowdone
	VMASKMOVPD (DX), Y10, Y0       // lanes past the row read as 0 and are skipped
	VCMPPD $4, Y13, Y0, Y1
	VMOVMSKPD Y1, AX
	POPCNTL AX, BX
	SHLQ $4, AX
	VPERMILPS (DI)(AX*1), X9, X3
	VMOVDQU X3, (R11)(CX*4)
	ADDQ BX, CX
rowdone:
	MOVL CX, (R10)
	ADDQ $4, R10
	ADDQ lda+16(FP), SI
	ADDQ pstride+48(FP), R11
	DECQ R8
	JNZ row
done:
	VZEROUPPER
	RET

// func transposeAVX2(a *float64, lda int, rb int, cb int, t *float64, ldt int)
//
// Writes t[j][i] = a[i][j] for i < 4·rb, j < 4·cb (lda and ldt in bytes),
// by 4×4 blocks.
TEXT ·transposeAVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	MOVQ rb+16(FP), R9
	MOVQ cb+24(FP), R10
	MOVQ t+32(FP), DI
	MOVQ ldt+40(FP), R11
	LEAQ (R8)(R8*2), R12           // 3·lda
	LEAQ (R11)(R11*2), R13         // 3·ldt
	TESTQ R9, R9
	JLE tdone
	TESTQ R10, R10
	JLE tdone
trow:
	MOVQ SI, AX                    // a block
	MOVQ DI, BX                    // t block: column i of t's rows
	MOVQ R10, CX
tblock:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R8*1), Y1
	VMOVUPD (AX)(R8*2), Y2
	VMOVUPD (AX)(R12*1), Y3
	VUNPCKLPD Y1, Y0, Y4           // r0[0] r1[0] r0[2] r1[2]
	VUNPCKHPD Y1, Y0, Y5           // r0[1] r1[1] r0[3] r1[3]
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0   // column 0
	VPERM2F128 $0x20, Y7, Y5, Y1   // column 1
	VPERM2F128 $0x31, Y6, Y4, Y2   // column 2
	VPERM2F128 $0x31, Y7, Y5, Y3   // column 3
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, (BX)(R11*1)
	VMOVUPD Y2, (BX)(R11*2)
	VMOVUPD Y3, (BX)(R13*1)
	ADDQ $32, AX
	LEAQ (BX)(R11*4), BX
	DECQ CX
	JNZ tblock
	LEAQ (SI)(R8*4), SI
	ADDQ $32, DI
	DECQ R9
	JNZ trow
tdone:
	VZEROUPPER
	RET

// func packRowsAVX512(m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int)
//
// packRowsAVX2 with AVX-512: 8 columns a step, compressed by VPCOMPRESSD.
// Each list needs room for k+7 entries.
TEXT ·packRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ m+0(FP), R8
	MOVQ a+8(FP), SI
	MOVQ k+24(FP), R9
	MOVQ cnt+32(FP), R10
	MOVQ idx+40(FP), R11
	VPXORD Z13, Z13, Z13
	MOVQ $0x0706050403020100, AX
	MOVQ AX, X14
	VPMOVZXBD X14, Y14             // column indices 0..7
	MOVL $8, AX
	VPBROADCASTD AX, Y15           // 8 in every lane
	MOVQ R9, CX
	ANDQ $7, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVB AX, K2                   // the k%8 tail lanes
	TESTQ R8, R8
	JLE zdone
zrow:
	XORQ CX, CX                    // entries written
	MOVQ SI, DX                    // read pointer
	MOVQ R9, R13                   // values left
	VMOVDQA Y14, Y9                // current column indices
zbody:
	CMPQ R13, $8
	JLT ztail
	VMOVUPD (DX), Z0
	VCMPPD $4, Z13, Z0, K1         // ≠ ±0; NaN counts
	VPCOMPRESSD Y9, K1, Y3
	VMOVDQU Y3, (R11)(CX*4)
	KMOVB K1, AX
	POPCNTL AX, BX
	ADDQ BX, CX
	VPADDD Y15, Y9, Y9
	ADDQ $64, DX
	SUBQ $8, R13
	JMP zbody
ztail:
	TESTQ R13, R13
	JEQ zrowdone
	VMOVUPD.Z (DX), K2, Z0         // lanes past the row read as 0 and are skipped
	VCMPPD $4, Z13, Z0, K1
	VPCOMPRESSD Y9, K1, Y3
	VMOVDQU Y3, (R11)(CX*4)
	KMOVB K1, AX
	POPCNTL AX, BX
	ADDQ BX, CX
zrowdone:
	MOVL CX, (R10)
	ADDQ $4, R10
	ADDQ lda+16(FP), SI
	ADDQ pstride+48(FP), R11
	DECQ R8
	JNZ zrow
zdone:
	VZEROUPPER
	RET
