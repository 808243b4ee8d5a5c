/*
** infer.c - shape and type inference, one rule per op.
**
** ir_infer() dispatches through two tables built from the op table
** (ir/ops.h): the element-type class of operand 0 (column TY), checked here
** once for every op, and the shape rule (column RULE), a static function
** infer_<rule>.  A rule reads operand types, attributes and, for Reshape,
** Squeeze and Unsqueeze, constant operands; it fills out[0..n_out) and
** returns 0, or emits exactly one diagnostic "'Op' op: ..." and returns -1.
** The limits on a result (size of a dim, element count) are checked once,
** after the rule.
**
** Semantics are ONNX opset 17, stricter where that costs nothing: operands
** of one elementwise op share one element type (no implicit promotion),
** every shape must be fully known (there are no symbolic dims), and shapes
** that leave a kernel nothing to read (an ArgMax over an empty dim, a Gather
** from one) are rejected.  Parameters that ONNX passes as constant operands
** (Slice starts, Pad pads, Resize scales, ...) are attributes here.
**
** Dims are int64.  Operand dims are at most IR_MAX_DIM (2^40), but attribute
** values (pads, strides, slice bounds, repeats) and shape constants can be
** any int64, so arithmetic that involves them is overflow-checked.
*/
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/requant.h"

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
	return i >= 0 && i < op->n_in && op->in[i] != IR_NOVAL ? ir_type_of(g, op->in[i]) : NULL;
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

/* The list attribute name of kind k, or NULL when the op carries none. */
static const ir_attr *list_attr(const ir_op *op, const char *name, ir_attr_kind k)
{
	const ir_attr *a = ir_op_attr(op, name);
	return a && a->kind == k ? a : NULL;
}

/* A required list attribute; NULL after a diagnostic when it is missing. */
static const ir_attr *need_list(ir_graph *g, const ir_op *op, const char *name, ir_attr_kind k)
{
	const ir_attr *a = list_attr(op, name, k);
	if (!a)
		fail(g, op, "missing required attribute '%s'", name);
	return a;
}

/*
** The index in names[0..n) of the string attribute name (its schema default,
** else names[0], when absent) into *idx; any other value is an error that
** lists the choices.
*/
static int choice_attr(ir_graph *g, const ir_op *op, const char *name, const char *const *names,
		       int n, int *idx)
{
	const char *s = ir_op_str(op, name, names[0]);
	char list[256];
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*idx = i;
			return 0;
		}
		if (k < sizeof list)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%s",
					      i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
	}
	return fail(g, op, "attribute '%s' is '%s'; expected %s", name, s, list);
}

