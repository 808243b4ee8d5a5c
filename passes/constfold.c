/*
** constfold.c - constant folding.
**
** An op whose present operands are all const ops is evaluated now and its
** result becomes a const op at the folded op's position.  Evaluated so far
** (the reference interpreter will take over later):
**   Identity, Reshape, Flatten, Squeeze, Unsqueeze: the same bytes under the
**     result type (the blob is shared, not copied);
**   Transpose, Concat: any byte-sized element type (not i4);
**   Add, Sub, Mul, Div, Neg, Abs, Relu, Min, Max on f32, i32 and i64, and
**     Sqrt, Exp, Log, Reciprocal, Floor, Ceil, Tanh, Sigmoid on f32, with
**     numpy broadcasting; integers wrap around, division truncates toward
**     zero, Min and Max propagate NaN, and every NaN computed is stored as
**     the default quiet NaN so the output does not depend on the host;
**   Cast among f32, i32 and i64; f32 to an integer truncates toward zero.
** Anything else is left alone without a diagnostic, and so is an op with a
** const operand that carries a sparsity mask, a quantized operand or result
** (except for the byte-moving ops), a result over CONSTFOLD_MAX_BYTES,
** integer division by zero or MIN / -1, and a Cast whose value does not fit
** the target type (NaN included).
**
** One forward sweep.  A folded op becomes the const op in place: it keeps
** its position, its result value (so every use, graph outputs included,
** now reads the constant), the value's name and the op's location.  Ops
** are visited in order, so a chain of foldable ops folds in one run.  Each
** fold is complete before the next starts (the blob is stored first), so
** an unwind midway leaves a valid graph, and no op or value is created.
** Const operands left unused are dce's to remove.
*/
#include <math.h>
#include <string.h>

#include "passes/pass.h"

/* Largest result folded, in bytes: a fold costs up to twice this in arena
** memory (the evaluation buffer and its interned copy). */
#define CONSTFOLD_MAX_BYTES ((int64_t)1 << 26)

/* ---- element access --------------------------------------------------------- */

static float ld_f32(const uint8_t *p, int64_t i)
{
	float f;
	memcpy(&f, p + 4 * i, 4);
	return f;
}

static void st_f32(uint8_t *p, int64_t i, float f)
{
	memcpy(p + 4 * i, &f, 4);
}

/* Element i of an i32 or i64 array, sign-extended. */
static int64_t ld_int(ir_dtype dt, const uint8_t *p, int64_t i)
{
	if (dt == IR_I32) {
		int32_t v;
		memcpy(&v, p + 4 * i, 4);
		return v;
	}
	int64_t v;
	memcpy(&v, p + 8 * i, 8);
	return v;
}

/* Store v into an i32 or i64 array, keeping the low bits (wrap-around). */
static void st_int(ir_dtype dt, uint8_t *p, int64_t i, int64_t v)
{
	if (dt == IR_I32) {
		uint32_t x = (uint32_t)v;
		memcpy(p + 4 * i, &x, 4);
		return;
	}
	memcpy(p + 8 * i, &v, 8);
}

/* ---- iteration over a result shape ----------------------------------------- */

/*
** An odometer over the elements of a result in row-major order that keeps,
** for up to two sources, the element offset of the matching source element;
** a source's stride along a dim is 0 where it is broadcast.
*/
typedef struct iter {
	int rank;
	int64_t dims[IR_MAX_RANK];
	int64_t idx[IR_MAX_RANK];
	int64_t stride[2][IR_MAX_RANK];
	int64_t off[2];
} iter;

static void it_init(iter *it, const ir_type *t)
{
	memset(it, 0, sizeof *it);
	it->rank = t->rank;
	memcpy(it->dims, t->dims, sizeof it->dims);
}

static void it_next(iter *it)
{
	for (int d = it->rank - 1; d >= 0; d--) {
		it->off[0] += it->stride[0][d];
		it->off[1] += it->stride[1][d];
		if (++it->idx[d] < it->dims[d])
			return;
		it->off[0] -= it->stride[0][d] * it->dims[d];
		it->off[1] -= it->stride[1][d] * it->dims[d];
		it->idx[d] = 0;
	}
}

static void strides_of(const ir_type *t, int64_t *s)
{
	int64_t acc = 1;
	for (int d = t->rank - 1; d >= 0; d--) {
		s[d] = acc;
		acc *= t->dims[d];
	}
}

