/*
** infer.c - shape and type inference, one rule per op.
**
** ir_infer() dispatches through two tables built from the op table
** (ir/ops.h): the element-type class of operand 0 (column TY), checked here
** once for every op, and the shape rule (column RULE), a static function
** infer_<rule>.  A rule reads operand types, attributes and, for Reshape,
** Squeeze and Unsqueeze, constant operands; it fills out[0] and returns 0, or
** emits exactly one diagnostic "'Op' op: ..." and returns -1.  The limits on
** a result (size of a dim, element count) are checked once, after the rule.
**
** Semantics are ONNX opset 17, stricter where that costs nothing: operands
** of one elementwise op share one element type (no implicit promotion), and
** every shape must be fully known (there are no symbolic dims).
**
** Dims are int64.  Operand dims are at most IR_MAX_DIM (2^40), but attribute
** values (pads, strides, dilations) and shape constants can be any int64, so
** arithmetic that involves them is overflow-checked.
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

typedef int rule_fn(ir_graph *g, const ir_op *op, ir_type *out);

/* ---- helpers ------------------------------------------------------------- */

/*
** A type as text, "f32[1,3,8,8]" (as the text form prints it), returned by
** value so that one diagnostic can show several: the array of the returned
** struct lives until the end of the enclosing full expression.
*/
typedef struct tystr {
	char s[IR_MAX_RANK * 22 + 16];
} tystr;

static tystr tyfmt(const ir_type *t)
{
	tystr r;
	size_t n = (size_t)snprintf(r.s, sizeof r.s, "%s[", ir_dtype_name(t->dtype));
	for (int i = 0; i < t->rank && i < IR_MAX_RANK && n < sizeof r.s; i++)
		n += (size_t)snprintf(r.s + n, sizeof r.s - n, "%s%" PRId64, i ? "," : "", t->dims[i]);
	if (n < sizeof r.s)
		snprintf(r.s + n, sizeof r.s - n, "]");
	return r;
}

