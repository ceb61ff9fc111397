//go:build !noasm

#include "textflag.h"

// Tables: packLUT[m] moves the lanes set in the 4-bit mask m to the front
// (as VPERMD dword indices); tailMask[t] selects the first t lanes.
DATA packLUT<>+0(SB)/4, $0
DATA packLUT<>+4(SB)/4, $1
DATA packLUT<>+8(SB)/4, $0
DATA packLUT<>+12(SB)/4, $1
DATA packLUT<>+16(SB)/4, $0
DATA packLUT<>+20(SB)/4, $1
DATA packLUT<>+24(SB)/4, $0
DATA packLUT<>+28(SB)/4, $1
DATA packLUT<>+32(SB)/4, $0
DATA packLUT<>+36(SB)/4, $1
DATA packLUT<>+40(SB)/4, $0
DATA packLUT<>+44(SB)/4, $1
DATA packLUT<>+48(SB)/4, $0
DATA packLUT<>+52(SB)/4, $1
DATA packLUT<>+56(SB)/4, $0
DATA packLUT<>+60(SB)/4, $1
DATA packLUT<>+64(SB)/4, $2
DATA packLUT<>+68(SB)/4, $3
DATA packLUT<>+72(SB)/4, $0
DATA packLUT<>+76(SB)/4, $1
DATA packLUT<>+80(SB)/4, $0
DATA packLUT<>+84(SB)/4, $1
DATA packLUT<>+88(SB)/4, $0
DATA packLUT<>+92(SB)/4, $1
DATA packLUT<>+96(SB)/4, $0
DATA packLUT<>+100(SB)/4, $1
DATA packLUT<>+104(SB)/4, $2
DATA packLUT<>+108(SB)/4, $3
DATA packLUT<>+112(SB)/4, $0
DATA packLUT<>+116(SB)/4, $1
DATA packLUT<>+120(SB)/4, $0
DATA packLUT<>+124(SB)/4, $1
DATA packLUT<>+128(SB)/4, $4
DATA packLUT<>+132(SB)/4, $5
DATA packLUT<>+136(SB)/4, $0
DATA packLUT<>+140(SB)/4, $1
DATA packLUT<>+144(SB)/4, $0
DATA packLUT<>+148(SB)/4, $1
DATA packLUT<>+152(SB)/4, $0
DATA packLUT<>+156(SB)/4, $1
DATA packLUT<>+160(SB)/4, $0
DATA packLUT<>+164(SB)/4, $1
DATA packLUT<>+168(SB)/4, $4
DATA packLUT<>+172(SB)/4, $5
DATA packLUT<>+176(SB)/4, $0
DATA packLUT<>+180(SB)/4, $1
DATA packLUT<>+184(SB)/4, $0
DATA packLUT<>+188(SB)/4, $1
DATA packLUT<>+192(SB)/4, $2
DATA packLUT<>+196(SB)/4, $3
DATA packLUT<>+200(SB)/4, $4
DATA packLUT<>+204(SB)/4, $5
DATA packLUT<>+208(SB)/4, $0
DATA packLUT<>+212(SB)/4, $1
DATA packLUT<>+216(SB)/4, $0
DATA packLUT<>+220(SB)/4, $1
DATA packLUT<>+224(SB)/4, $0
DATA packLUT<>+228(SB)/4, $1
DATA packLUT<>+232(SB)/4, $2
DATA packLUT<>+236(SB)/4, $3
DATA packLUT<>+240(SB)/4, $4
DATA packLUT<>+244(SB)/4, $5
DATA packLUT<>+248(SB)/4, $0
DATA packLUT<>+252(SB)/4, $1
DATA packLUT<>+256(SB)/4, $6
DATA packLUT<>+260(SB)/4, $7
DATA packLUT<>+264(SB)/4, $0
DATA packLUT<>+268(SB)/4, $1
DATA packLUT<>+272(SB)/4, $0
DATA packLUT<>+276(SB)/4, $1
DATA packLUT<>+280(SB)/4, $0
DATA packLUT<>+284(SB)/4, $1
DATA packLUT<>+288(SB)/4, $0
DATA packLUT<>+292(SB)/4, $1
DATA packLUT<>+296(SB)/4, $6
DATA packLUT<>+300(SB)/4, $7
DATA packLUT<>+304(SB)/4, $0
DATA packLUT<>+308(SB)/4, $1
DATA packLUT<>+312(SB)/4, $0
DATA packLUT<>+316(SB)/4, $1
DATA packLUT<>+320(SB)/4, $2
DATA packLUT<>+324(SB)/4, $3
DATA packLUT<>+328(SB)/4, $6
DATA packLUT<>+332(SB)/4, $7
DATA packLUT<>+336(SB)/4, $0
DATA packLUT<>+340(SB)/4, $1
DATA packLUT<>+344(SB)/4, $0
DATA packLUT<>+348(SB)/4, $1
DATA packLUT<>+352(SB)/4, $0
DATA packLUT<>+356(SB)/4, $1
DATA packLUT<>+360(SB)/4, $2
DATA packLUT<>+364(SB)/4, $3
DATA packLUT<>+368(SB)/4, $6
DATA packLUT<>+372(SB)/4, $7
DATA packLUT<>+376(SB)/4, $0
DATA packLUT<>+380(SB)/4, $1
DATA packLUT<>+384(SB)/4, $4
DATA packLUT<>+388(SB)/4, $5
DATA packLUT<>+392(SB)/4, $6
DATA packLUT<>+396(SB)/4, $7
DATA packLUT<>+400(SB)/4, $0
DATA packLUT<>+404(SB)/4, $1
DATA packLUT<>+408(SB)/4, $0
DATA packLUT<>+412(SB)/4, $1
DATA packLUT<>+416(SB)/4, $0
DATA packLUT<>+420(SB)/4, $1
DATA packLUT<>+424(SB)/4, $4
DATA packLUT<>+428(SB)/4, $5
DATA packLUT<>+432(SB)/4, $6
DATA packLUT<>+436(SB)/4, $7
DATA packLUT<>+440(SB)/4, $0
DATA packLUT<>+444(SB)/4, $1
DATA packLUT<>+448(SB)/4, $2
DATA packLUT<>+452(SB)/4, $3
DATA packLUT<>+456(SB)/4, $4
DATA packLUT<>+460(SB)/4, $5
DATA packLUT<>+464(SB)/4, $6
DATA packLUT<>+468(SB)/4, $7
DATA packLUT<>+472(SB)/4, $0
DATA packLUT<>+476(SB)/4, $1
DATA packLUT<>+480(SB)/4, $0
DATA packLUT<>+484(SB)/4, $1
DATA packLUT<>+488(SB)/4, $2
DATA packLUT<>+492(SB)/4, $3
DATA packLUT<>+496(SB)/4, $4
DATA packLUT<>+500(SB)/4, $5
DATA packLUT<>+504(SB)/4, $6
DATA packLUT<>+508(SB)/4, $7
GLOBL packLUT<>(SB), RODATA|NOPTR, $512
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

