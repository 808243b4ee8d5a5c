/*
** kernel.h - helpers shared by the interpreter's kernel files (internal).
*/
#ifndef CONDENSE_INTERP_KERNEL_H
#define CONDENSE_INTERP_KERNEL_H

#include "interp/interp.h"

/* Elements of t; the verifier bounded the product by IR_MAX_ELEMENTS. */
static inline int64_t numel(const ir_type *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

/* Operand i, or NULL when it is absent or beyond the op's operands. */
static inline const interp_tensor *opt(const ir_op *op, const interp_tensor *const *in, int i)
{
	return i < op->n_in ? in[i] : NULL;
}

/* The first n values of the ints attribute name, dflt where it is absent or short. */
static inline void ints_or(const ir_op *op, const char *name, int n, int64_t dflt, int64_t *dst)
{
	const ir_attr *a = ir_op_attr(op, name);
	for (int i = 0; i < n; i++)
		dst[i] = a && a->kind == IR_ATTR_INTS && i < a->n ? a->u.ints[i] : dflt;
}

/* t's elements as [outer, n, inner] around axis: element (o, k, j) sits at
** o*n*inner + k*inner + j. */
static inline void split(const ir_type *t, int axis, int64_t *outer, int64_t *n, int64_t *inner)
{
	*outer = *inner = 1;
	for (int d = 0; d < axis; d++)
		*outer *= t->dims[d];
	*n = t->dims[axis];
	for (int d = axis + 1; d < t->rank; d++)
		*inner *= t->dims[d];
}

/* The op's 'axis' attribute made non-negative (the verifier checked its range). */
static inline int get_axis(const ir_op *op, const ir_type *t, int64_t dflt)
{
	int64_t a = ir_op_int(op, "axis", dflt);
	return (int)(a < 0 ? a + t->rank : a);
}

/* The value range of an integer element type (bool is [0, 1]); i64 and
** float types give the full int64 range. */
static inline void int_range(ir_dtype dt, int64_t *lo, int64_t *hi)
{
	switch (dt) {
	case IR_I8: *lo = INT8_MIN; *hi = INT8_MAX; return;
	case IR_U8: *lo = 0; *hi = UINT8_MAX; return;
	case IR_I16: *lo = INT16_MIN; *hi = INT16_MAX; return;
	case IR_I32: *lo = INT32_MIN; *hi = INT32_MAX; return;
	case IR_I4: *lo = -8; *hi = 7; return;
	case IR_BOOL: *lo = 0; *hi = 1; return;
	default: *lo = INT64_MIN; *hi = INT64_MAX; return;
	}
}

#endif