/* Operand i (the indices, all present) must be i32 or i64. */
static int index_dtype(ir_graph *g, const ir_op *op, int i)
{
	const ir_type *t = opnd(g, op, i);
	if (t->dtype == IR_I32 || t->dtype == IR_I64)
		return 0;
	return fail(g, op, "the indices have element type %s; expected i32 or i64", ir_dtype_name(t->dtype));
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

/* PRelu: slope has x's element type and broadcasts one way to x. */
static int infer_prelu(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *s = opnd(g, op, 1);
	if (same_dtype(g, op, 0, 1) < 0)
		return -1;
	if (!bcasts_to(s, x))
		return fail(g, op, "slope %s does not broadcast to X %s", tyfmt(s).s, tyfmt(x).s);
	out[0] = plain(x);
	return 0;
}

/* Pow: the exponent may have any numeric type; the result has the base's. */
static int infer_pow(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *e = opnd(g, op, 1);
	if (!ir_dtype_is_float(e->dtype) && !ir_dtype_is_int(e->dtype))
		return fail(g, op, "the exponent has element type %s; expected a numeric type",
			    ir_dtype_name(e->dtype));
	return bcast_all(g, op, out);
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
** numpy matmul of a and b into *out, with a's element type: 1-D operands
** are promoted (and the added dim dropped from the result), the last two
** dims multiply as matrices, and the leading (batch) dims broadcast.
*/
static int matmul_shape(ir_graph *g, const ir_op *op, const ir_type *a, const ir_type *b, ir_type *out)
{
	if (a->rank < 1 || b->rank < 1)
		return fail(g, op, "operands must have rank >= 1; got %s and %s", tyfmt(a).s, tyfmt(b).s);
	ir_type pa = promote(a, false), pb = promote(b, true);
	if (pa.dims[pa.rank - 1] != pb.dims[pb.rank - 2])
		return fail(g, op, "inner dims of %s and %s differ (%" PRId64 " and %" PRId64 ")",
			    tyfmt(a).s, tyfmt(b).s, pa.dims[pa.rank - 1], pb.dims[pb.rank - 2]);
	ir_type ba = pa, bb = pb;
	ba.rank -= 2;
	bb.rank -= 2;
	if (bcast2(&ba, &bb, out) < 0)
		return fail(g, op, "batch dims of %s and %s do not broadcast", tyfmt(a).s, tyfmt(b).s);
	if (a->rank > 1)
		out->dims[out->rank++] = pa.dims[pa.rank - 2];
	if (b->rank > 1)
		out->dims[out->rank++] = pb.dims[pb.rank - 1];
	return 0;
}

static int infer_matmul(ir_graph *g, const ir_op *op, ir_type *out)
{
	if (same_dtype(g, op, 0, 1) < 0)
		return -1;
	return matmul_shape(g, op, opnd(g, op, 0), opnd(g, op, 1), &out[0]);
}

/* Gemm's [M,N] = op(A) [M,K] x op(B) [K,N], with A's element type; the
** element types are the caller's. */
static int gemm_shape(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1);
	if (a->rank != 2 || b->rank != 2)
		return fail(g, op, "A and B must have rank 2; got %s and %s", tyfmt(a).s, tyfmt(b).s);
	int ta = ir_op_int(op, "transA", 0) != 0, tb = ir_op_int(op, "transB", 0) != 0;
	int64_t m = a->dims[ta], ka = a->dims[1 - ta], kb = b->dims[tb], n = b->dims[1 - tb];
	if (ka != kb)
		return fail(g, op, "inner dims differ: op(A) is [%" PRId64 ",%" PRId64 "], "
			    "op(B) is [%" PRId64 ",%" PRId64 "]", m, ka, kb, n);
	out[0] = (ir_type){.dtype = a->dtype, .rank = 2, .dims = {m, n}};
	return 0;
}

/* Gemm: one element type; C broadcasts one way to [M,N]. */
static int infer_gemm(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *c = opnd(g, op, 2);
	if (gemm_shape(g, op, out) < 0 || same_dtype(g, op, 0, 1) < 0 || (c && same_dtype(g, op, 0, 2) < 0))
		return -1;
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
	return choice_attr(g, op, "auto_pad", names, 4, mode);
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
** Bounds every window of spatial dim i, whatever the padding mode, so that
** kernels can index windows without overflow: kernel, stride, dilation,
** pads and the dilated kernel at most IR_MAX_DIM, the span of all o
** windows ((o-1)*stride + dilated kernel) representable, and o windows
** times the kernel (the taps a kernel walks) at most IR_MAX_ELEMENTS.
*/
static int window_bounds(ir_graph *g, const ir_op *op, const window *w, int i, int64_t o)
{
	int64_t keff, span, taps;
	bool big = w->k[i] > IR_MAX_DIM || w->s[i] > IR_MAX_DIM || w->d[i] > IR_MAX_DIM ||
		   w->pads[i] > IR_MAX_DIM || w->pads[w->n + i] > IR_MAX_DIM ||
		   __builtin_mul_overflow(w->d[i], w->k[i] - 1, &keff) || keff >= IR_MAX_DIM ||
		   __builtin_mul_overflow(o - 1, w->s[i], &span) || __builtin_add_overflow(span, keff + 1, &span) ||
		   __builtin_mul_overflow(o, w->k[i], &taps) || taps > IR_MAX_ELEMENTS;
	if (big)
		return fail(g, op, "spatial dim %d: the window (kernel %" PRId64 ", stride %" PRId64 ", dilation %"
			    PRId64 ") is too large (limit is %" PRId64 ")", i, w->k[i], w->s[i], w->d[i],
			    (int64_t)IR_MAX_DIM);
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
		if (window_bounds(g, op, w, i, o) < 0)
			return -1;
		out->dims[2 + i] = o;
	}
	return 0;
}

/* X [N, C, spatial...] and W of X's rank; group >= 1. */
static int conv_ranks(ir_graph *g, const ir_op *op, const ir_type *x, const ir_type *w, int64_t group)
{
	if (x->rank < 3)
		return fail(g, op, "X must have rank >= 3 ([N, C, spatial...]); got %s", tyfmt(x).s);
	if (w->rank != x->rank)
		return fail(g, op, "W %s must have the rank of X %s", tyfmt(w).s, tyfmt(x).s);
	if (group < 1)
		return fail(g, op, "attribute 'group' is %" PRId64 "; expected >= 1", group);
	return 0;
}

/* The optional bias b must be [m]. */
static int conv_bias(ir_graph *g, const ir_op *op, const ir_type *b, int64_t m)
{
	if (b && (b->rank != 1 || b->dims[0] != m))
		return fail(g, op, "bias %s must be [%" PRId64 "] (one value per output channel)", tyfmt(b).s, m);
	return 0;
}

/*
** Conv operands X, W and optional bias at operands xi, wi, bi (any of a
** QLinearConv's): X [N, C, spatial...], W [M, C/group, kernel...] of X's
** rank, bias [M]; group divides C and M.  Element types are the caller's.
*/
static int conv_operands(ir_graph *g, const ir_op *op, int xi, int wi, int bi)
{
	const ir_type *x = opnd(g, op, xi), *w = opnd(g, op, wi);
	int64_t group = ir_op_int(op, "group", 1);
	if (conv_ranks(g, op, x, w, group) < 0)
		return -1;
	if (x->dims[1] % group || w->dims[0] % group || w->dims[1] != x->dims[1] / group)
		return fail(g, op, "with group %" PRId64 ", X %s and W %s do not match: C and M "
			    "must be multiples of group and W's dim 1 must be C/group",
			    group, tyfmt(x).s, tyfmt(w).s);
	return conv_bias(g, op, opnd(g, op, bi), w->dims[0]);
}

/* The kernel is the spatial dims of W (operand wi); kernel_shape, if given, must agree. */
static int conv_kernel(ir_graph *g, const ir_op *op, int wi, window *win)
{
	const ir_type *w = opnd(g, op, wi);
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

/* The result [N, M, spatial...] of a Conv-like op; operands as conv_operands. */
static int conv_shape(ir_graph *g, const ir_op *op, int xi, int wi, int bi, ir_type *out)
{
	const ir_type *x = opnd(g, op, xi);
	window w = {0};
	if (conv_operands(g, op, xi, wi, bi) < 0)
		return -1;
	w.n = x->rank - 2;
	if (conv_kernel(g, op, wi, &w) < 0 || window_attrs(g, op, &w) < 0)
		return -1;
	return window_out(g, op, &w, x, opnd(g, op, wi)->dims[0], out);
}

static int infer_conv(ir_graph *g, const ir_op *op, ir_type *out)
{
	if (same_dtype(g, op, 0, 1) < 0 || (opnd(g, op, 2) && same_dtype(g, op, 0, 2) < 0))
		return -1;
	return conv_shape(g, op, 0, 1, 2, &out[0]);
}

/*
** ConvTranspose operands: X [N, C, spatial...], W [C, M/group, kernel...]
** of X's rank, optional bias [M], one element type; group divides C.  *m
** receives M.
*/
static int convtranspose_operands(ir_graph *g, const ir_op *op, int64_t *m)
{
	const ir_type *x = opnd(g, op, 0), *w = opnd(g, op, 1);
	int64_t group = ir_op_int(op, "group", 1);
	if (same_dtype(g, op, 0, 1) < 0 || (opnd(g, op, 2) && same_dtype(g, op, 0, 2) < 0) ||
	    conv_ranks(g, op, x, w, group) < 0)
		return -1;
	if (x->dims[1] % group || w->dims[0] != x->dims[1])
		return fail(g, op, "with group %" PRId64 ", X %s and W %s do not match: C must be "
			    "a multiple of group and W's dim 0 must be C", group, tyfmt(x).s, tyfmt(w).s);
	if (__builtin_mul_overflow(w->dims[1], group, m))
		return fail(g, op, "the output channels (W's dim 1 times group %" PRId64 ") overflow", group);
	return conv_bias(g, op, opnd(g, op, 2), *m);
}

/* The full extent s*(in-1) + opad + dilated kernel of spatial dim i of a
** transposed convolution of extent in, overflow-checked. */
static int transposed_full(ir_graph *g, const ir_op *op, const window *w, int i, int64_t in,
			   int64_t opad, int64_t *full)
{
	int64_t keff;
	if (__builtin_mul_overflow(w->d[i], w->k[i] - 1, &keff) || __builtin_add_overflow(keff, 1, &keff) ||
	    __builtin_mul_overflow(w->s[i], in - 1, full) || __builtin_add_overflow(*full, opad, full) ||
	    __builtin_add_overflow(*full, keff, full))
		return fail(g, op, "spatial dim %d: window arithmetic overflows", i);
	return 0;
}

/*
** Spatial dim i of a transposed convolution of extent in: the full extent
** less the pads, or in*s with SAME_* auto padding.  An output_shape value
** oshape (> 0 when given) is the extent itself; past the full extent the
** output is zero-padded at the end, as in the ONNX reference.
*/
static int transposed_extent(ir_graph *g, const ir_op *op, const window *w, int i, int64_t in,
			     int64_t opad, int64_t oshape, int64_t *o)
{
	int64_t full = 0;
	bool ovf = false;
	if (transposed_full(g, op, w, i, in, opad, &full) < 0)
		return -1;
	if (oshape > 0)
		*o = oshape;
	else if (w->auto_pad == PAD_SAME_UPPER || w->auto_pad == PAD_SAME_LOWER)
		ovf = __builtin_mul_overflow(in, w->s[i], o);
	else if (w->auto_pad == PAD_VALID)
		*o = full;
	else
		ovf = __builtin_sub_overflow(full, w->pads[i], o) || __builtin_sub_overflow(*o, w->pads[w->n + i], o);
	if (ovf)
		return fail(g, op, "spatial dim %d: window arithmetic overflows", i);
	if (*o < 1)
		return fail(g, op, "spatial dim %d: the output extent would be %" PRId64, i, *o);
	return 0;
}

/*
** ConvTranspose: [N, M, spatial...].  When output_shape is given the pads
** are derived from it (the interpreter's job) and explicit ones are
** ignored, as onnxruntime does.
*/
static int infer_convtranspose(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t m = 0, opad[IR_MAX_RANK], oshape[IR_MAX_RANK];
	window w = {0};
	if (convtranspose_operands(g, op, &m) < 0)
		return -1;
	w.n = x->rank - 2;
	if (conv_kernel(g, op, 1, &w) < 0 || window_attrs(g, op, &w) < 0 ||
	    ints_attr(g, op, "output_padding", w.n, 0, 0, opad) < 0 ||
	    ints_attr(g, op, "output_shape", w.n, 0, 1, oshape) < 0)
		return -1;
	out[0] = plain(x);
	out[0].dims[1] = m;
	for (int i = 0; i < w.n; i++)
		if (window_bounds(g, op, &w, i, x->dims[2 + i]) < 0 || /* the kernel walks in x k taps */
		    transposed_extent(g, op, &w, i, x->dims[2 + i], opad[i], oshape[i], &out[0].dims[2 + i]) < 0)
			return -1;
	return 0;
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

/* ---- normalization ------------------------------------------------------- */

/*
** Operands 1.. of a per-channel op (names[i] names operand i): X's element
** type and shape [C], C being X's dim 1.
*/
static int channel_params(ir_graph *g, const ir_op *op, const char *const *names)
{
	const ir_type *x = opnd(g, op, 0);
	for (int i = 1; i < op->n_in; i++) {
		const ir_type *p = opnd(g, op, i);
		if (same_dtype(g, op, 0, i) < 0)
			return -1;
		if (p->rank != 1 || p->dims[0] != x->dims[1])
			return fail(g, op, "operand %d (%s) %s must be [%" PRId64 "], one value per "
				    "channel of X %s", i, names[i], tyfmt(p).s, x->dims[1], tyfmt(x).s);
	}
	return 0;
}

/* X [N, C, ...]; scale, B, mean and var are [C] of X's element type. */
static int infer_batchnorm(ir_graph *g, const ir_op *op, ir_type *out)
{
	static const char *const names[] = {"X", "scale", "B", "mean", "var"};
	const ir_type *x = opnd(g, op, 0);
	if (x->rank < 2)
		return fail(g, op, "X must have rank >= 2 ([N, C, ...]); got %s", tyfmt(x).s);
	if (channel_params(g, op, names) < 0)
		return -1;
	out[0] = plain(x);
	return 0;
}

/* X [N, C, spatial...]; scale and B are [C] of X's element type. */
static int infer_instnorm(ir_graph *g, const ir_op *op, ir_type *out)
{
	static const char *const names[] = {"X", "scale", "B"};
	const ir_type *x = opnd(g, op, 0);
	if (x->rank < 3)
		return fail(g, op, "X must have rank >= 3 ([N, C, spatial...]); got %s", tyfmt(x).s);
	if (channel_params(g, op, names) < 0)
		return -1;
	out[0] = plain(x);
	return 0;
}

/*
** LayerNormalization over dims axis.. of X: scale and the optional B have
** X's element type and broadcast one way to those dims.  The optional
** results Mean and InvStdDev are f32 (stash_type 1, the only one supported)
** with X's shape but 1 at dims axis..
*/
static int infer_layernorm(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", -1), stash = ir_op_int(op, "stash_type", 1);
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	if (stash != 1)
		return fail(g, op, "attribute 'stash_type' is %" PRId64 "; only 1 (f32) is supported", stash);
	ir_type tail = {.dtype = x->dtype, .rank = x->rank - (int32_t)axis};
	memcpy(tail.dims, x->dims + axis, sizeof *tail.dims * (size_t)tail.rank);
	for (int i = 1; i < op->n_in; i++) {
		const ir_type *p = opnd(g, op, i);
		if (p && same_dtype(g, op, 0, i) < 0)
			return -1;
		if (p && !bcasts_to(p, &tail))
			return fail(g, op, "operand %d (%s) %s does not broadcast to the normalized dims %s of X %s",
				    i, i == 1 ? "scale" : "B", tyfmt(p).s, tyfmt(&tail).s, tyfmt(x).s);
	}
	for (int r = 0; r < op->n_out; r++) {
		out[r] = plain(x);
		for (int i = (int)axis; r > 0 && i < x->rank; i++)
			out[r].dims[i] = 1;
		out[r].dtype = r > 0 ? IR_F32 : x->dtype;
	}
	return 0;
}

/* ---- reductions ---------------------------------------------------------- */

/*
** Mark in red[] the dims of x named by attribute axes, each in range and
** named once.  Without axes (or with an empty list) every dim is reduced,
** unless noop_with_empty_axes, which leaves red[] clear.
*/
static int reduce_axes(ir_graph *g, const ir_op *op, const ir_type *x, bool *red)
{
	const ir_attr *a = list_attr(op, "axes", IR_ATTR_INTS);
	if (!a || a->n == 0) {
		bool noop = ir_op_int(op, "noop_with_empty_axes", 0) != 0;
		for (int i = 0; i < x->rank; i++)
			red[i] = !noop;
		return 0;
	}
	for (int i = 0; i < a->n; i++) {
		int64_t ax = a->u.ints[i];
		if (norm_axis(g, op, &ax, x->rank, false) < 0)
			return -1;
		if (red[ax])
			return fail(g, op, "the axes name dim %" PRId64 " twice", ax);
		red[ax] = true;
	}
	return 0;
}

/* x with the dims marked in red[] set to 1 (keepdims) or dropped. */
static ir_type reduced(const ir_type *x, const bool *red, bool keepdims)
{
	ir_type r = {.dtype = x->dtype};
	for (int i = 0; i < x->rank; i++)
		if (!red[i] || keepdims)
			r.dims[r.rank++] = red[i] ? 1 : x->dims[i];
	return r;
}

static int infer_reduce(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	bool red[IR_MAX_RANK] = {0};
	if (reduce_axes(g, op, x, red) < 0)
		return -1;
	out[0] = reduced(x, red, ir_op_int(op, "keepdims", 1) != 0);
	return 0;
}

/* ArgMax, ArgMin: i64 indices along axis, which may not be empty. */
static int infer_argreduce(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", 0);
	bool red[IR_MAX_RANK] = {0};
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	if (x->dims[axis] == 0)
		return fail(g, op, "axis %" PRId64 " of %s is empty; there is no index to return", axis, tyfmt(x).s);
	red[axis] = true;
	out[0] = reduced(x, red, ir_op_int(op, "keepdims", 1) != 0);
	out[0].dtype = IR_I64;
	return 0;
}

/* CumSum: the axis (ONNX's constant operand) is a required attribute. */
static int infer_cumsum(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t axis = ir_op_int(op, "axis", 0);
	if (!ir_op_attr(op, "axis"))
		return fail(g, op, "missing required attribute 'axis'");
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
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

/*
** Split along axis into one part per result: the sizes in attribute split
** (>= 0, summing to the dim), or equal parts when absent.
*/
static int infer_split(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	const ir_attr *s = list_attr(op, "split", IR_ATTR_INTS);
	int64_t axis = ir_op_int(op, "axis", 0), d, sum = 0;
	if (norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	d = x->dims[axis];
	if (s && s->n != op->n_out)
		return fail(g, op, "attribute 'split' has %d values; the op has %d results", (int)s->n, (int)op->n_out);
	if (!s && d % op->n_out)
		return fail(g, op, "dim %" PRId64 " of %s does not split into %d equal parts",
			    axis, tyfmt(x).s, (int)op->n_out);
	for (int r = 0; r < op->n_out; r++) {
		int64_t part = s ? s->u.ints[r] : d / op->n_out;
		if (part < 0)
			return fail(g, op, "attribute 'split' value %" PRId64 " (index %d) must be >= 0", part, r);
		if (part > d - sum)
			return fail(g, op, "the split sizes add up to more than dim %" PRId64 " of %s",
				    axis, tyfmt(x).s);
		sum += part;
		out[r] = plain(x);
		out[r].dims[axis] = part;
	}
	if (sum != d)
		return fail(g, op, "the split sizes add up to %" PRId64 "; dim %" PRId64 " of %s is %" PRId64,
			    sum, axis, tyfmt(x).s, d);
	return 0;
}

/*
** The dims that Slice's n bounds apply to into axes[0..n): attribute axes
** (in range, negative from the end, each named once), else 0..n-1.
*/
static int slice_axes(ir_graph *g, const ir_op *op, const ir_type *x, int n, int64_t *axes)
{
	const ir_attr *a = list_attr(op, "axes", IR_ATTR_INTS);
	bool seen[IR_MAX_RANK] = {0};
	if (n > x->rank)
		return fail(g, op, "attribute 'starts' has %d values; more than the rank of %s", n, tyfmt(x).s);
	if (a && a->n != n)
		return fail(g, op, "attribute 'axes' has %d values; 'starts' has %d", (int)a->n, n);
	for (int i = 0; i < n; i++) {
		axes[i] = a ? a->u.ints[i] : i;
		if (norm_axis(g, op, &axes[i], x->rank, false) < 0)
			return -1;
		if (seen[axes[i]])
			return fail(g, op, "the axes name dim %" PRId64 " twice", axes[i]);
		seen[axes[i]] = true;
	}
	return 0;
}

/* A slice bound v of a dim of extent dim: negative counts from the end,
** then clamped into [lo, hi].  Never overflows: dim >= 0 is added only to
** a negative v. */
static int64_t slice_bound(int64_t v, int64_t dim, int64_t lo, int64_t hi)
{
	if (v < 0)
		v += dim;
	return v < lo ? lo : v > hi ? hi : v;
}

/*
** Elements taken from a dim of extent dim by start:end:step (step != 0),
** with ONNX's clamping: start into [0, dim] and end into [0, dim] for a
** positive step, start into [0, dim-1] and end into [-1, dim-1] for a
** negative one; then max(0, ceil((end-start)/step)), computed without
** overflow for any step, INT64_MIN included.
*/
static int64_t slice_extent(int64_t dim, int64_t start, int64_t end, int64_t step)
{
	if (step > 0) {
		start = slice_bound(start, dim, 0, dim);
		end = slice_bound(end, dim, 0, dim);
		return end > start ? (end - start - 1) / step + 1 : 0;
	}
	if (dim == 0)
		return 0;
	start = slice_bound(start, dim, 0, dim - 1);
	end = slice_bound(end, dim, -1, dim - 1);
	return start > end ? (end - start + 1) / step + 1 : 0;
}

/* Slice: starts and ends required, of one length; steps (default 1) nonzero. */
static int infer_slice(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	const ir_attr *st, *en, *sp = list_attr(op, "steps", IR_ATTR_INTS);
	int64_t axes[IR_MAX_RANK];
	if (!(st = need_list(g, op, "starts", IR_ATTR_INTS)) || !(en = need_list(g, op, "ends", IR_ATTR_INTS)))
		return -1;
	if (st->n != en->n)
		return fail(g, op, "attributes 'starts' and 'ends' have different lengths (%d and %d)",
			    (int)st->n, (int)en->n);
	if (slice_axes(g, op, x, st->n, axes) < 0)
		return -1;
	if (sp && sp->n != st->n)
		return fail(g, op, "attribute 'steps' has %d values; 'starts' has %d", (int)sp->n, (int)st->n);
	out[0] = plain(x);
	for (int i = 0; i < st->n; i++) {
		int64_t step = sp ? sp->u.ints[i] : 1;
		if (step == 0)
			return fail(g, op, "attribute 'steps' value 0 (index %d) must be nonzero", i);
		out[0].dims[axes[i]] = slice_extent(x->dims[axes[i]], st->u.ints[i], en->u.ints[i], step);
	}
	return 0;
}

enum { PADMODE_CONSTANT, PADMODE_REFLECT, PADMODE_EDGE };

/*
** Dim i of x padded by b at the beginning and e at the end (negative
** crops) into *o, >= 0.  Reflect needs each positive pad below the dim's
** extent; edge needs a nonempty dim to pad.
*/
static int pad_dim(ir_graph *g, const ir_op *op, const ir_type *x, int mode, int i, int64_t b, int64_t e,
		   int64_t *o)
{
	int64_t d = x->dims[i];
	if (__builtin_add_overflow(d, b, o) || __builtin_add_overflow(*o, e, o))
		return fail(g, op, "dim %d: padding arithmetic overflows", i);
	if (*o < 0)
		return fail(g, op, "dim %d of %s padded by %" PRId64 " and %" PRId64 " would have extent %" PRId64,
			    i, tyfmt(x).s, b, e, *o);
	if (mode == PADMODE_REFLECT && ((b > 0 && b >= d) || (e > 0 && e >= d)))
		return fail(g, op, "mode 'reflect' needs pads below the extent of dim %d of %s; got %" PRId64
			    " and %" PRId64, i, tyfmt(x).s, b, e);
	if (mode == PADMODE_EDGE && d == 0 && (b > 0 || e > 0))
		return fail(g, op, "mode 'edge' cannot pad the empty dim %d of %s", i, tyfmt(x).s);
	return 0;
}

/* Pad: pads [begin..., end...] (2 x rank); the optional operand 1 is a
** scalar of x's type, the value of constant mode. */
static int infer_pad(ir_graph *g, const ir_op *op, ir_type *out)
{
	static const char *const modes[] = {"constant", "reflect", "edge"};
	const ir_type *x = opnd(g, op, 0), *v = opnd(g, op, 1);
	const ir_attr *p;
	int mode;
	if (!(p = need_list(g, op, "pads", IR_ATTR_INTS)) || choice_attr(g, op, "mode", modes, 3, &mode) < 0)
		return -1;
	if (p->n != 2 * x->rank)
		return fail(g, op, "attribute 'pads' has %d values; expected %d (twice the rank of %s)",
			    (int)p->n, 2 * (int)x->rank, tyfmt(x).s);
	if (v && (v->rank != 0 || v->dtype != x->dtype))
		return fail(g, op, "operand 1 (the constant value) must be a scalar %s[]; got %s",
			    ir_dtype_name(x->dtype), tyfmt(v).s);
	out[0] = plain(x);
	for (int i = 0; i < x->rank; i++)
		if (pad_dim(g, op, x, mode, i, p->u.ints[i], p->u.ints[x->rank + i], &out[0].dims[i]) < 0)
			return -1;
	return 0;
}

/*
** Resize's string attributes: mode, coordinate_transformation_mode (not
** tf_crop_and_resize, whose roi operand condense lacks) and nearest_mode.
*/
static int resize_modes(ir_graph *g, const ir_op *op)
{
	static const char *const modes[] = {"nearest", "linear", "cubic"};
	static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
					   "tf_half_pixel_for_nn"};
	static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	const char *ctm = ir_op_str(op, "coordinate_transformation_mode", "half_pixel");
	int i;
	if (choice_attr(g, op, "mode", modes, 3, &i) < 0)
		return -1;
	if (strcmp(ctm, "tf_crop_and_resize") == 0)
		return fail(g, op, "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
	if (choice_attr(g, op, "coordinate_transformation_mode", ctms, 5, &i) < 0 ||
	    choice_attr(g, op, "nearest_mode", nearest, 4, &i) < 0)
		return -1;
	return 0;
}

/*
** Dim i of Resize's result: floor(dim * scale) for a scale (positive,
** finite; in double, as the ONNX reference), or the size (>= 0; nonzero
** only from a nonempty dim).
*/
static int resize_dim(ir_graph *g, const ir_op *op, const ir_type *x, int i, const ir_attr *sc,
		      const ir_attr *sz, int64_t *o)
{
	if (sz) {
		*o = sz->u.ints[i];
		if (*o < 0)
			return fail(g, op, "attribute 'sizes' value %" PRId64 " (index %d) must be >= 0", *o, i);
		if (*o > 0 && x->dims[i] == 0)
			return fail(g, op, "cannot resize the empty dim %d of %s to %" PRId64, i, tyfmt(x).s, *o);
		return 0;
	}
	float s = sc->u.floats[i];
	if (!(s > 0 && s <= FLT_MAX))
		return fail(g, op, "attribute 'scales' value %g (index %d) must be positive and finite", (double)s, i);
	double v = (double)x->dims[i] * s;
	*o = v > (double)IR_MAX_DIM ? IR_MAX_DIM + 1 : (int64_t)v;
	return 0;
}

/* Resize: exactly one of scales (floats) and sizes (ints), one value per dim. */
static int infer_resize(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	const ir_attr *sc = list_attr(op, "scales", IR_ATTR_FLOATS), *sz = list_attr(op, "sizes", IR_ATTR_INTS);
	if (resize_modes(g, op) < 0)
		return -1;
	if (!sc == !sz)
		return fail(g, op, "exactly one of the attributes 'scales' and 'sizes' must be given");
	if ((sc ? sc->n : sz->n) != x->rank)
		return fail(g, op, "attribute '%s' has %d values; expected %d (the rank of %s)",
			    sc ? "scales" : "sizes", (int)(sc ? sc->n : sz->n), (int)x->rank, tyfmt(x).s);
	out[0] = plain(x);
	for (int i = 0; i < x->rank; i++)
		if (resize_dim(g, op, x, i, sc, sz, &out[0].dims[i]) < 0)
			return -1;
	return 0;
}

/*
** Gather: data.shape[:axis] + indices.shape + data.shape[axis+1:]; nonempty
** indices need a nonempty dim to index.
*/
static int infer_gather(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *ix = opnd(g, op, 1);
	int64_t axis = ir_op_int(op, "axis", 0), n;
	if (index_dtype(g, op, 1) < 0 || norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	int r = (int)x->rank - 1 + (int)ix->rank, k = 0;
	if (r > IR_MAX_RANK)
		return fail(g, op, "too many dims in the result: %d (limit is %d)", r, IR_MAX_RANK);
	if (x->dims[axis] == 0 && ir_type_numel(ix, &n) == 0 && n > 0)
		return fail(g, op, "cannot gather from the empty axis %" PRId64 " of %s", axis, tyfmt(x).s);
	out[0] = (ir_type){.dtype = x->dtype, .rank = r};
	for (int i = 0; i < axis; i++)
		out[0].dims[k++] = x->dims[i];
	for (int i = 0; i < ix->rank; i++)
		out[0].dims[k++] = ix->dims[i];
	for (int i = (int)axis + 1; i < x->rank; i++)
		out[0].dims[k++] = x->dims[i];
	return 0;
}

/*
** GatherElements: indices of data's rank, no larger than data outside axis
** (onnxruntime's bound); the result has the indices' shape.
*/
static int infer_gatherelements(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *ix = opnd(g, op, 1);
	int64_t axis = ir_op_int(op, "axis", 0), n;
	if (index_dtype(g, op, 1) < 0 || norm_axis(g, op, &axis, x->rank, false) < 0)
		return -1;
	if (ix->rank != x->rank)
		return fail(g, op, "the indices %s must have the rank of the data %s", tyfmt(ix).s, tyfmt(x).s);
	for (int i = 0; i < x->rank; i++)
		if (i != axis && ix->dims[i] > x->dims[i])
			return fail(g, op, "the indices %s exceed the data %s in dim %d", tyfmt(ix).s, tyfmt(x).s, i);
	if (x->dims[axis] == 0 && ir_type_numel(ix, &n) == 0 && n > 0)
		return fail(g, op, "cannot gather from the empty axis %" PRId64 " of %s", axis, tyfmt(x).s);
	out[0] = plain(ix);
	out[0].dtype = x->dtype;
	return 0;
}

/* Expand: numpy broadcast of x with the shape attribute (dims >= 0). */
static int infer_expand(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	const ir_attr *s = need_list(g, op, "shape", IR_ATTR_INTS);
	if (!s)
		return -1;
	if (s->n > IR_MAX_RANK)
		return fail(g, op, "attribute 'shape' has %d values; too many (limit is %d)", (int)s->n, IR_MAX_RANK);
	ir_type t = {.dtype = x->dtype, .rank = s->n};
	for (int i = 0; i < s->n; i++) {
		t.dims[i] = s->u.ints[i];
		if (t.dims[i] < 0)
			return fail(g, op, "attribute 'shape' value %" PRId64 " (index %d) must be >= 0", t.dims[i], i);
	}
	if (bcast2(x, &t, &out[0]) < 0)
		return fail(g, op, "operand %s does not broadcast with the shape %s", tyfmt(x).s, tyfmt(&t).s);
	return 0;
}

/* Tile: repeats (required, one per dim, >= 0) multiply the dims. */
static int infer_tile(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t rep[IR_MAX_RANK];
	if (!need_list(g, op, "repeats", IR_ATTR_INTS) || ints_attr(g, op, "repeats", x->rank, 1, 0, rep) < 0)
		return -1;
	out[0] = plain(x);
	for (int i = 0; i < x->rank; i++)
		if (__builtin_mul_overflow(x->dims[i], rep[i], &out[0].dims[i]))
			return fail(g, op, "dim %d of %s repeated %" PRId64 " times overflows", i, tyfmt(x).s, rep[i]);
	return 0;
}

/* DepthToSpace, SpaceToDepth: X [N, C, H, W]; blocksize (required, >= 1)
** into *b and its square into *bb. */
static int block_attrs(ir_graph *g, const ir_op *op, int64_t *b, int64_t *bb)
{
	const ir_type *x = opnd(g, op, 0);
	if (x->rank != 4)
		return fail(g, op, "X must have rank 4 ([N, C, H, W]); got %s", tyfmt(x).s);
	if (!ir_op_attr(op, "blocksize"))
		return fail(g, op, "missing required attribute 'blocksize'");
	*b = ir_op_int(op, "blocksize", 1);
	if (*b < 1)
		return fail(g, op, "attribute 'blocksize' is %" PRId64 "; expected >= 1", *b);
	if (__builtin_mul_overflow(*b, *b, bb))
		return fail(g, op, "attribute 'blocksize' is %" PRId64 "; its square overflows", *b);
	return 0;
}

/* [N, C/b^2, H*b, W*b]; C a multiple of b^2; mode DCR or CRD. */
static int infer_depthtospace(ir_graph *g, const ir_op *op, ir_type *out)
{
	static const char *const modes[] = {"DCR", "CRD"};
	const ir_type *x = opnd(g, op, 0);
	int64_t b, bb;
	int mode;
	if (block_attrs(g, op, &b, &bb) < 0 || choice_attr(g, op, "mode", modes, 2, &mode) < 0)
		return -1;
	if (x->dims[1] % bb)
		return fail(g, op, "C of %s is not a multiple of blocksize^2 (%" PRId64 ")", tyfmt(x).s, bb);
	out[0] = plain(x);
	out[0].dims[1] = x->dims[1] / bb;
	if (__builtin_mul_overflow(x->dims[2], b, &out[0].dims[2]) ||
	    __builtin_mul_overflow(x->dims[3], b, &out[0].dims[3]))
		return fail(g, op, "H and W of %s times blocksize %" PRId64 " overflow", tyfmt(x).s, b);
	return 0;
}

/* [N, C*b^2, H/b, W/b]; H and W multiples of b. */
static int infer_spacetodepth(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int64_t b, bb;
	if (block_attrs(g, op, &b, &bb) < 0)
		return -1;
	if (x->dims[2] % b || x->dims[3] % b)
		return fail(g, op, "H and W of %s must be multiples of blocksize %" PRId64, tyfmt(x).s, b);
	out[0] = plain(x);
	out[0].dims[2] = x->dims[2] / b;
	out[0].dims[3] = x->dims[3] / b;
	if (__builtin_mul_overflow(x->dims[1], bb, &out[0].dims[1]))
		return fail(g, op, "C of %s times blocksize^2 (%" PRId64 ") overflows", tyfmt(x).s, bb);
	return 0;
}

/* Trilu works on the last two dims; k may be any value. */
static int infer_trilu(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	if (x->rank < 2)
		return fail(g, op, "operand 0 must have rank >= 2; got %s", tyfmt(x).s);
	out[0] = plain(x);
	return 0;
}

/* ---- quantization -------------------------------------------------------- */

/*
** Scale (operand 1) and optional zero point (operand 2) over x: the scale is
** f32, a scalar or one-element 1-D tensor (per-tensor) or 1-D with one
** value per index of x's dim 'axis' (per-axis); the zero point has the
** scale's shape.
*/
static int qparams(ir_graph *g, const ir_op *op, const ir_type *x)
{
	const ir_type *s = opnd(g, op, 1), *z = opnd(g, op, 2);
	if (s->dtype != IR_F32 || s->rank > 1)
		return fail(g, op, "the scale must be an f32 scalar or 1-D; got %s", tyfmt(s).s);
	if (s->rank == 1 && s->dims[0] != 1) {
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

/* DynamicQuantizeLinear: f32 x gives u8 y, an f32 scale and a u8 zero point. */
static int infer_dynquantize(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	if (x->dtype != IR_F32)
		return fail(g, op, "operand 0 has element type %s; expected f32", ir_dtype_name(x->dtype));
	out[0] = plain(x);
	out[0].dtype = IR_U8;
	out[1] = (ir_type){.dtype = IR_F32};
	out[2] = (ir_type){.dtype = IR_U8};
	return 0;
}

/* Operand i (named what) must be u8 or i8. */
static int q8(ir_graph *g, const ir_op *op, int i, const char *what)
{
	const ir_type *t = opnd(g, op, i);
	if (t->dtype == IR_U8 || t->dtype == IR_I8)
		return 0;
	return fail(g, op, "operand %d (%s) has element type %s; expected u8 or i8", i, what,
		    ir_dtype_name(t->dtype));
}

/*
** Operand i (named what), when present, must have element type dt and be a
** scalar (rank 0, or a 1-D tensor of one value, as exporters often write
** it) or, when n >= 0, a 1-D tensor of n values.
*/
static int qparam(ir_graph *g, const ir_op *op, int i, const char *what, ir_dtype dt, int64_t n)
{
	const ir_type *t = opnd(g, op, i);
	const char *d = ir_dtype_name(dt);
	bool one = t && t->rank == 1 && t->dims[0] == 1;
	if (!t || (t->dtype == dt && (t->rank == 0 || one || (n >= 0 && t->rank == 1 && t->dims[0] == n))))
		return 0;
	if (n < 0)
		return fail(g, op, "operand %d (%s) must be a scalar %s[]; got %s", i, what, d, tyfmt(t).s);
	return fail(g, op, "operand %d (%s) must be %s[] or %s[%" PRId64 "]; got %s", i, what, d, d, n,
		    tyfmt(t).s);
}

/*
** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias?):
** x, w and y_zp u8 or i8; scales f32 and zero points of their tensor's
** type, scalars except w's, which may be [M]; bias i32 [M].  The result
** has y_zp's type and Conv's shape.
*/
static int infer_qlinearconv(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *w = opnd(g, op, 3), *y = opnd(g, op, 7), *b = opnd(g, op, 8);
	if (q8(g, op, 0, "x") < 0 || q8(g, op, 3, "w") < 0 || q8(g, op, 7, "y_zero_point") < 0)
		return -1;
	if (b && b->dtype != IR_I32)
		return fail(g, op, "operand 8 (bias) has element type %s; expected i32", ir_dtype_name(b->dtype));
	if (conv_shape(g, op, 0, 3, 8, &out[0]) < 0)
		return -1;
	int64_t m = w->dims[0];
	if (qparam(g, op, 1, "x_scale", IR_F32, -1) < 0 || qparam(g, op, 2, "x_zero_point", x->dtype, -1) < 0 ||
	    qparam(g, op, 4, "w_scale", IR_F32, m) < 0 || qparam(g, op, 5, "w_zero_point", w->dtype, m) < 0 ||
	    qparam(g, op, 6, "y_scale", IR_F32, -1) < 0 || qparam(g, op, 7, "y_zero_point", y->dtype, -1) < 0)
		return -1;
	out[0].dtype = y->dtype;
	return 0;
}

/* Rows of a and columns of b of a matmul (1-D operands promoted). */
static void matmul_mn(const ir_type *a, const ir_type *b, int64_t *m, int64_t *n)
{
	*m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
	*n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
}

/*
** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): a, b
** and y_zp u8 or i8; scales f32 and zero points of their tensor's type,
** a's scalar or per row [M], b's scalar or per column [N], y's scalar.
** The result has y_zp's type and MatMul's shape.
*/
static int infer_qlinearmatmul(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 3), *y = opnd(g, op, 7);
	int64_t m, n;
	if (q8(g, op, 0, "a") < 0 || q8(g, op, 3, "b") < 0 || q8(g, op, 7, "y_zero_point") < 0 ||
	    matmul_shape(g, op, a, b, &out[0]) < 0)
		return -1;
	matmul_mn(a, b, &m, &n);
	if (qparam(g, op, 1, "a_scale", IR_F32, m) < 0 || qparam(g, op, 2, "a_zero_point", a->dtype, m) < 0 ||
	    qparam(g, op, 4, "b_scale", IR_F32, n) < 0 || qparam(g, op, 5, "b_zero_point", b->dtype, n) < 0 ||
	    qparam(g, op, 6, "y_scale", IR_F32, -1) < 0 || qparam(g, op, 7, "y_zero_point", y->dtype, -1) < 0)
		return -1;
	out[0].dtype = y->dtype;
	return 0;
}

/*
** ConvInteger(x, w, x_zp?, w_zp?): x and w u8 or i8, x_zp a scalar of x's
** type, w_zp a scalar or [M] of w's; i32 result of Conv's shape.
*/
static int infer_convinteger(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *w = opnd(g, op, 1);
	if (q8(g, op, 0, "x") < 0 || q8(g, op, 1, "w") < 0 || conv_shape(g, op, 0, 1, -1, &out[0]) < 0)
		return -1;
	if (qparam(g, op, 2, "x_zero_point", x->dtype, -1) < 0 ||
	    qparam(g, op, 3, "w_zero_point", w->dtype, w->dims[0]) < 0)
		return -1;
	out[0].dtype = IR_I32;
	return 0;
}

/*
** MatMulInteger(a, b, a_zp?, b_zp?): a and b u8 or i8; a_zp a scalar or
** per row [M] of a's type, b_zp a scalar or per column [N] of b's; i32
** result of MatMul's shape.
*/
static int infer_matmulinteger(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1);
	int64_t m, n;
	if (q8(g, op, 0, "a") < 0 || q8(g, op, 1, "b") < 0 || matmul_shape(g, op, a, b, &out[0]) < 0)
		return -1;
	matmul_mn(a, b, &m, &n);
	if (qparam(g, op, 2, "a_zero_point", a->dtype, m) < 0 || qparam(g, op, 3, "b_zero_point", b->dtype, n) < 0)
		return -1;
	out[0].dtype = IR_I32;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

enum { TY_F, TY_N, TY_I, TY_A, TY_B };

static rule_fn *const rules[IR_NOPS] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) [IR_OP_##id] = infer_##rule,
#include "ir/ops.h"
#undef OP
};

static const unsigned char tys[IR_NOPS] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) [IR_OP_##id] = TY_##ty,
#include "ir/ops.h"
#undef OP
};

/* ---- quantized arithmetic ------------------------------------------------ */

/*
** An op with quantization parameters on an operand or its result
** (ir_op_is_quantized) computes on the stored integers by the rules of
** docs/ir.md "Quantized arithmetic" (ir/requant.h).  These rules accept
** exactly the forms that have such a definition: the shape as for the plain
** op, then the element types and quantization of every operand and of the
** declared result (whose quantization is an input here, never inferred),
** the int32 accumulator bound and the requantization multipliers.
*/

enum { QK_NONE, QK_MOVE, QK_RESHAPE, QK_TRANSPOSE, QK_CLAMP, QK_PAD, QK_LINEAR, QK_ADD, QK_AVGPOOL, QK_CONCAT };

static int qkind(ir_opkind k)
{
	switch (k) {
	case IR_OP_SLICE: case IR_OP_SPLIT: case IR_OP_GATHER: case IR_OP_GATHERELEMENTS: case IR_OP_EXPAND:
	case IR_OP_TILE: case IR_OP_DEPTHTOSPACE: case IR_OP_SPACETODEPTH: case IR_OP_MAXPOOL:
	case IR_OP_GLOBALMAXPOOL:
		return QK_MOVE;
	case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE: return QK_RESHAPE;
	case IR_OP_TRANSPOSE: return QK_TRANSPOSE;
	case IR_OP_RELU: case IR_OP_CLIP: return QK_CLAMP;
	case IR_OP_PAD: return QK_PAD;
	case IR_OP_CONV: case IR_OP_GEMM: case IR_OP_MATMUL: return QK_LINEAR;
	case IR_OP_ADD: return QK_ADD;
	case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL: return QK_AVGPOOL;
	case IR_OP_CONCAT: return QK_CONCAT;
	default: return QK_NONE;
	}
}

/* Quantization parameters as text, "quant(scale=0.5, zero=3)". */
typedef struct qstr {
	char s[96];
} qstr;

static qstr qfmt(const ir_quant *q)
{
	qstr r;
	if (!q)
		snprintf(r.s, sizeof r.s, "none");
	else if (q->axis < 0)
		snprintf(r.s, sizeof r.s, "quant(scale=%g, zero=%d)", (double)q->scale[0], (int)q->zero[0]);
	else
		snprintf(r.s, sizeof r.s, "quant(axis=%d, %d scales)", (int)q->axis, (int)q->n);
	return r;
}

static const ir_type *result_of(const ir_graph *g, const ir_op *op, int r)
{
	return ir_type_of(g, op->out[r]);
}

/* "operand 1 (W)", or "the result" for i < 0. */
typedef struct olabel {
	char s[48];
} olabel;

static olabel ofmt(int i, const char *name)
{
	olabel r;
	if (i < 0)
		snprintf(r.s, sizeof r.s, "the result");
	else
		snprintf(r.s, sizeof r.s, "operand %d (%s)", i, name);
	return r;
}

/* Operand i (named name; the result when i < 0) of type t must be i8 or u8
** quantized per tensor, the form of every activation. */
static int q8_tensor(ir_graph *g, const ir_op *op, int i, const char *name, const ir_type *t)
{
	if (!t->quant)
		return fail(g, op, "%s is not quantized; quantized arithmetic needs every data operand "
			    "and the result quantized", ofmt(i, name).s);
	if (t->dtype != IR_I8 && t->dtype != IR_U8)
		return fail(g, op, "%s has element type %s; quantized arithmetic takes i8 or u8",
			    ofmt(i, name).s, ir_dtype_name(t->dtype));
	if (t->quant->axis >= 0)
		return fail(g, op, "%s must be quantized per tensor; got %s", ofmt(i, name).s, qfmt(t->quant).s);
	return 0;
}

/* The largest |q - zero| over t's stored range and zero points. */
static int64_t q_span(const ir_type *t)
{
	int64_t lo, hi, best = 0;
	ir_requant_range(t->dtype, &lo, &hi);
	for (int32_t c = 0; c < t->quant->n; c++) {
		int64_t z = t->quant->zero[c], d = z - lo > hi - z ? z - lo : hi - z;
		best = d > best ? d : best;
	}
	return best;
}

/*
** A sum of n terms, each at most per in magnitude, plus at most bias, must
** stay within IR_QUANT_ACC_MAX; what names n ("reduction depth", "window").
*/
static int q_depth(ir_graph *g, const ir_op *op, const char *what, int64_t n, int64_t per, int64_t bias)
{
	int64_t limit = per ? (IR_QUANT_ACC_MAX - bias) / per : INT64_MAX;
	if (n <= limit)
		return 0;
	return fail(g, op, "%s %" PRId64 " is too large for the exact int32 accumulator: %" PRId64
		    " terms of magnitude up to %" PRId64 "%s could exceed 2^31-1 (the limit for these "
		    "operands is %" PRId64 ")", what, n, n, per, bias ? " plus the bias" : "",
		    limit < 0 ? 0 : limit);
}

/* The real multiplier m (what says how it is made) must have a shift in
** [IR_REQUANT_MIN_SHIFT, IR_REQUANT_MAX_SHIFT]. */
static int q_mult(ir_graph *g, const ir_op *op, double m, const char *what)
{
	ir_requant r;
	if (ir_requant_derive(m, &r) == 0)
		return 0;
	return fail(g, op, "requantization multiplier %g (%s) is out of range: usable multipliers lie "
		    "between 2^-%d (about 2.3e-10) and 2^%d", m, what, IR_REQUANT_MAX_SHIFT - 30,
		    31 - IR_REQUANT_MIN_SHIFT);
}

/* ---- Conv, Gemm, MatMul ---- */

/* The shape of a quantized contraction and what its checks need. */
typedef struct qlin {
	const char *name[3];    /* operand names */
	int waxis;              /* W's output-channel axis, -1 when it has none */
	int64_t k;              /* reduction depth */
	int64_t nch;            /* output channels: Conv's M, Gemm's and MatMul's N */
} qlin;

static int qlin_gemm(ir_graph *g, const ir_op *op, ir_type *out, qlin *L)
{
	const ir_type *a = opnd(g, op, 0), *c = opnd(g, op, 2);
	int ta = ir_op_int(op, "transA", 0) != 0, tb = ir_op_int(op, "transB", 0) != 0;
	double alpha = ir_op_float(op, "alpha", 1), beta = ir_op_float(op, "beta", 1);
	*L = (qlin){{"A", "B", "C"}, tb ? 0 : 1, 0, 0};
	if (gemm_shape(g, op, out) < 0)
		return -1;
	L->k = a->dims[1 - ta];
	L->nch = out->dims[1];
	if (alpha != 1 || beta != 1)
		return fail(g, op, "alpha and beta must be 1 on quantized operands; they are %g and %g",
			    alpha, beta);
	if (c && (c->rank != 1 || c->dims[0] != L->nch))
		return fail(g, op, "C %s must be [%" PRId64 "] on quantized operands (an i32 bias per "
			    "output column)", tyfmt(c).s, L->nch);
	return 0;
}

static int qlin_form(ir_graph *g, const ir_op *op, ir_type *out, qlin *L)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1);
	switch (op->kind) {
	case IR_OP_CONV:
		*L = (qlin){{"X", "W", "B"}, 0, 1, 0};
		if (conv_shape(g, op, 0, 1, 2, out) < 0)
			return -1;
		L->nch = b->dims[0];
		for (int i = 1; i < b->rank; i++)
			L->k *= b->dims[i];
		return 0;
	case IR_OP_GEMM:
		return qlin_gemm(g, op, out, L);
	default:
		*L = (qlin){{"A", "B", NULL}, b->rank >= 2 ? b->rank - 1 : -1, 0, 0};
		if (matmul_shape(g, op, a, b, out) < 0)
			return -1;
		L->k = a->dims[a->rank - 1];
		L->nch = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
		return 0;
	}
}

/* W: i8 or u8, per tensor or per output channel. */
static int q_weight(ir_graph *g, const ir_op *op, const qlin *L, const ir_type *w)
{
	if (!w->quant || (w->dtype != IR_I8 && w->dtype != IR_U8) || w->quant->axis < 0)
		return q8_tensor(g, op, 1, L->name[1], w);
	if (w->quant->axis == L->waxis)
		return 0;
	if (L->waxis < 0)
		return fail(g, op, "%s must be quantized per tensor; got %s", ofmt(1, L->name[1]).s,
			    qfmt(w->quant).s);
	return fail(g, op, "%s must be quantized per tensor or per output channel (axis %d); got %s",
		    ofmt(1, L->name[1]).s, L->waxis, qfmt(w->quant).s);
}

/* The bias: i32, zero point 0, scale s_x * s_w[c] per output channel c. */
static int q_bias(ir_graph *g, const ir_op *op, const qlin *L, const ir_type *b)
{
	const ir_quant *qx = opnd(g, op, 0)->quant, *qw = opnd(g, op, 1)->quant, *qb = b->quant;
	if (b->dtype != IR_I32 || !qb)
		return fail(g, op, "%s must be i32 quantized with scale %s scale * %s scale and zero point 0; "
			    "got %s %s", ofmt(2, L->name[2]).s, L->name[0], L->name[1], tyfmt(b).s, qfmt(qb).s);
	for (int64_t c = 0; c < L->nch; c++) {
		int64_t cb = qb->n == 1 ? 0 : c, cw = qw->n == 1 ? 0 : c;
		double want = (double)qx->scale[0] * (double)qw->scale[cw], have = qb->scale[cb];
		if (qb->zero[cb] != 0)
			return fail(g, op, "%s has zero point %d for output channel %" PRId64 "; a bias has "
				    "zero point 0", ofmt(2, L->name[2]).s, (int)qb->zero[cb], c);
		if (fabs(have - want) > IR_QUANT_BIAS_RTOL * want)
			return fail(g, op, "%s has scale %g for output channel %" PRId64 ", but %s scale * %s "
				    "scale is %g (they must agree within a relative %g)", ofmt(2, L->name[2]).s,
				    have, c, L->name[0], L->name[1], want, IR_QUANT_BIAS_RTOL);
	}
	return 0;
}

/* The largest |bias| when the bias is a constant of the right size, else 0
** (a computed bias is added with int32 wraparound). */
static int64_t bias_max(const ir_graph *g, const ir_op *op, const ir_type *b)
{
	const ir_blob *d = b ? ir_const_of(g, op->in[2]) : NULL;
	int64_t best = 0;
	if (!d || d->size != 4 * b->dims[0])
		return 0;
	for (int64_t i = 0; i < b->dims[0]; i++) {
		int32_t v;
		memcpy(&v, d->data + 4 * i, 4);
		best = llabs((int64_t)v) > best ? llabs((int64_t)v) : best;
	}
	return best;
}

static int q_linear(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *w = opnd(g, op, 1), *b = opnd(g, op, 2), *y = result_of(g, op, 0);
	qlin L;
	if (qlin_form(g, op, out, &L) < 0 || q8_tensor(g, op, 0, L.name[0], x) < 0 ||
	    q_weight(g, op, &L, w) < 0 || q8_tensor(g, op, -1, NULL, y) < 0 || (b && q_bias(g, op, &L, b) < 0))
		return -1;
	out[0].dtype = y->dtype;
	if (q_depth(g, op, "reduction depth", L.k, q_span(x) * q_span(w), bias_max(g, op, b)) < 0)
		return -1;
	for (int32_t c = 0; c < w->quant->n; c++) {
		char what[96];
		snprintf(what, sizeof what, "%s scale * %s scale #%d / result scale", L.name[0], L.name[1], (int)c);
		if (q_mult(g, op, ir_requant_mult_linear(x->quant->scale[0], w->quant->scale[c],
							   y->quant->scale[0]), what) < 0)
			return -1;
	}
	return 0;
}

/* ---- Add, the average pools, Concat ---- */

static int q_add(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *a = opnd(g, op, 0), *b = opnd(g, op, 1), *y = result_of(g, op, 0);
	ir_requant ra, rb;
	if (bcast_all(g, op, out) < 0 || q8_tensor(g, op, 0, "A", a) < 0 || q8_tensor(g, op, 1, "B", b) < 0 ||
	    q8_tensor(g, op, -1, NULL, y) < 0)
		return -1;
	out[0].dtype = y->dtype;
	double ma = ir_requant_mult_ratio(a->quant->scale[0], y->quant->scale[0]);
	double mb = ir_requant_mult_ratio(b->quant->scale[0], y->quant->scale[0]);
	if (ir_requant_derive2(ma, mb, &ra, &rb) < 0)
		return fail(g, op, "requantization multipliers %g (A scale / result scale) and %g (B scale / "
			    "result scale) are out of range: the larger must lie between 2^-32 (about "
			    "2.3e-10) and 2^30", ma, mb);
	return 0;
}

/* AveragePool, GlobalAveragePool: the window sum is exact, and the
** multiplier s_x / (s_y * count) is valid for every count from 1 to the
** largest window (validity is monotone in the multiplier). */
static int q_avgpool(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0), *y = result_of(g, op, 0);
	int64_t cnt = 1;
	if ((op->kind == IR_OP_AVGPOOL ? infer_pool(g, op, out) : infer_gpool(g, op, out)) < 0 ||
	    q8_tensor(g, op, 0, "X", x) < 0 || q8_tensor(g, op, -1, NULL, y) < 0)
		return -1;
	out[0].dtype = y->dtype;
	const ir_attr *ks = list_attr(op, "kernel_shape", IR_ATTR_INTS);
	for (int i = 2; i < x->rank; i++) {
		int64_t d = op->kind != IR_OP_AVGPOOL ? x->dims[i] : ks && i - 2 < ks->n ? ks->u.ints[i - 2] : 1;
		if (__builtin_mul_overflow(cnt, d, &cnt))
			cnt = INT64_MAX;
	}
	if (q_depth(g, op, "window", cnt, q_span(x), 0) < 0)
		return -1;
	float sx = x->quant->scale[0], sy = y->quant->scale[0];
	if (q_mult(g, op, ir_requant_mult_pool(sx, sy, 1), "X scale / result scale") < 0 ||
	    (cnt > 1 && q_mult(g, op, ir_requant_mult_pool(sx, sy, cnt), "X scale / (result scale * window)") < 0))
		return -1;
	return 0;
}

/* Per-axis parameters only flow through ops that keep the axis whole. */
static int q_per_axis(ir_graph *g, const ir_op *op, const ir_quant *q)
{
	if (!q || q->axis < 0)
		return 0;
	return fail(g, op, "per-axis quantization (%s) passes only through Reshape, Flatten, Squeeze, "
		    "Unsqueeze and Transpose", qfmt(q).s);
}

/* Concat: operands with the result's parameters are copied; any other is
** requantized to them (i8 or u8, per tensor). */
static int q_concat(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *y = result_of(g, op, 0);
	bool same = true;
	if (infer_concat(g, op, out) < 0)
		return -1;
	for (int i = 0; i < op->n_in; i++)
		same &= ir_quant_equal(opnd(g, op, i)->quant, opnd(g, op, 0)->quant);
	if (same && (!y->quant || ir_quant_equal(y->quant, opnd(g, op, 0)->quant)))
		return q_per_axis(g, op, opnd(g, op, 0)->quant);
	for (int i = 0; i < op->n_in; i++)
		if (q8_tensor(g, op, i, "a part", opnd(g, op, i)) < 0)
			return -1;
	if (q8_tensor(g, op, -1, NULL, y) < 0)
		return -1;
	for (int i = 0; i < op->n_in; i++) {
		char what[64];
		snprintf(what, sizeof what, "operand %d scale / result scale", i);
		if (q_mult(g, op, ir_requant_mult_ratio(opnd(g, op, i)->quant->scale[0], y->quant->scale[0]),
			   what) < 0)
			return -1;
	}
	return 0;
}

/* ---- data movement and clamps ---- */

/* The product of dims[0..n). */
static int64_t dims_before(const ir_type *t, int n)
{
	int64_t p = 1;
	for (int i = 0; i < n; i++)
		p *= t->dims[i];
	return p;
}

/*
** True when y's parameters are x's as the op moves them: equal lists, and
** a per-axis axis carried along (Transpose through perm; a reshape keeps
** the quantized dim whole at the same place in row-major order).
*/
static bool moved_quant(const ir_op *op, const ir_type *x, const ir_type *y)
{
	const ir_quant *a = x->quant, *b = y->quant;
	if (!b || a->n != b->n || memcmp(a->scale, b->scale, sizeof *a->scale * (size_t)a->n) ||
	    memcmp(a->zero, b->zero, sizeof *a->zero * (size_t)a->n) || (a->axis < 0) != (b->axis < 0))
		return false;
	if (a->axis < 0)
		return true;
	if (op->kind == IR_OP_TRANSPOSE) {
		const ir_attr *p = list_attr(op, "perm", IR_ATTR_INTS);
		return (p ? p->u.ints[b->axis] : x->rank - 1 - b->axis) == a->axis;
	}
	return x->dims[a->axis] == y->dims[b->axis] && dims_before(x, a->axis) == dims_before(y, b->axis);
}

/* Quantized Clip: each bound an f32 scalar (a real value) or a scalar of
** x's type with x's parameters (a stored integer). */
static int q_clip(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	for (int i = 1; i <= 2; i++) {
		const ir_type *b = opnd(g, op, i);
		bool real = b && b->dtype == IR_F32 && !b->quant;
		if (b && (b->rank != 0 || (!real && (b->dtype != x->dtype || !ir_quant_equal(b->quant, x->quant)))))
			return fail(g, op, "operand %d (the %s bound) of a quantized Clip must be a real value "
				    "f32[] or a stored integer %s[] with operand 0's quantization; got %s %s", i,
				    i == 1 ? "lower" : "upper", ir_dtype_name(x->dtype), tyfmt(b).s, qfmt(b->quant).s);
	}
	out[0] = plain(x);
	return 0;
}

/* Operands past the data: Pad's value carries x's parameters; the rest
** (shapes, axes, indices) are plain. */
static int q_side_operands(ir_graph *g, const ir_op *op, const ir_type *x)
{
	for (int i = 1; i < op->n_in; i++) {
		const ir_type *t = opnd(g, op, i);
		if (!t || op->kind == IR_OP_CLIP)
			continue;
		if (op->kind == IR_OP_PAD && !ir_quant_equal(t->quant, x->quant))
			return fail(g, op, "operand 1 (the pad value) must carry operand 0's quantization %s; got %s",
				    qfmt(x->quant).s, qfmt(t->quant).s);
		if (op->kind != IR_OP_PAD && t->quant)
			return fail(g, op, "operand %d must not be quantized", i);
	}
	return 0;
}

/* Relu, Clip and Pad without a value operand produce real 0 (the zero
** point) or clamp at it, so their result must carry the parameters; pure
** data movement may drop them (the same stored integers, unannotated). */
static bool needs_result_quant(const ir_op *op)
{
	if (op->kind == IR_OP_PAD)
		return (op->n_in < 2 || op->in[1] == IR_NOVAL) &&
		       strcmp(ir_op_str(op, "mode", "constant"), "constant") == 0;
	return qkind(op->kind) == QK_CLAMP;
}

static int q_move(ir_graph *g, const ir_op *op, ir_type *out)
{
	const ir_type *x = opnd(g, op, 0);
	int k = qkind(op->kind);
	if ((op->kind == IR_OP_CLIP ? q_clip(g, op, out) : rules[op->kind](g, op, out)) < 0)
		return -1;
	if (!x->quant)
		return fail(g, op, "the result is quantized but operand 0 is not; Identity or QuantizeLinear "
			    "attach quantization parameters");
	if (k != QK_RESHAPE && k != QK_TRANSPOSE && q_per_axis(g, op, x->quant) < 0)
		return -1;
	for (int r = 0; r < op->n_out; r++) {
		const ir_type *y = result_of(g, op, r);
		if (y->quant ? moved_quant(op, x, y) : !needs_result_quant(op))
			continue;
		return fail(g, op, "result %d must carry operand 0's quantization %s%s, not %s: '%s' does "
			    "not requantize", r, qfmt(x->quant).s,
			    x->quant->axis >= 0 ? " (its axis moved with the data)" : "", qfmt(y->quant).s,
			    ir_op_name(op->kind));
	}
	return q_side_operands(g, op, x);
}

/* t's parameters fit its shape: one pair per tensor, or one per index of
** an existing axis (the verifier reports a mismatch where t is defined). */
static bool quant_fits(const ir_type *t)
{
	const ir_quant *q = t ? t->quant : NULL;
	if (!q)
		return true;
	return q->scale && q->zero && q->axis < t->rank && q->n == (q->axis < 0 ? 1 : t->dims[q->axis]);
}

static int infer_quantized(ir_graph *g, const ir_op *op, ir_type *out)
{
	for (int i = 0; i < op->n_in; i++)
		if (!quant_fits(opnd(g, op, i)))
			return fail(g, op, "operand %d has quantization parameters that do not fit its shape", i);
	for (int r = 0; r < op->n_out; r++)
		if (!quant_fits(result_of(g, op, r)))
			return fail(g, op, "result %d has quantization parameters that do not fit its shape", r);
	switch (qkind(op->kind)) {
	case QK_LINEAR: return q_linear(g, op, out);
	case QK_ADD: return q_add(g, op, out);
	case QK_AVGPOOL: return q_avgpool(g, op, out);
	case QK_CONCAT: return q_concat(g, op, out);
	case QK_NONE: return fail(g, op, "quantized operands are not supported; dequantize first");
	default: return q_move(g, op, out);
	}
}

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
** an element type of the op's TY class (unless the op is quantized: the
** quantized rules check element types themselves).
*/
static int check_operands(ir_graph *g, const ir_op *op, bool quantized)
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
	if (x && !quantized && !ty_ok(tys[op->kind], x->dtype))
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

/* A fused activation must be known, have its parameters, and act on floats
** or fold into the clamp of a quantized result (Relu, Clip). */
static int check_activation(ir_graph *g, const ir_op *op, const ir_type *out, bool quantized)
{
	ir_activation a;
	if (!ir_op_attr(op, "activation") && !ir_op_attr(op, "activation_params"))
		return 0;
	if (ir_op_activation(op, &a) < 0)
		return fail(g, op, "activation '%s' with %d activation_params is not one of none, "
			    "Relu, Clip [lo, hi] (lo <= hi), LeakyRelu [alpha]",
			    ir_op_str(op, "activation", "none"),
			    ir_op_attr(op, "activation_params") ? ir_op_attr(op, "activation_params")->n : 0);
	if (quantized && a.kind == IR_ACT_LEAKYRELU)
		return fail(g, op, "fused activation LeakyRelu has no quantized form (only Relu and Clip "
			    "fold into the output clamp); dequantize first");
	if (a.kind != IR_ACT_NONE && !quantized && !ir_dtype_is_float(out[0].dtype))
		return fail(g, op, "a fused activation needs a float result, not %s",
			    ir_dtype_name(out[0].dtype));
	return 0;
}

int ir_infer(ir_graph *g, const ir_op *op, ir_type *out)
{
	if ((unsigned)op->kind >= IR_NOPS)
		return ir_error(g->ctx, op->loc, "op of unknown kind %d", (int)op->kind);
	bool q = ir_op_is_quantized(g, op);
	if (check_operands(g, op, q) < 0)
		return -1;
	for (int32_t i = 0; i < op->n_out; i++)
		out[i] = (ir_type){0};
	if ((q ? infer_quantized(g, op, out) : rules[op->kind](g, op, out)) < 0 ||
	    check_activation(g, op, out, q) < 0)
		return -1;
	return op->kind == IR_OP_CONST ? 0 : check_results(g, op, out);
}