/* Source k has type src, broadcast numpy-style; -1 when it does not broadcast. */
static int it_bcast(iter *it, int k, const ir_type *src)
{
	int64_t s[IR_MAX_RANK];
	int shift = it->rank - src->rank;
	if (shift < 0)
		return -1;
	strides_of(src, s);
	for (int d = 0; d < it->rank; d++) {
		int64_t n = d < shift ? 1 : src->dims[d - shift];
		if (n != 1 && n != it->dims[d])
			return -1;
		it->stride[k][d] = n == 1 ? 0 : s[d - shift];
	}
	return 0;
}

/* ---- data movement ----------------------------------------------------------- */

/* Identity and the reshape-like ops: the operand's blob under the result type. */
static uint32_t same_bytes(const ir_graph *g, const ir_op *op, const ir_type *t, int64_t bytes)
{
	const ir_blob *b = ir_const_of(g, op->in[0]);
	if (ir_type_of(g, op->in[0])->dtype != t->dtype || b->size != bytes)
		return 0;
	return g->vals[op->in[0]].def->blob;
}

/* The perm attribute (reversed dims by default) into p; -1 unless a permutation of rank. */
static int perm_of(const ir_op *op, int rank, int64_t *p)
{
	const ir_attr *a = ir_op_attr(op, "perm");
	unsigned seen = 0;
	if (a && (a->kind != IR_ATTR_INTS || a->n != rank))
		return -1;
	for (int d = 0; d < rank; d++) {
		p[d] = a ? a->u.ints[d] : rank - 1 - d;
		if (p[d] < 0 || p[d] >= rank || ((seen >> p[d]) & 1))
			return -1;
		seen |= 1u << p[d];
	}
	return 0;
}

static int fold_transpose(ir_graph *g, const ir_op *op, const ir_type *t, uint8_t *dst)
{
	const ir_type *ti = ir_type_of(g, op->in[0]);
	int64_t s[IR_MAX_RANK], p[IR_MAX_RANK], n;
	size_t esz = (size_t)ir_dtype_bits(t->dtype) / 8;
	iter it;
	if (esz == 0 || ti->rank != t->rank || perm_of(op, t->rank, p) < 0)
		return -1;
	strides_of(ti, s);
	it_init(&it, t);
	for (int d = 0; d < t->rank; d++) {
		if (ti->dims[p[d]] != t->dims[d])
			return -1;
		it.stride[0][d] = s[p[d]];
	}
	const uint8_t *src = ir_const_of(g, op->in[0])->data;
	ir_type_numel(t, &n);
	for (int64_t e = 0; e < n; e++, it_next(&it))
		memcpy(dst + (size_t)e * esz, src + (size_t)it.off[0] * esz, esz);
	return 0;
}

/* Operands of Concat agree with the result t along every dim but axis, and fill it. */
static bool concat_ok(const ir_graph *g, const ir_op *op, const ir_type *t, int axis)
{
	int64_t along = 0;
	for (int32_t k = 0; k < op->n_in; k++) {
		const ir_type *ti = ir_type_of(g, op->in[k]);
		if (ti->dtype != t->dtype || ti->rank != t->rank || !ir_quant_equal(ti->quant, t->quant))
			return false;
		for (int d = 0; d < t->rank; d++)
			if (d != axis && ti->dims[d] != t->dims[d])
				return false;
		along += ti->dims[axis];
	}
	return along == t->dims[axis];
}

static int fold_concat(ir_graph *g, const ir_op *op, const ir_type *t, uint8_t *dst)
{
	int64_t axis = ir_op_int(op, "axis", 0), outer = 1, inner = ir_dtype_bits(t->dtype) / 8;
	if (axis < 0)
		axis += t->rank;
	if (inner == 0 || axis < 0 || axis >= t->rank || !concat_ok(g, op, t, (int)axis))
		return -1;
	for (int d = 0; d < axis; d++)
		outer *= t->dims[d];
	for (int d = (int)axis + 1; d < t->rank; d++)
		inner *= t->dims[d];
	for (int64_t o = 0; o < outer; o++)
		for (int32_t k = 0; k < op->n_in; k++) {
			size_t chunk = (size_t)(ir_type_of(g, op->in[k])->dims[axis] * inner);
			memcpy(dst, ir_const_of(g, op->in[k])->data + (size_t)o * chunk, chunk);
			dst += chunk;
		}
	return 0;
}

/* ---- arithmetic ------------------------------------------------------------------ */