static int fail(ir_graph *g, const ir_op *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Emit "'Op' op: <message>" at op's location; returns -1. */
static int fail(ir_graph *g, const ir_op *op, const char *fmt, ...)
{
	char msg[sizeof g->ctx->first_error];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ir_error(g->ctx, op->loc, "'%s' op: %s", ir_op_name(op->kind), msg);
}

/* The type of operand i, or NULL when it is absent. */
static const ir_type *opnd(const ir_graph *g, const ir_op *op, int i)
{
	return i < op->n_in && op->in[i] != IR_NOVAL ? ir_type_of(g, op->in[i]) : NULL;
}

/* t without quantization parameters, which inference never produces. */
static ir_type plain(const ir_type *t)
{
	ir_type r = *t;
	r.quant = NULL;
	return r;
}

static bool same_shape(const ir_type *a, const ir_type *b)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

/* Operands i and j (both present) must have one element type. */
static int same_dtype(ir_graph *g, const ir_op *op, int i, int j)
{
	const ir_type *a = opnd(g, op, i), *b = opnd(g, op, j);
	if (a->dtype == b->dtype)
		return 0;
	return fail(g, op, "operands %d and %d have different element types (%s and %s)",
		    i, j, tyfmt(a).s, tyfmt(b).s);
}

/*
** Check axis *a against rank r and make it non-negative.  The valid range is
** [-r, r-1], or [-r, r] when end is set (an axis between dims, as Flatten's).
*/
static int norm_axis(ir_graph *g, const ir_op *op, int64_t *a, int r, bool end)
{
	int64_t hi = end ? r : r - 1;
	if (*a < -(int64_t)r || *a > hi)
		return fail(g, op, "axis %" PRId64 " is out of range for rank %d", *a, r);
	if (*a < 0)
		*a += r;
	return 0;
}

/*
** Numpy (multidirectional) broadcast of a and b into *r, with a's element
** type: dims align at the right and must be equal or 1.  -1 when they do not
** broadcast; r may alias a or b.
*/
static int bcast2(const ir_type *a, const ir_type *b, ir_type *r)
{
	int n = a->rank > b->rank ? a->rank : b->rank;
	ir_type t = {.dtype = a->dtype, .rank = n};
	for (int i = 0; i < n; i++) {
		int ia = i - (n - a->rank), ib = i - (n - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		t.dims[i] = da == 1 ? db : da;
	}
	*r = t;
	return 0;
}

/* Broadcast every operand (all present) into *r, with operand 0's type. */
static int bcast_all(ir_graph *g, const ir_op *op, ir_type *r)
{
	*r = plain(opnd(g, op, 0));
	for (int i = 1; i < op->n_in; i++) {
		const ir_type *b = opnd(g, op, i);
		if (bcast2(r, b, r) < 0)
			return fail(g, op, "operand shapes %s and %s do not broadcast", tyfmt(r).s, tyfmt(b).s);
	}
	return 0;
}

/* True when t broadcasts one way to target: t's dims, aligned at the right,
** are equal to target's or 1, and t has no more dims. */
static bool bcasts_to(const ir_type *t, const ir_type *target)
{
	if (t->rank > target->rank)
		return false;
	for (int i = 0; i < t->rank; i++) {
		int64_t d = t->dims[i], want = target->dims[target->rank - t->rank + i];
		if (d != want && d != 1)
			return false;
	}
	return true;
}

/*
** The values of operand i, which must be a 1-D i64 constant of at most max
** values, into v[0..*n); what names the operand in diagnostics.
*/
static int const_ints(ir_graph *g, const ir_op *op, int i, const char *what, int max,
		      int64_t *v, int *n)
{
	const ir_type *t = opnd(g, op, i);
	const ir_blob *b = ir_const_of(g, op->in[i]);
	if (!b)
		return fail(g, op, "the %s operand must be a constant "
			    "(shape-computing subgraphs are folded at import)", what);
	if (t->dtype != IR_I64 || t->rank != 1)
		return fail(g, op, "the %s operand must be a 1-D i64 constant; got %s", what, tyfmt(t).s);
	if (t->dims[0] > max)
		return fail(g, op, "the %s operand has %" PRId64 " values; too many (limit is %d)",
			    what, t->dims[0], max);
	if (b->size != t->dims[0] * 8)
		return fail(g, op, "the %s constant holds %" PRId64 " bytes; its type %s needs %" PRId64,
			    what, b->size, tyfmt(t).s, t->dims[0] * 8);
	if (b->size)
		memcpy(v, b->data, (size_t)b->size);
	*n = (int)t->dims[0];
	return 0;
}

/* ---- elementwise rules --------------------------------------------------- */

/* The constant's declared type is its own truth (the verifier checks the
** blob against it). */
static int infer_konst(ir_graph *g, const ir_op *op, ir_type *out)
{
	out[0] = plain(ir_type_of(g, op->out[0]));
	return 0;
}

static int infer_same(ir_graph *g, const ir_op *op, ir_type *out)
{
	out[0] = plain(opnd(g, op, 0));
	return 0;
}

/* Clip: the optional bounds (operands 1, 2) are scalars of x's type. */
static int infer_clip(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	for (int i = 1; i <= 2; i++) {
		const ir_type *b = opnd(g, op, i);
		if (b && (b->rank != 0 || b->dtype != x->dtype))
			return fail(g, op, "operand %d (the %s bound) must be a scalar %s[]; got %s", i,
				    i == 1 ? "lower" : "upper", ir_dtype_name(x->dtype), tyfmt(b).s);
	}
	out[0] = plain(x);
	return 0;
}

static int infer_softmax(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", -1);
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	out[0] = plain(x);
	return 0;
}

/* All operands of one element type, broadcast together. */
static int infer_bcast(ir_graph *g, const ir_op *op, ir_type *out)
{
	for (int i = 1; i < op->n_in; i++)
		if (same_dtype(g, op, 0, i) < 0)
			return -1;
	return bcast_all(g, op, out);
}

static int infer_compare(ir_graph *g, const ir_op *op, ir_type *out)
{
	if (infer_bcast(g, op, out) < 0)
		return -1;
	out[0].dtype = IR_BOOL;
	return 0;
}

/* Where(c, a, b): c is bool (checked through TY), a and b share a type. */
static int infer_where(ir_graph *g, const ir_op *op, ir_type *out)
{
	if (same_dtype(g, op, 1, 2) < 0 || bcast_all(g, op, out) < 0)
		return -1;
	out[0].dtype = opnd(g, op, 1)->dtype;
	return 0;
}

static int infer_cast(ir_graph *g, const ir_op *op, ir_type *out)
{
	const char *to = ir_op_str(op, "to", NULL);
	if (!to)
		return fail(g, op, "missing required attribute 'to'");
	int dt = ir_dtype_from_name(to, strlen(to));
	if (dt < 0)
		return fail(g, op, "attribute 'to' is '%s', which is not an element type (f32, i64, ...)", to);
	out[0] = plain(opnd(g, op, 0));
	out[0].dtype = (ir_dtype)dt;
	return 0;
}

/* ---- linear algebra ------------------------------------------------------ */

/* A 1-D matmul operand as 2-D: [1,K] on the left, [K,1] on the right. */
static ir_type promote(const ir_type *t, bool right)
{
	ir_type r = plain(t);
	if (t->rank == 1) {
		r.rank = 2;
		r.dims[right ? 0 : 1] = t->dims[0];
		r.dims[right ? 1 : 0] = 1;
	}
	return r;
}

/*
** numpy matmul: 1-D operands are promoted (and the added dim dropped from
** the result), the last two dims multiply as matrices, and the leading
** (batch) dims broadcast.
*/
static int infer_matmul(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1);
	if (same_dtype(g, op, 0, 1) < 0)
		return -1;
	if (a->rank < 1 || b->rank < 1)
		return fail(g, op, "operands must have rank >= 1; got %s and %s", tyfmt(a).s, tyfmt(b).s);
	ir_type pa = promote(a, false), pb = promote(b, true);
	if (pa.dims[pa.rank - 1] != pb.dims[pb.rank - 2])
		return fail(g, op, "inner dims of %s and %s differ (%" PRId64 " and %" PRId64 ")",
			    tyfmt(a).s, tyfmt(b).s, pa.dims[pa.rank - 1], pb.dims[pb.rank - 2]);
	ir_type ba = pa, bb = pb;
	ba.rank -= 2;
	bb.rank -= 2;
	if (bcast2(&ba, &bb, &out[0]) < 0)
		return fail(g, op, "batch dims of %s and %s do not broadcast", tyfmt(a).s, tyfmt(b).s);
	if (a->rank > 1)
		out[0].dims[out[0].rank++] = pa.dims[pa.rank - 2];
	if (b->rank > 1)
		out[0].dims[out[0].rank++] = pb.dims[pb.rank - 1];
	return 0;
}

/* Gemm: [M,N] = op(A) [M,K] x op(B) [K,N]; C broadcasts one way to [M,N]. */
static int infer_gemm(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1), *c = opnd(g, op, 2);
	if (a->rank != 2 || b->rank != 2)
		return fail(g, op, "A and B must have rank 2; got %s and %s", tyfmt(a).s, tyfmt(b).s);
	if (same_dtype(g, op, 0, 1) < 0 || (c && same_dtype(g, op, 0, 2) < 0))
		return -1;
	int ta = ir_op_int(op, "transA", 0) != 0, tb = ir_op_int(op, "transB", 0) != 0;
	int64_t m = a->dims[ta], ka = a->dims[1 - ta], kb = b->dims[tb], n = b->dims[1 - tb];
	if (ka != kb)
		return fail(g, op, "inner dims differ: op(A) is [%" PRId64 ",%" PRId64 "], "
			    "op(B) is [%" PRId64 ",%" PRId64 "]", m, ka, kb, n);
	out[0] = (ir_type){.dtype = a->dtype, .rank = 2, .dims = {m, n}};
	if (c && !bcasts_to(c, &out[0]))
		return fail(g, op, "C %s does not broadcast to the result %s", tyfmt(c).s, tyfmt(&out[0]).s);
	return 0;
}

