/*
** k_reduce.c - kernels of the reduce family (ReduceMean ... ReduceLogSumExp),
** ArgMax/ArgMin and CumSum.
**
** Reductions accumulate in double for float types and exactly in int64
** (wrapping) for integer types; a result that is not an integer (Mean, L2,
** LogSum, LogSumExp of an integer tensor) is computed in double and
** truncated toward zero, as numpy's astype does.  An empty reduction gives
** the operation's identity: 0 for sums, 1 for Prod, -inf/+inf (or the
** integer type's min/max) for Max/Min, NaN for a float Mean, -inf for
** LogSum and LogSumExp.  LogSumExp shifts by the largest finite element for
** range, which changes nothing mathematically.
**
** ArgMax/ArgMin follow numpy: the first extreme (the last one with
** select_last_index), and a NaN beats every number.  CumSum rounds every
** partial sum to the element type, which is exactly numpy's sequential
** cumsum in that type.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"

static bool is_float(const interp_tensor *t)
{
	return ir_dtype_is_float(t->type.dtype);
}

/* ---- reduce -------------------------------------------------------------- */

typedef struct reducer {
	ir_opkind k;
	bool ints;               /* exact int64 accumulation */
	bool mask[IR_MAX_RANK];  /* reduced dims */
	int64_t count;           /* elements per result */
	double *f;               /* per-result accumulators, float path */
	int64_t *i;              /* integer path */
	double *shift;           /* LogSumExp: per-result largest finite element */
} reducer;

/* The reduced dims into r->mask; 0 when the op is a no-op copy. */
static int reduce_mask(const ir_op *op, const ir_type *t, reducer *r)
{
	const ir_attr *a = ir_op_attr(op, "axes");
	bool all = !a || a->n == 0;
	if (all && ir_op_int(op, "noop_with_empty_axes", 0))
		return 0;
	for (int d = 0; d < t->rank; d++)
		r->mask[d] = all;
	for (int32_t j = 0; !all && j < a->n; j++)
		r->mask[a->u.ints[j] < 0 ? a->u.ints[j] + t->rank : a->u.ints[j]] = true;
	r->count = 1;
	for (int d = 0; d < t->rank; d++)
		r->count *= r->mask[d] ? t->dims[d] : 1;
	return 1;
}

/* Index of the result that element i of t reduces into (with or without
** keepdims, the results' order is the same). */
static int64_t result_of(const reducer *r, const ir_type *t, int64_t i)
{
	int64_t j = 0, stride = 1;
	for (int d = t->rank - 1; d >= 0; d--) {
		int64_t c = i % t->dims[d];
		i /= t->dims[d];
		if (!r->mask[d]) {
			j += c * stride;
			stride *= t->dims[d];
		}
	}
	return j;
}

static void reduce_init(reducer *r, ir_dtype dt, int64_t m)
{
	int64_t lo, hi;
	int_range(dt, &lo, &hi);
	for (int64_t j = 0; j < m; j++) {
		switch (r->k) {
		case IR_OP_REDUCEMAX: r->f[j] = -INFINITY; r->i[j] = lo; break;
		case IR_OP_REDUCEMIN: r->f[j] = INFINITY; r->i[j] = hi; break;
		case IR_OP_REDUCEPROD: r->f[j] = 1; r->i[j] = 1; break;
		default: break;
		}
		r->shift[j] = -INFINITY;
	}
}

static double fold_f(ir_opkind k, double a, double v)
{
	switch (k) {
	case IR_OP_REDUCEMAX: return isnan(a) ? a : isnan(v) || v > a ? v : a;
	case IR_OP_REDUCEMIN: return isnan(a) ? a : isnan(v) || v < a ? v : a;
	case IR_OP_REDUCEPROD: return a * v;
	case IR_OP_REDUCEL1: return a + fabs(v);
	case IR_OP_REDUCEL2:
	case IR_OP_REDUCESUMSQUARE: return a + v * v;
	case IR_OP_REDUCELOGSUMEXP: return a + exp(v);
	default: return a + v;
	}
}

static int64_t fold_i(ir_opkind k, int64_t a, int64_t v)
{
	uint64_t ua = (uint64_t)a, uv = (uint64_t)v;
	switch (k) {
	case IR_OP_REDUCEMAX: return v > a ? v : a;
	case IR_OP_REDUCEMIN: return v < a ? v : a;
	case IR_OP_REDUCEPROD: return (int64_t)(ua * uv);
	case IR_OP_REDUCEL1: return (int64_t)(ua + (v < 0 ? 0 - uv : uv));
	case IR_OP_REDUCEL2:
	case IR_OP_REDUCESUMSQUARE: return (int64_t)(ua + uv * uv);
	default: return (int64_t)(ua + uv);
	}
}

/* The float result from the accumulated a. */
static double finish(ir_opkind k, double a, int64_t count, double shift)
{
	switch (k) {
	case IR_OP_REDUCEMEAN: return a / (double)count;
	case IR_OP_REDUCEL2: return sqrt(a);
	case IR_OP_REDUCELOGSUM: return log(a);
	case IR_OP_REDUCELOGSUMEXP: return log(a) + shift;
	default: return a;
	}
}

