/*
** k_linear.h - the float GEMM engine shared by the linear-algebra emitters
** (k_gemm.c; used by k_linear.c for MatMul and Gemm, k_conv.c for Conv and
** ConvTranspose).  Internal to those files.
**
** Every float product is C[m][n] = epilogue(sum_k A[m][k] B[k][n]) with a
** register-blocked micro-kernel: a tile of mr rows by nv vectors of vl
** columns is held in registers while k runs; each step broadcasts mr
** elements of A and loads nv vectors of B.  So B must be contiguous along
** n (activations in NCHW are: n runs over pixels) and A may have any
** strides (constant weights are packed at compile time in the order the
** micro-kernel reads them).  All arithmetic is f32.
*/
#ifndef CONDENSE_K_LINEAR_H
#define CONDENSE_K_LINEAR_H

#include "codegen/cg.h"

/* The register tile for the target (lin_tile_for). */
typedef struct lin_tile {
	int vl;              /* f32 lanes per vector */
	int mr;              /* rows of A per tile */
	int nv;              /* vectors of B per tile row */
	int nrw;             /* columns per tile: nv * vl */
} lin_tile;

/* Bounds of every target's tile (lin_tile_for never exceeds them). */
#define LIN_MAX_VL 16
#define LIN_MAX_MR 8

void lin_tile_for(const cg *g, lin_tile *t);

/* Operand A: rows m, depth k. */
typedef struct lin_a {
	LLVMValueRef p;
	int64_t rs, ks;      /* unpacked: element (m, k) at p[m*rs + k*ks] */
	bool packed;         /* p holds panels of tile.mr rows, [m/mr][k][mr], zero padded */
} lin_a;

/* Operand B: depth k, columns n (contiguous). */
typedef struct lin_b {
	LLVMValueRef p;
	int64_t ks;          /* unpacked: element (k, n) at p[k*ks + n] */
	bool packed;         /* p holds panels of tile.nrw columns, [n/nrw][k][nrw], zero padded */
	bool overread;       /* unpacked: whole vectors past column n-1 may be loaded */
} lin_b;

/* What becomes of each finished sum s(m, n):
**     y(m, n) = act(alpha*s + bias[m] + beta*C(m, n))
** (terms absent when alpha is 1, bias or c NULL). */
typedef struct lin_epi {
	LLVMValueRef y;      /* f32: (m, n) at y[m*y_rs + n] */
	int64_t y_rs;
	float alpha;
	LLVMValueRef bias;   /* f32 [m], or NULL */
	LLVMValueRef c;      /* f32: C(m, n) at c[m*c_rs + n*c_cs]; c_cs is 0 or 1 */
	int64_t c_rs, c_cs;
	float beta;
	ir_activation act;
} lin_epi;

/* Bytes of B per column block and pass over k (tuned: see k_gemm.c). */
#define LIN_BLOCK_BYTES (64 * 1024)
/* Most rows of k per pass. */
#define LIN_KC_MAX 64

/* Emit C = epilogue(A B) for an m x n x k product.  The columns go in
** blocks (each block of B is reused by every row tile while it is hot in
** cache) and k in passes of at most LIN_KC_MAX whose partial sums go
** through y. */
void lin_gemm(cg *g, const lin_tile *t, int64_t m, int64_t n, int64_t k, const lin_a *a,
	      const lin_b *b, const lin_epi *e);

/* Which part of k one pass sums, and so what its stores do: ALL stores
** through the epilogue; with k split in chunks the FIRST stores raw
** partial sums into y, MID adds to them, LAST adds and then applies the
** epilogue. */
typedef enum lin_part { LIN_ALL, LIN_FIRST, LIN_MID, LIN_LAST } lin_part;

/* One pass over depth [k0, k0+kc) (k0 an i64 value) of an m x n x k
** product, every column in one block; b holds just those kc rows (its
** row 0 is depth k0), a and e the whole product's. */
void lin_gemm_pass(cg *g, const lin_tile *t, int64_t m, int64_t n, int64_t k, LLVMValueRef k0,
		   int64_t kc, lin_part part, const lin_a *a, const lin_b *b, const lin_epi *e);

/* Store one accumulator vector of `lanes` valid lanes (1..vl, a constant)
** through the epilogue: row and col are i64 indices into y (col the first
** lane).  The epilogue of every float emitter goes through here. */
void lin_store(cg *g, const lin_epi *e, LLVMValueRef row, LLVMValueRef col,
	       LLVMValueRef acc, int lanes);