static bool ew_supported(ir_opkind k, ir_dtype dt)
{
	switch (k) {
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV:
	case IR_OP_NEG: case IR_OP_ABS: case IR_OP_RELU: case IR_OP_MIN: case IR_OP_MAX:
		return dt == IR_F32 || dt == IR_I32 || dt == IR_I64;
	case IR_OP_SQRT: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_RECIPROCAL:
	case IR_OP_FLOOR: case IR_OP_CEIL: case IR_OP_TANH: case IR_OP_SIGMOID:
		return dt == IR_F32;
	default:
		return false;
	}
}

/* a k b for f32 (b unused by the unary ops). */
static float f32_op(ir_opkind k, float a, float b)
{
	switch (k) {
	case IR_OP_ADD: return a + b;
	case IR_OP_SUB: return a - b;
	case IR_OP_MUL: return a * b;
	case IR_OP_DIV: return a / b;
	case IR_OP_NEG: return -a;
	case IR_OP_ABS: return fabsf(a);
	case IR_OP_RELU: return a < 0 ? 0.0f : a;
	case IR_OP_MIN: return isnan(a) || isnan(b) ? a + b : a < b ? a : b;
	case IR_OP_MAX: return isnan(a) || isnan(b) ? a + b : a > b ? a : b;
	case IR_OP_SQRT: return sqrtf(a);
	case IR_OP_EXP: return expf(a);
	case IR_OP_LOG: return logf(a);
	case IR_OP_RECIPROCAL: return 1.0f / a;
	case IR_OP_FLOOR: return floorf(a);
	case IR_OP_CEIL: return ceilf(a);
	case IR_OP_TANH: return tanhf(a);
	case IR_OP_SIGMOID: return 1.0f / (1.0f + expf(-a));
	default: return NAN;
	}
}

/*
** a k b for i32 or i64 (operands sign-extended) into *r, computed modulo
** 2^64 so that the low bits st_int keeps are the wrapped result.  Returns -1
** for division by zero and for MIN / -1, which have no value.
*/
static int int_op(ir_opkind k, ir_dtype dt, int64_t a, int64_t b, int64_t *r)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	int64_t min = dt == IR_I32 ? INT32_MIN : INT64_MIN;
	switch (k) {
	case IR_OP_ADD: *r = (int64_t)(ua + ub); return 0;
	case IR_OP_SUB: *r = (int64_t)(ua - ub); return 0;
	case IR_OP_MUL: *r = (int64_t)(ua * ub); return 0;
	case IR_OP_DIV:
		if (b == 0 || (a == min && b == -1))
			return -1;
		*r = a / b;
		return 0;
	case IR_OP_NEG: *r = (int64_t)(0 - ua); return 0;
	case IR_OP_ABS: *r = a < 0 ? (int64_t)(0 - ua) : a; return 0;
	case IR_OP_RELU: *r = a < 0 ? 0 : a; return 0;
	case IR_OP_MIN: *r = a < b ? a : b; return 0;
	case IR_OP_MAX: *r = a > b ? a : b; return 0;
	default: return -1;
	}
}

static int ew_loop(ir_opkind k, ir_dtype dt, const uint8_t **src, iter *it, uint8_t *dst, int64_t n)
{
	for (int64_t e = 0; e < n; e++, it_next(it)) {
		if (dt == IR_F32) {
			float r = f32_op(k, ld_f32(src[0], it->off[0]), ld_f32(src[1], it->off[1]));
			st_f32(dst, e, isnan(r) ? NAN : r);
			continue;
		}
		int64_t r;
		if (int_op(k, dt, ld_int(dt, src[0], it->off[0]), ld_int(dt, src[1], it->off[1]), &r) < 0)
			return -1;
		st_int(dt, dst, e, r);
	}
	return 0;
}

/* Elementwise ops, one or two operands broadcast to t; a unary op reads its operand twice. */
static int fold_elementwise(ir_graph *g, const ir_op *op, const ir_type *t, uint8_t *dst)
{
	const uint8_t *src[2];
	int64_t n;
	iter it;
	if (!ew_supported(op->kind, t->dtype) || t->quant || op->n_in > 2)
		return -1;
	it_init(&it, t);
	for (int32_t k = 0; k < op->n_in; k++) {
		const ir_type *ti = ir_type_of(g, op->in[k]);
		if (ti->dtype != t->dtype || ti->quant || it_bcast(&it, k, ti) < 0)
			return -1;
		src[k] = ir_const_of(g, op->in[k])->data;
	}
	if (op->n_in == 1)
		src[1] = src[0];
	ir_type_numel(t, &n);
	return ew_loop(op->kind, t->dtype, src, &it, dst, n);
}