/* LogSumExp: the largest finite element per result (0 when none). */
static void find_shift(reducer *r, const interp_tensor *t, int64_t n, int64_t m)
{
	for (int64_t i = 0; i < n; i++) {
		double v = interp_get_f(t, i);
		int64_t j = result_of(r, &t->type, i);
		if (isfinite(v) && v > r->shift[j])
			r->shift[j] = v;
	}
	for (int64_t j = 0; j < m; j++)
		if (r->shift[j] == -INFINITY)
			r->shift[j] = 0;
}

static void reduce_store(const reducer *r, interp_tensor *y, int64_t j)
{
	bool real = r->k == IR_OP_REDUCEMEAN || r->k == IR_OP_REDUCEL2 || r->k == IR_OP_REDUCELOGSUM;
	if (!r->ints)
		interp_set_f(y, j, finish(r->k, r->f[j], r->count, r->shift[j]));
	else if (real)
		interp_set_f(y, j, finish(r->k, (double)r->i[j], r->count, 0));
	else
		interp_set_i(y, j, r->i[j]);
}

int interp_reduce(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *t = in[0];
	int64_t n = numel(&t->type), m = numel(&out[0].type);
	reducer r = {.k = op->kind};
	if (!reduce_mask(op, &t->type, &r)) {
		int64_t bytes;
		if (ir_type_bytes(&t->type, &bytes) == 0 && bytes > 0)
			memcpy(out[0].data, t->data, (size_t)bytes);
		return 0;
	}
	r.ints = !is_float(t) && r.k != IR_OP_REDUCELOGSUMEXP;
	r.f = ir_alloc_array(x->c, (size_t)m, sizeof *r.f);
	r.i = ir_alloc_array(x->c, (size_t)m, sizeof *r.i);
	r.shift = ir_alloc_array(x->c, (size_t)m, sizeof *r.shift);
	reduce_init(&r, t->type.dtype, m);
	if (r.k == IR_OP_REDUCELOGSUMEXP)
		find_shift(&r, t, n, m);
	for (int64_t i = 0; i < n; i++) {
		int64_t j = result_of(&r, &t->type, i);
		if (r.ints)
			r.i[j] = fold_i(r.k, r.i[j], interp_get_i(t, i));
		else
			r.f[j] = fold_f(r.k, r.f[j], interp_get_f(t, i) - (r.k == IR_OP_REDUCELOGSUMEXP ? r.shift[j] : 0));
	}
	for (int64_t j = 0; j < m; j++)
		reduce_store(&r, &out[0], j);
	return 0;
}

/* ---- argreduce ----------------------------------------------------------- */

static int cmp_i(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* > 0 when element a of t beats element b (ArgMax: greater; ArgMin:
** smaller; a NaN beats every number), 0 on a tie. */
static int beats(const interp_tensor *t, int64_t a, int64_t b, bool max)
{
	if (is_float(t)) {
		double va = interp_get_f(t, a), vb = interp_get_f(t, b);
		bool na = isnan(va), nb = isnan(vb);
		if (na || nb)
			return (int)na - (int)nb;
		return max ? (va > vb) - (va < vb) : (va < vb) - (va > vb);
	}
	int c = cmp_i(interp_get_i(t, a), interp_get_i(t, b));
	return max ? c : -c;
}

int interp_argreduce(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *t = in[0];
	bool max = op->kind == IR_OP_ARGMAX, last = ir_op_int(op, "select_last_index", 0) != 0;
	int64_t outer, n, inner;
	split(&t->type, get_axis(op, &t->type, 0), &outer, &n, &inner);
	if (n == 0 && outer * inner > 0)
		return ir_error(x->c, op->loc, "'%s' op: the reduced axis is empty", ir_op_name(op->kind));
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < inner; j++) {
			int64_t base = o * n * inner + j, best = 0;
			for (int64_t k = 1; k < n; k++) {
				int c = beats(t, base + k * inner, base + best * inner, max);
				if (c > 0 || (c == 0 && last))
					best = k;
			}
			interp_set_i(&out[0], o * inner + j, best);
		}
	return 0;
}

/* ---- cumsum -------------------------------------------------------------- */

/* y[at] = y[prev] + x[at] (exclusive: x[prev]); the first of a slice
** (first set) has no prev. */
static void cum_step(const interp_tensor *t, interp_tensor *y, int64_t at, int64_t prev, bool first,
		     bool excl)
{
	if (is_float(t)) {
		double acc = first ? 0 : interp_get_f(y, prev);
		double v = !excl ? interp_get_f(t, at) : first ? 0 : interp_get_f(t, prev);
		interp_set_f(y, at, acc + v);
		return;
	}
	uint64_t acc = first ? 0 : (uint64_t)interp_get_i(y, prev);
	uint64_t v = !excl ? (uint64_t)interp_get_i(t, at) : first ? 0 : (uint64_t)interp_get_i(t, prev);
	interp_set_i(y, at, (int64_t)(acc + v));
}

int interp_cumsum(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	bool excl = ir_op_int(op, "exclusive", 0) != 0, rev = ir_op_int(op, "reverse", 0) != 0;
	int64_t outer, n, inner;
	(void)x;
	split(&in[0]->type, get_axis(op, &in[0]->type, 0), &outer, &n, &inner);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < inner; j++)
			for (int64_t k = 0; k < n; k++) {
				int64_t base = o * n * inner + j, at = base + (rev ? n - 1 - k : k) * inner;
				int64_t prev = base + (rev ? n - k : k - 1) * inner;
				cum_step(in[0], &out[0], at, prev, k == 0, excl);
			}
	return 0;
}