/* ---- convolution and pooling --------------------------------------------- */

enum { PAD_NOTSET, PAD_VALID, PAD_SAME_UPPER, PAD_SAME_LOWER };

/* The sliding window of Conv and pooling over n spatial dims. */
typedef struct window {
	int n;                          /* spatial rank */
	int auto_pad;                   /* PAD_* */
	bool ceil_mode;
	int64_t k[IR_MAX_RANK];         /* kernel */
	int64_t s[IR_MAX_RANK];         /* strides */
	int64_t d[IR_MAX_RANK];         /* dilations */
	int64_t pads[2 * IR_MAX_RANK];  /* n begins, then n ends */
} window;

/*
** List attribute name into dst[0..n): n copies of dflt when absent, else
** exactly n values, each >= lo.
*/
static int ints_attr(ir_graph *g, const ir_op *op, const char *name, int n, int64_t dflt,
		     int64_t lo, int64_t *dst)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (!a || a->kind != IR_ATTR_INTS) {
		for (int i = 0; i < n; i++)
			dst[i] = dflt;
		return 0;
	}
	if (a->n != n)
		return fail(g, op, "attribute '%s' has %d values; expected %d", name, (int)a->n, n);
	for (int i = 0; i < n; i++) {
		if (a->u.ints[i] < lo)
			return fail(g, op, "attribute '%s' value %" PRId64 " (index %d) must be >= %" PRId64,
				    name, a->u.ints[i], i, lo);
		dst[i] = a->u.ints[i];
	}
	return 0;
}