/* ---- Cast -------------------------------------------------------------------------- */

static bool cast_type(ir_dtype dt)
{
	return dt == IR_F32 || dt == IR_I32 || dt == IR_I64;
}

/* Element i of src (type from) as type to at dst[i]; -1 when it does not fit. */
static int cast_elem(ir_dtype from, const uint8_t *src, ir_dtype to, uint8_t *dst, int64_t i)
{
	if (from == IR_F32) {
		float f = ld_f32(src, i), lim = to == IR_I32 ? 2147483648.0f : 9223372036854775808.0f;
		if (to == IR_F32)
			st_f32(dst, i, f);
		else if (f >= -lim && f < lim)
			st_int(to, dst, i, (int64_t)f);
		else
			return -1;
		return 0;
	}
	int64_t v = ld_int(from, src, i);
	if (to == IR_F32)
		st_f32(dst, i, (float)v);
	else if (to == IR_I64 || (v >= INT32_MIN && v <= INT32_MAX))
		st_int(to, dst, i, v);
	else
		return -1;
	return 0;
}

static int fold_cast(ir_graph *g, const ir_op *op, const ir_type *t, uint8_t *dst)
{
	const ir_type *ti = ir_type_of(g, op->in[0]);
	const uint8_t *src = ir_const_of(g, op->in[0])->data;
	int64_t n;
	if (!cast_type(ti->dtype) || !cast_type(t->dtype) || ti->quant || t->quant)
		return -1;
	ir_type_numel(t, &n);
	for (int64_t i = 0; i < n; i++)
		if (cast_elem(ti->dtype, src, t->dtype, dst, i) < 0)
			return -1;
	return 0;
}

/* ---- the pass ---------------------------------------------------------------------- */

typedef int (*evaluator)(ir_graph *g, const ir_op *op, const ir_type *t, uint8_t *dst);

static evaluator evaluator_of(ir_opkind k)
{
	switch (k) {
	case IR_OP_TRANSPOSE: return fold_transpose;
	case IR_OP_CONCAT: return fold_concat;
	case IR_OP_CAST: return fold_cast;
	default: return ew_supported(k, IR_F32) ? fold_elementwise : NULL;
	}
}

/* True when op has a present operand and every present one is an unmasked const. */
static bool all_const(const ir_graph *g, const ir_op *op)
{
	int32_t present = 0;
	for (int32_t i = 0; i < op->n_in; i++) {
		ir_val v = op->in[i];
		if (v == IR_NOVAL)
			continue;
		if (!ir_const_of(g, v) || g->vals[v].def->mask)
			return false;
		present++;
	}
	return present > 0;
}

/* The blob holding op's folded result, or 0 when op is not folded. */
static uint32_t fold(ir_graph *g, const ir_op *op)
{
	int64_t bytes;
	if (op->kind == IR_OP_CONST || op->n_out != 1 || !all_const(g, op))
		return 0;
	const ir_type *t = ir_type_of(g, op->out[0]);
	if (ir_type_bytes(t, &bytes) < 0 || bytes > CONSTFOLD_MAX_BYTES)
		return 0;
	switch (op->kind) {
	case IR_OP_IDENTITY: case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
		return same_bytes(g, op, t, bytes);
	default:
		break;
	}
	evaluator ev = evaluator_of(op->kind);
	if (!ev)
		return 0;
	uint8_t *dst = ir_alloc(g->ctx, (size_t)bytes);
	return ev(g, op, t, dst) < 0 ? 0 : ir_blob_intern(g, dst, bytes);
}

/* Turn op into a const op holding blob; its result value, name and location stay. */
static void make_const(ir_op *op, uint32_t blob)
{
	op->kind = IR_OP_CONST;
	op->n_in = 0;
	op->in = NULL;
	op->n_attrs = 0;
	op->attrs = NULL;
	op->blob = blob;
	op->mask = 0;
}

int pass_constfold(ir_graph *g, pass_stats *st)
{
	for (uint32_t i = 0; i < g->n_ops; i++) {
		uint32_t blob = fold(g, g->ops[i]);
		if (!blob)
			continue;
		make_const(g->ops[i], blob);
		st->changed++;
	}
	return 0;
}