/* ---- vectors -------------------------------------------------------------- */

LLVMTypeRef lin_vec(cg *g, int vl);
LLVMValueRef lin_splat(cg *g, LLVMValueRef s, int vl);
/* Load or store `lanes` of a vector of vl f32 at p (align 4): whole when
** lanes == vl, else masked (the other lanes are not touched). */
LLVMValueRef lin_load(cg *g, LLVMValueRef p, int vl, int lanes);
void lin_store_vec(cg *g, LLVMValueRef p, LLVMValueRef v, int vl, int lanes);
/* Apply a fused activation to an f32 scalar or vector, as ir_act_apply. */
LLVMValueRef lin_act(cg *g, const ir_activation *a, LLVMValueRef v);
/* f32 pointer p + i elements (i an i64 value). */
LLVMValueRef lin_gep(cg *g, LLVMValueRef p, LLVMValueRef i);
LLVMValueRef lin_gepc(cg *g, LLVMValueRef p, int64_t i);

/* ---- float operands ------------------------------------------------------- */

/* A float tensor operand seen as f32: compile-time values when constant. */
typedef struct lin_src {
	LLVMValueRef p;          /* f32 elements at run time (NULL until lin_src_ptr) */
	const ir_blob *konst;    /* the constant's bytes, or NULL */
	ir_dtype dt;             /* element type of the operand */
	int64_t n;               /* elements */
} lin_src;

/* Element i of a constant operand as f32. */
float lin_src_get(const lin_src *s, int64_t i);
/* An f32 pointer to the operand's elements: its own storage when f32; a
** converted constant global, or a copy converted at run time into the
** workspace (at *ws, which advances) for f16. */
LLVMValueRef lin_src_ptr(cg *g, lin_src *s, const cg_buf *b, int64_t *ws);

/* Workspace bump allocation: the pointer at *off, which advances by bytes
** rounded up to a cache line.  lin_ws_bytes is the same rounding. */
LLVMValueRef lin_ws_take(cg *g, int64_t *off, int64_t bytes);
int64_t lin_ws_bytes(int64_t bytes);
/* -1 after a diagnostic when the emitter used more workspace than
** cg_workspace declared (an internal inconsistency). */
int lin_ws_check(cg *g, const ir_op *op, int64_t used);

/* Pack nmat matrices into one constant global, one after another (*per
** elements each): A matrices (m x k; element (i, kk) of matrix q is
** get(ud, q*m + i, kk)) into panels of t->mr rows, or B matrices (k x n;
** element (kk, j) of matrix q is get(ud, q*k + kk, j)) into panels of
** t->nrw columns, zero padded. */
typedef float lin_getf(const void *ud, int64_t i, int64_t j);
LLVMValueRef lin_pack_a(cg *g, const lin_tile *t, int64_t nmat, int64_t m, int64_t k, lin_getf *get,
			const void *ud, int64_t *per);
LLVMValueRef lin_pack_b(cg *g, const lin_tile *t, int64_t nmat, int64_t k, int64_t n, lin_getf *get,
			const void *ud, int64_t *per);

/* The f16 result of an emitter that computed into an f32 buffer f: each
** element rounded to f16, then act applied, stored to y (f16).  This is
** the interpreter's order (result stored, then the fused activation). */
void lin_f16_out(cg *g, LLVMValueRef f, LLVMValueRef y, int64_t n, const ir_activation *act);

/* Workspace bytes of MatMul and Gemm (k_linear.c) and of Conv and
** ConvTranspose (k_conv.c) for a target with vl f32 lanes (lin_tile.vl);
** LIN_MAX_VL gives a bound over every target. */
int64_t lin_matmul_workspace(const ir_graph *gr, const ir_op *op);
int64_t lin_conv_workspace(const ir_graph *gr, const ir_op *op, int vl);
/* f32 lanes of a target whose vectors have vec_bytes bytes. */
int lin_vl_of(int vec_bytes);

/* A loop that runs the body once without a loop when trips is 1:
** lin_loop returns the i64 index, lin_endloop closes it. */
typedef struct lin_loopv {
	cg_loop l;
	bool once;
} lin_loopv;
LLVMValueRef lin_loop(cg *g, lin_loopv *l, int64_t trips);
void lin_endloop(cg *g, lin_loopv *l);

#endif