static int auto_pad_attr(ir_graph *g, const ir_op *op, int *mode)
{
	static const char *const names[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
	const char *s = ir_op_str(op, "auto_pad", "NOTSET");
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*mode = i;
			return 0;
		}
	}
	return fail(g, op, "attribute 'auto_pad' is '%s'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER", s);
}

/*
** Strides, dilations, pads, auto_pad and ceil_mode into w (w->n set).  Pads
** other than zero cannot be combined with an auto_pad other than NOTSET.
*/
static int window_attrs(ir_graph *g, const ir_op *op, window *w)
{
	if (ints_attr(g, op, "strides", w->n, 1, 1, w->s) < 0 ||
	    ints_attr(g, op, "dilations", w->n, 1, 1, w->d) < 0 ||
	    ints_attr(g, op, "pads", 2 * w->n, 0, 0, w->pads) < 0 ||
	    auto_pad_attr(g, op, &w->auto_pad) < 0)
		return -1;
	for (int i = 0; i < 2 * w->n && w->auto_pad != PAD_NOTSET; i++)
		if (w->pads[i])
			return fail(g, op, "attribute 'pads' cannot be combined with auto_pad '%s'",
				    ir_op_str(op, "auto_pad", ""));
	int64_t cm = ir_op_int(op, "ceil_mode", 0);
	if (cm != 0 && cm != 1)
		return fail(g, op, "attribute 'ceil_mode' is %" PRId64 "; expected 0 or 1", cm);
	w->ceil_mode = cm;
	return 0;
}

/*
** Windows along spatial dim i of extent in: floor (or, in ceil mode, ceil)
** of (in + pads - dilated kernel) / stride, plus 1.  In ceil mode a last
** window that would start in the end padding is dropped (ONNX).
*/
static int explicit_extent(ir_graph *g, const ir_op *op, const window *w, int i, int64_t in, int64_t *o)
{
	int64_t s = w->s[i], pb = w->pads[i], pe = w->pads[w->n + i], keff, inb, span, st;
	if (w->auto_pad == PAD_VALID)
		pb = pe = 0;
	if (__builtin_mul_overflow(w->d[i], w->k[i] - 1, &keff) || __builtin_add_overflow(keff, 1, &keff) ||
	    __builtin_add_overflow(in, pb, &inb) || __builtin_add_overflow(inb, pe, &span))
		return fail(g, op, "spatial dim %d: window arithmetic overflows", i);
	if (span < keff)
		return fail(g, op, "spatial dim %d: the dilated kernel (%" PRId64 ") exceeds "
			    "the padded input (%" PRId64 ")", i, keff, span);
	*o = (span - keff) / s + 1;
	if (w->ceil_mode) {
		*o += (span - keff) % s != 0;
		if (__builtin_mul_overflow(*o - 1, s, &st) || st >= inb)
			--*o;
	}
	return 0;
}

/*
** The result of a Conv or pooling op over x with window w: [N, channels,
** spatial...], where SAME_* auto padding gives ceil(in / stride).
*/
static int window_out(ir_graph *g, const ir_op *op, const window *w, const ir_type *x,
		      int64_t channels, ir_type *out)
{
	*out = plain(x);
	out->dims[1] = channels;
	for (int i = 0; i < w->n; i++) {
		int64_t in = x->dims[2 + i], o = 0;
		if (w->auto_pad == PAD_SAME_UPPER || w->auto_pad == PAD_SAME_LOWER)
			o = in / w->s[i] + (in % w->s[i] != 0);
		else if (explicit_extent(g, op, w, i, in, &o) < 0)
			return -1;
		if (o < 1)
			return fail(g, op, "spatial dim %d: the output extent would be %" PRId64, i, o);
		out->dims[2 + i] = o;
	}
	return 0;
}

