/*
** k_reduce.h - folds shared by the reduction, softmax, normalization and
** pooling emitters (k_reduce.c, k_norm.c, k_pool.c); internal to them.
**
** A fold combines elements into an accumulator: f32 (a scalar, or a vector
** of lanes f32 values that are folded independently) or, for integer
** element types, an exact wrapping i64 scalar.  Vectors are explicit
** because LLVM may not reorder float additions by itself: KR_LANES
** accumulators per loop give both speed and, for long sums, accuracy (each
** lane sums a fraction of the elements); kr_span adds blocking on top.
** The lane count is fixed, not the target's, so every target rounds alike.
*/
#ifndef CONDENSE_K_REDUCE_H
#define CONDENSE_K_REDUCE_H

#include "codegen/cg.h"

/* f32 lanes of a vector accumulator. */
#define KR_LANES 16

typedef enum kr_kind {
	KR_SUM,     /* a + x */
	KR_ABS,     /* a + |x| */
	KR_SQ,      /* a + x*x */
	KR_PROD,    /* a * x */
	KR_MAX,     /* a NaN wins (numpy's maximum) */
	KR_MIN,
	KR_EXP,     /* a + exp(x), float only */
	KR_FINMAX,  /* the largest finite x, -inf when none; float only */
} kr_kind;

typedef struct kr_fold {
	kr_kind kind;
	ir_dtype dt;          /* element type read */
	bool ints;            /* exact i64 accumulation (integer dt, not KR_EXP/KR_FINMAX) */
	LLVMValueRef shift;   /* subtracted from every x first (f32, scalar or of the lanes), or NULL */
	LLVMValueRef sink;    /* KR_EXP over f32: exp(x - shift) is also stored here, at x's index */
} kr_fold;

/* A fold of kind over elements of type dt, no shift or sink. */
kr_fold kr_make(kr_kind kind, ir_dtype dt);
/* The accumulator type and the fold's identity (for KR_MAX/KR_MIN over
** integers, the element type's minimum/maximum). */
LLVMTypeRef kr_type(cg *g, const kr_fold *f, int lanes);
LLVMValueRef kr_identity(cg *g, const kr_fold *f, int lanes);
/* A scalar repeated over lanes (the scalar itself for lanes == 1). */
LLVMValueRef kr_splat(cg *g, LLVMValueRef s, int lanes);
/* Element idx (lanes consecutive elements, f32 only when lanes > 1) in the
** compute type, and the matching store. */
LLVMValueRef kr_load(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, int lanes);
void kr_store(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v, int lanes);
/* A variable of the accumulator type set to the identity. */
LLVMValueRef kr_var(cg *g, const kr_fold *f, int lanes);
/* Combine two partial accumulations, and the lanes of one. */
LLVMValueRef kr_merge(cg *g, const kr_fold *f, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef kr_hmerge(cg *g, const kr_fold *f, LLVMValueRef v, int lanes);
/* Sums profit from partial accumulators; other folds need none. */
bool kr_additive(kr_kind k);
/* Fold into the variable acc the count groups of lanes elements at
** base[off + i*step], i < count. */
void kr_span(cg *g, const kr_fold *f, LLVMValueRef acc, LLVMValueRef base, LLVMValueRef off,
	     int64_t count, int64_t step, int lanes);
/* The fold (a scalar) of the n consecutive elements from base[off]. */
LLVMValueRef kr_run(cg *g, const kr_fold *f, LLVMValueRef base, LLVMValueRef off, int64_t n);
/*
** Index (i64) of the winning element of the n at base[off + k*stride]
** (n >= 1), numpy's argmax (max) or argmin: the first extreme, the last
** one with last; a NaN beats every number.
*/
LLVMValueRef kr_argbest(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef off, int64_t n,
			int64_t stride, bool max, bool last);
/* off + i*k, in i64. */
LLVMValueRef kr_madd(cg *g, LLVMValueRef off, LLVMValueRef i, int64_t k);

#endif