// func packRowsAVX2(m int, a *float64, lda int, k int, cnt *int32, off *int64, val *float64, pstride int, step int64, bias int)
//
// For each of m rows of a (lda bytes apart) it writes the nonzero entries
// (by VCMPPD NEQ_UQ: ±0 skipped, NaN kept) of the row's k values as
// (offset k·step, value) pairs, in order, after a bias entry (k·step, 1)
// if bias is 1, and their number into cnt. Each row's lists (pstride
// bytes apart) need room for bias+k+3 entries: every step stores 4.
TEXT ·packRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ m+0(FP), R8
	MOVQ a+8(FP), SI
	MOVQ k+24(FP), R9
	MOVQ cnt+32(FP), R10
	MOVQ off+40(FP), R11
	MOVQ val+48(FP), R12
	MOVQ step+64(FP), R14
	IMULQ R9, R14                  // the bias entry's offset, k·step
	// Y15 = 4·step in every lane; Y14 = (0, s, 2s, 3s); Y13 = 0.
	VPBROADCASTQ step+64(FP), Y12
	VPSLLQ $2, Y12, Y15
	VPXOR Y14, Y14, Y14
	VPBLENDD $0x0c, Y12, Y14, Y14  // (0, s, 0, 0)
	VPADDQ Y12, Y12, Y11           // 2s
	VPBLENDD $0x30, Y11, Y14, Y14  // (0, s, 2s, 0)
	VPADDQ Y12, Y11, Y11           // 3s
	VPBLENDD $0xc0, Y11, Y14, Y14  // (0, s, 2s, 3s)
	VXORPD Y13, Y13, Y13
	MOVQ R9, BX
	ANDQ $3, BX
	SHLQ $5, BX
	LEAQ tailMask<>(SB), AX
	VMOVDQU (AX)(BX*1), Y10        // mask of the k%4 tail lanes
	LEAQ packLUT<>(SB), DI
	TESTQ R8, R8
	JLE done
row:
	XORQ CX, CX                    // entries written
	MOVQ SI, DX                    // read pointer
	MOVQ R9, R13                   // values left
	VMOVDQA Y14, Y9                // current offsets
	CMPQ bias+72(FP), $0
	JEQ body
	// bias entry: offset k·step, value 1
	MOVQ R14, (R11)
	MOVQ $0x3ff0000000000000, AX
	MOVQ AX, (R12)
	MOVQ $1, CX
body:
	CMPQ R13, $4
	JLT tail
	VMOVUPD (DX), Y0
	VCMPPD $4, Y13, Y0, Y1
	VMOVMSKPD Y1, AX
	POPCNTL AX, BX
	SHLQ $5, AX
	VMOVDQU (DI)(AX*1), Y2
	VPERMD Y0, Y2, Y3
	VMOVDQU Y3, (R12)(CX*8)
	VPERMD Y9, Y2, Y4
	VMOVDQU Y4, (R11)(CX*8)
	ADDQ BX, CX
	VPADDQ Y15, Y9, Y9
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
	SHLQ $5, AX
	VMOVDQU (DI)(AX*1), Y2
	VPERMD Y0, Y2, Y3
	VMOVDQU Y3, (R12)(CX*8)
	VPERMD Y9, Y2, Y4
	VMOVDQU Y4, (R11)(CX*8)
	ADDQ BX, CX
rowdone:
	MOVL CX, (R10)
	ADDQ $4, R10
	ADDQ lda+16(FP), SI
	ADDQ pstride+56(FP), R11
	ADDQ pstride+56(FP), R12
	DECQ R8
	JNZ row
done:
	VZEROUPPER
	RET