/*
** Conv operands: X [N, C, spatial...], W [M, C/group, kernel...] of X's
** rank, optional bias [M]; group divides C and M.
*/
static int conv_operands(ir_graph *g, const ir_op *op)
{
	const ir_type *x = opnd(g, op, 0), *w = opnd(g, op, 1), *b = opnd(g, op, 2);
	int64_t group = ir_op_int(op, "group", 1);
	if (same_dtype(g, op, 0, 1) < 0 || (b && same_dtype(g, op, 0, 2) < 0))
		return -1;
	if (x->rank < 3)
		return fail(g, op, "X must have rank >= 3 ([N, C, spatial...]); got %s", tyfmt(x).s);
	if (w->rank != x->rank)
		return fail(g, op, "W %s must have the rank of X %s", tyfmt(w).s, tyfmt(x).s);
	if (group < 1)
		return fail(g, op, "attribute 'group' is %" PRId64 "; expected >= 1", group);
	if (x->dims[1] % group || w->dims[0] % group || w->dims[1] != x->dims[1] / group)
		return fail(g, op, "with group %" PRId64 ", X %s and W %s do not match: C and M "
			    "must be multiples of group and W's dim 1 must be C/group",
			    group, tyfmt(x).s, tyfmt(w).s);
	if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
		return fail(g, op, "bias %s must be [%" PRId64 "] (one value per output channel)",
			    tyfmt(b).s, w->dims[0]);
	return 0;
}

/* The kernel is W's spatial dims; kernel_shape, if given, must agree. */
static int conv_kernel(ir_graph *g, const ir_op *op, window *win)
{
	const ir_type *w = opnd(g, op, 1);
	const ir_attr *ks = ir_op_attr(op, "kernel_shape");
	for (int i = 0; i < win->n; i++) {
		win->k[i] = w->dims[2 + i];
		if (win->k[i] < 1)
			return fail(g, op, "W %s has an empty kernel", tyfmt(w).s);
	}
	if (!ks || ks->kind != IR_ATTR_INTS)
		return 0;
	if (ks->n != win->n)
		return fail(g, op, "attribute 'kernel_shape' has %d values; expected %d", (int)ks->n, win->n);
	for (int i = 0; i < win->n; i++)
		if (ks->u.ints[i] != win->k[i])
			return fail(g, op, "attribute 'kernel_shape' does not match the kernel dims of W %s",
				    tyfmt(w).s);
	return 0;
}

static int infer_conv(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	window w = {0};
	if (conv_operands(g, op) < 0)
		return -1;
	w.n = x->rank - 2;
	if (conv_kernel(g, op, &w) < 0 || window_attrs(g, op, &w) < 0)
		return -1;
	return window_out(g, op, &w, x, opnd(g, op, 1)->dims[0], &out[0]);
}

/* MaxPool, AveragePool: kernel_shape required; channels are preserved. */
static int infer_pool(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	window w = {0};
	if (x->rank < 3)
		return fail(g, op, "operand 0 must have rank >= 3 ([N, C, spatial...]); got %s", tyfmt(x).s);
	if (!ir_op_attr(op, "kernel_shape"))
		return fail(g, op, "missing required attribute 'kernel_shape'");
	w.n = x->rank - 2;
	if (ints_attr(g, op, "kernel_shape", w.n, 1, 1, w.k) < 0 || window_attrs(g, op, &w) < 0)
		return -1;
	return window_out(g, op, &w, x, x->dims[1], &out[0]);
}

static int infer_gpool(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	if (x->rank < 3)
		return fail(g, op, "operand 0 must have rank >= 3 ([N, C, spatial...]); got %s", tyfmt(x).s);
	out[0] = plain(x);
	for (int i = 2; i < x->rank; i++)
		out[0].dims[i] = 1;
	return 0;
}

/* X [N, C, ...]; scale, B, mean and var are [C] of X's element type. */
static int infer_batchnorm(ir_graph *g, const ir_op *op, ir_type *out)
{
	static const char *const names[] = {"X", "scale", "B", "mean", "var"};
	const ir_type *x = opnd(g, op, 0);
	if (x->rank < 2)
		return fail(g, op, "X must have rank >= 2 ([N, C, ...]); got %s", tyfmt(x).s);
	for (int i = 1; i < 5; i++) {
		const ir_type *p = opnd(g, op, i);
		if (same_dtype(g, op, 0, i) < 0)
			return -1;
		if (p->rank != 1 || p->dims[0] != x->dims[1])
			return fail(g, op, "operand %d (%s) %s must be [%" PRId64 "], one value per "
				    "channel of X %s", i, names[i], tyfmt(p).s, x->dims[1], tyfmt(x).s);
	}
	out[0] = plain(x);
	return 0;
}

/* ---- shape manipulation -------------------------------------------------- */

