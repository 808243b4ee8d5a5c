/*
** k_shape.h - data movement building blocks shared by the shape kernels
** (k_shape.c, k_gather.c, k_resize.c); internal to those files.
**
** Offsets are i64 element counts; an element is ir_dtype_bits/8 bytes,
** moved as an integer of that width (no conversion), except i4, whose
** nibbles go through cg_load/cg_store one element at a time.
*/
#ifndef CONDENSE_K_SHAPE_H
#define CONDENSE_K_SHAPE_H

#include "codegen/cg.h"

#define KV_RANK (2 * IR_MAX_RANK)

/* An affine copy: dst[d0 + sum(i_k*ds_k)] = src[s0 + sum(i_k*ss_k)] over
** the box dims (row-major walk, last dim fastest); strides may be 0 or
** negative on the source side. */
typedef struct kview {
	int rank;
	int64_t dims[KV_RANK];
	int64_t ds[KV_RANK], ss[KV_RANK];
	int64_t d0, s0;
} kview;

/* Emit the copy v from src to dst, both of element type dt. */
void kv_emit(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef src, const kview *v);

/* The view copying every element of a tensor of type t from src (strides
** of t) to dst (row-major strides of dt's dims, equal to t's). */
kview kv_plain(const ir_type *dt, const ir_type *st);

/* A raw element value for kv_fill: an integer of the element's width
** (i64 for i4); byte is its repeated byte when every byte is equal and
** known at compile time, else -1. */
typedef struct kv_value {
	LLVMValueRef v;
	int byte;
} kv_value;

/* The pointer to element off (i64) of a tensor of type dt (not i4). */
LLVMValueRef kv_ptr(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef off);
/* n contiguous elements from src+soff to dst+doff. */
void kv_copy(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
	     LLVMValueRef soff, int64_t n);
/* n contiguous elements of dst from doff set to fv. */
void kv_fill(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef doff, int64_t n, kv_value fv);
/* Element 0 of a scalar operand as a kv_value (read at compile time when
** it is a constant). */
kv_value kv_scalar(cg *g, ir_dtype dt, const cg_buf *b);
/* The zero element. */
kv_value kv_zero(cg *g, ir_dtype dt);

/* a + b*c for i64 values where b is a constant (folds the trivial cases). */
LLVMValueRef kv_madd(cg *g, LLVMValueRef a, LLVMValueRef b, int64_t c);

/* i64 of a constant index table entry: the table global of n int32 or
** int64 values from vals (int32 when every value fits). */
typedef struct kv_table {
	LLVMValueRef ptr;
	LLVMTypeRef type;    /* i32 or i64 */
} kv_table;
kv_table kv_make_table(cg *g, const int64_t *vals, int64_t n, const char *name);
LLVMValueRef kv_table_load(cg *g, kv_table t, LLVMValueRef idx);

#endif