/*
** The target dims of Reshape into out (its rank set): 0 copies x's dim at
** that index unless allowzero; -1 (at most one) is left for the caller and
** its index returned in *infer_at.  *known gets the product of the rest.
*/
static int reshape_dims(ir_graph *g, const ir_op *op, const int64_t *v, ir_type *out,
			int *infer_at, int64_t *known)
{
	const ir_type *x = opnd(g, op, 0);
	bool allowzero = ir_op_int(op, "allowzero", 0) != 0, zero = false;
	*infer_at = -1;
	*known = 1;
	for (int i = 0; i < out->rank; i++) {
		int64_t d = v[i];
		if (d == 0 && !allowzero) {
			if (i >= x->rank)
				return fail(g, op, "shape value 0 at index %d copies a dim that %s does not have",
					    i, tyfmt(x).s);
			d = x->dims[i];
		} else if (d == -1) {
			if (*infer_at >= 0)
				return fail(g, op, "the shape has more than one -1");
			*infer_at = i;
			continue;
		} else if (d < -1) {
			return fail(g, op, "shape value %" PRId64 " at index %d is negative", d, i);
		}
		zero |= d == 0;
		if (__builtin_mul_overflow(*known, d, known) || *known > IR_MAX_ELEMENTS)
			*known = IR_MAX_ELEMENTS + 1; /* stays a mismatch */
		out->dims[i] = d;
	}
	if (allowzero && zero && *infer_at >= 0)
		return fail(g, op, "with allowzero=1 the shape cannot hold both 0 and -1");
	return 0;
}

/* Reshape to the shape held by the constant i64 operand 1. */
static int infer_reshape(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t v[IR_MAX_RANK], known, numel;
	int n, infer_at;
	if (const_ints(g, op, 1, "shape", IR_MAX_RANK, v, &n) < 0)
		return -1;
	ir_type want = {.dtype = x->dtype, .rank = n};
	memcpy(want.dims, v, sizeof *v * (size_t)n);
	out[0] = (ir_type){.dtype = x->dtype, .rank = n};
	if (reshape_dims(g, op, v, &out[0], &infer_at, &known) < 0)
		return -1;
	ir_type_numel(x, &numel);
	if (infer_at >= 0 && known != 0 && numel % known == 0) {
		out[0].dims[infer_at] = numel / known;
		return 0;
	}
	if (infer_at < 0 && known == numel)
		return 0;
	return fail(g, op, "cannot reshape %s (%" PRId64 " elements) to %s", tyfmt(x).s, numel, tyfmt(&want).s);
}

/* [prod(dims[:axis]), prod(dims[axis:])], axis in [-rank, rank]. */
static int infer_flatten(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", 1), p[2] = {1, 1};
	if (norm_axis(g, op, &axis, x->rank, true) < 0)
		return -1;
	for (int i = 0; i < x->rank; i++) {
		int64_t *q = &p[i >= axis];
		if (__builtin_mul_overflow(*q, x->dims[i], q))
			return fail(g, op, "the dims of %s overflow when flattened", tyfmt(x).s);
	}
	out[0] = (ir_type){.dtype = x->dtype, .rank = 2, .dims = {p[0], p[1]}};
	return 0;
}

/* Result dim i is x's dim perm[i]; no perm reverses the dims. */
static int infer_transpose(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	const ir_attr *p = ir_op_attr(op, "perm");
	bool seen[IR_MAX_RANK] = {0};
	out[0] = plain(x);
	if (!p || p->kind != IR_ATTR_INTS) {
		for (int i = 0; i < x->rank; i++)
			out[0].dims[i] = x->dims[x->rank - 1 - i];
		return 0;
	}
	if (p->n != x->rank)
		return fail(g, op, "attribute 'perm' has %d values; operand %s has rank %d",
			    (int)p->n, tyfmt(x).s, (int)x->rank);
	for (int i = 0; i < x->rank; i++) {
		int64_t a = p->u.ints[i];
		if (a < 0 || a >= x->rank || seen[a])
			return fail(g, op, "attribute 'perm' is not a permutation of 0..%d", (int)x->rank - 1);
		seen[a] = true;
		out[0].dims[i] = x->dims[a];
	}
	return 0;
}

/* Mark in drop[] the dims of x named by the constant axes operand 1; each
** must have size 1 and be named once. */
static int squeeze_axes(ir_graph *g, const ir_op *op, const ir_type *x, bool *drop)
{
	int64_t v[IR_MAX_RANK];
	int n;
	if (const_ints(g, op, 1, "axes", IR_MAX_RANK, v, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (norm_axis(g, op, &v[i], x->rank, false) < 0)
			return -1;
		if (drop[v[i]])
			return fail(g, op, "the axes name dim %" PRId64 " twice", v[i]);
		if (x->dims[v[i]] != 1)
			return fail(g, op, "cannot squeeze dim %" PRId64 " of %s: its size is not 1",
				    v[i], tyfmt(x).s);
		drop[v[i]] = true;
	}
	return 0;
}

/* Without an axes operand every size-1 dim goes; an empty axes constant
** removes none (as ONNX's own shape inference has it). */
static int infer_squeeze(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	bool drop[IR_MAX_RANK] = {0};
	if (opnd(g, op, 1)) {
		if (squeeze_axes(g, op, x, drop) < 0)
			return -1;
	} else {
		for (int i = 0; i < x->rank; i++)
			drop[i] = x->dims[i] == 1;
	}
	out[0] = (ir_type){.dtype = x->dtype};
	for (int i = 0; i < x->rank; i++)
		if (!drop[i])
			out[0].dims[out[0].rank++] = x->dims[i];
	return 0;
}

/* The axes are positions in the result, whose rank is x's plus their count. */
static int infer_unsqueeze(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t v[IR_MAX_RANK];
	bool ins[IR_MAX_RANK] = {0};
	int n;
	if (const_ints(g, op, 1, "axes", IR_MAX_RANK, v, &n) < 0)
		return -1;
	int r = (int)x->rank + n;
	if (r > IR_MAX_RANK)
		return fail(g, op, "too many dims in the result: %d (limit is %d)", r, IR_MAX_RANK);
	for (int i = 0; i < n; i++) {
		if (v[i] < -r || v[i] >= r)
			return fail(g, op, "axis %" PRId64 " is out of range for the result's rank %d", v[i], r);
		v[i] += v[i] < 0 ? r : 0;
		if (ins[v[i]])
			return fail(g, op, "the axes name dim %" PRId64 " twice", v[i]);
		ins[v[i]] = true;
	}
	out[0] = (ir_type){.dtype = x->dtype, .rank = r};
	for (int i = 0, j = 0; i < r; i++)
		out[0].dims[i] = ins[i] ? 1 : x->dims[j++];
	return 0;
}

/* True when a and b have one rank and equal dims except at axis. */
static bool concat_fits(const ir_type *a, const ir_type *b, int64_t axis)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (i != axis && a->dims[i] != b->dims[i])
			return false;
	return true;
}

static int infer_concat(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", 0);
	if (!ir_op_attr(op, "axis"))
		return fail(g, op, "missing required attribute 'axis'");
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	out[0] = plain(x);
	for (int i = 1; i < op->n_in; i++) {
		const ir_type *t = opnd(g, op, i);
		if (!t)
			return fail(g, op, "operand %d is absent", i);
		if (same_dtype(g, op, 0, i) < 0)
			return -1;
		if (!concat_fits(x, t, axis))
			return fail(g, op, "operand %d %s does not match operand 0 %s outside axis %" PRId64,
				    i, tyfmt(t).s, tyfmt(x).s, axis);
		if (__builtin_add_overflow(out[0].dims[axis], t->dims[axis], &out[0].dims[axis]))
			return fail(g, op, "the joined dim overflows");
	}
	return 0;
}

/* ---- quantization -------------------------------------------------------- */

/*
** Scale (operand 1) and optional zero point (operand 2) over x: the scale is
** f32, a scalar (per-tensor) or 1-D with one value per index of x's dim
** 'axis' (per-axis); the zero point has the scale's shape.
*/
static int qparams(ir_graph *g, const ir_op *op, const ir_type *x)
{
	const ir_type *s = opnd(g, op, 1), *z = opnd(g, op, 2);
	if (s->dtype != IR_F32 || s->rank > 1)
		return fail(g, op, "the scale must be an f32 scalar or 1-D; got %s", tyfmt(s).s);
	if (s->rank == 1) {
		int64_t axis = ir_op_int(op, "axis", 1);
		if (norm_axis(g, op, &axis, x->rank, false) < 0)
			return -1;
		if (s->dims[0] != x->dims[axis])
			return fail(g, op, "the per-axis scale %s needs one value per index of "
				    "axis %" PRId64 " of %s", tyfmt(s).s, axis, tyfmt(x).s);
	}
	if (z && !same_shape(z, s))
		return fail(g, op, "the zero point %s must have the shape of the scale %s", tyfmt(z).s, tyfmt(s).s);
	return 0;
}

/* The result has the zero point's element type (u8, i8 or i16), u8 without one. */
static int infer_quantize(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *z = opnd(g, op, 2);
	if (z && z->dtype != IR_U8 && z->dtype != IR_I8 && z->dtype != IR_I16)
		return fail(g, op, "the zero point has element type %s; expected u8, i8 or i16",
			    ir_dtype_name(z->dtype));
	if (qparams(g, op, x) < 0)
		return -1;
	out[0] = plain(x);
	out[0].dtype = z ? z->dtype : IR_U8;
	return 0;
}

/* x is i8, u8, i16, i32 or i4, the zero point of the same type; result f32. */
static int infer_dequantize(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *z = opnd(g, op, 2);
	ir_dtype t = x->dtype;
	if (t != IR_I8 && t != IR_U8 && t != IR_I16 && t != IR_I32 && t != IR_I4)
		return fail(g, op, "operand 0 has element type %s; expected i8, u8, i16, i32 or i4",
			    ir_dtype_name(t));
	if ((z && same_dtype(g, op, 0, 2) < 0) || qparams(g, op, x) < 0)
		return -1;
	out[0] = plain(x);
	out[0].dtype = IR_F32;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

enum { TY_F, TY_N, TY_I, TY_A, TY_B };

static rule_fn *const rules[IR_NOPS] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, attrs, doc) [IR_OP_##id] = infer_##rule,
#include "ir/ops.h"
#undef OP
};

static const unsigned char tys[IR_NOPS] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, attrs, doc) [IR_OP_##id] = TY_##ty,
#include "ir/ops.h"
#undef OP
};

static bool ty_ok(int ty, ir_dtype dt)
{
	switch (ty) {
	case TY_F: return ir_dtype_is_float(dt);
	case TY_N: return ir_dtype_is_float(dt) || ir_dtype_is_int(dt);
	case TY_I: return ir_dtype_is_int(dt);
	case TY_B: return dt == IR_BOOL;
	default: return true;
	}
}

/*
** What every rule may assume: the op's operand and result counts are within
** the table's bounds, its required operands are present, and operand 0 has
** an element type of the op's TY class.
*/
static int check_operands(ir_graph *g, const ir_op *op)
{
	static const char *const expect[] = {
		[TY_F] = "a float type", [TY_N] = "a numeric type",
		[TY_I] = "an integer type", [TY_B] = "bool",
	};
	int in_lo, in_hi, out_lo, out_hi;
	ir_op_arity(op->kind, &in_lo, &in_hi, &out_lo, &out_hi);
	if (op->n_in < in_lo || op->n_in > in_hi || op->n_out < out_lo || op->n_out > out_hi)
		return fail(g, op, "has %d operands and %d results; expected %d to %d and %d to %d",
			    (int)op->n_in, (int)op->n_out, in_lo, in_hi, out_lo, out_hi);
	for (int i = 0; i < in_lo; i++)
		if (op->in[i] == IR_NOVAL)
			return fail(g, op, "operand %d is required", i);
	const ir_type *x = opnd(g, op, 0);
	if (x && !ty_ok(tys[op->kind], x->dtype))
		return fail(g, op, "operand 0 has element type %s; expected %s",
			    ir_dtype_name(x->dtype), expect[tys[op->kind]]);
	return 0;
}

/* Results must stay within the tensor limits; dims past the rank are zero. */
static int check_results(ir_graph *g, const ir_op *op, ir_type *out)
{
	for (int r = 0; r < op->n_out; r++) {
		int64_t n;
		for (int i = 0; i < out[r].rank; i++)
			if (out[r].dims[i] > IR_MAX_DIM)
				return fail(g, op, "too many elements in dim %d of result %d "
					    "(limit is %" PRId64 ")", i, r, IR_MAX_DIM);
		if (ir_type_numel(&out[r], &n) < 0)
			return fail(g, op, "too many elements in result %d (limit is %" PRId64 ")",
				    r, IR_MAX_ELEMENTS);
		for (int i = out[r].rank; i < IR_MAX_RANK; i++)
			out[r].dims[i] = 0;
	}
	return 0;
}

int ir_infer(ir_graph *g, const ir_op *op, ir_type *out)
{
	if ((unsigned)op->kind >= IR_NOPS)
		return ir_error(g->ctx, op->loc, "op of unknown kind %d", (int)op->kind);
	if (check_operands(g, op) < 0)
		return -1;
	for (int32_t i = 0; i < op->n_out; i++)
		out[i] = (ir_type){0};
	if (rules[op->kind](g, op, out) < 0)
		return -1;
	return op->kind == IR_OP_CONST ? 0 : check_results(g, op, out);
}
