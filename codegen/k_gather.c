/*
** k_gather.c - kernels of the gather family (Gather, GatherElements) and of
** Pad, over the copies of k_shape.h.
**
** Indices: negative ones count from the end, as in the interpreter.
** Constant indices are checked and normalized at compile time (one out of
** range is a compile-time error, the interpreter's error of every run);
** Gather then copies each run of consecutive indices as one view.  Indices
** known only at run time cannot report an error from inside a kernel: an
** index out of [-dim, dim) is clamped into [0, dim-1] after the wrap, so
** compiled code never reads outside its operand (where the interpreter
** fails, the result is the nearest edge slice).
*/
#include <inttypes.h>
#include <string.h>

#include "codegen/k_shape.h"

static int norm_axis(int64_t axis, int rank)
{
	return (int)(axis < 0 ? axis + rank : axis);
}

/* The n constant indices of ind made non-negative for a dim of size dim
** into k[]; -1 after a diagnostic for one out of range. */
static int const_indices(cg *g, const ir_op *op, const cg_buf *ind, int64_t n, int64_t dim, int64_t *k)
{
	bool wide = ind->type->dtype == IR_I64;
	for (int64_t i = 0; i < n; i++) {
		int64_t v;
		if (wide) {
			memcpy(&v, ind->konst->data + i * 8, 8);
		} else {
			int32_t v32;
			memcpy(&v32, ind->konst->data + i * 4, 4);
			v = v32;
		}
		if (v < -dim || v >= dim)
			return ir_error(g->c, op->loc, "'%s' op: index %" PRId64 " is out of range for a dim "
					"of size %" PRId64, ir_op_name(op->kind), v, dim);
		k[i] = v < 0 ? v + dim : v;
	}
	return 0;
}

/* Index i of a run-time index operand, wrapped and clamped into [0, dim). */
static LLVMValueRef runtime_index(cg *g, const cg_buf *ind, LLVMValueRef i, int64_t dim)
{
	LLVMValueRef v = cg_load(g, ind->type->dtype, ind->ptr, i);
	LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, v, cg_i64(g, 0), "");
	v = cg_select(g, neg, LLVMBuildAdd(g->b, v, cg_i64(g, dim), ""), v);
	return cg_smin(g, cg_smax(g, v, cg_i64(g, 0)), cg_i64(g, dim - 1));
}

/* The indices as something the kernels index at run time: a normalized
** constant table, or the operand itself (wrapped and clamped per element). */
typedef struct indices {
	const cg_buf *ind;
	kv_table tab;
	bool konst;
	int64_t dim;
} indices;

static int get_indices(cg *g, const ir_op *op, const cg_buf *ind, int64_t dim, indices *ix, int64_t **kout)
{
	int64_t n = cg_numel(ind->type);
	*ix = (indices){.ind = ind, .konst = ind->konst != NULL, .dim = dim};
	if (!ix->konst)
		return 0;
	int64_t *k = ir_alloc_array(g->c, (size_t)(n ? n : 1), sizeof *k);
	if (const_indices(g, op, ind, n, dim, k) < 0)
		return -1;
	if (kout)
		*kout = k;
	ix->tab = kv_make_table(g, k, n, "idx");
	return 0;
}

static LLVMValueRef index_at(cg *g, const indices *ix, LLVMValueRef i)
{
	return ix->konst ? kv_table_load(g, ix->tab, i) : runtime_index(g, ix->ind, i, ix->dim);
}

/* ---- Gather ------------------------------------------------------------------ */

enum { MAX_RUNS = 16 };

/* Constant indices in at most MAX_RUNS runs of consecutive values: one
** view per run, y[o, j0..j0+len, :] = x[o, k0..k0+len, :].  False when
** there are more runs. */
static bool gather_runs(cg *g, const cg_buf *in, const cg_buf *out, const int64_t *k, int64_t ni,
			int64_t outer, int64_t dim, int64_t inner)
{
	int64_t runs = 0;
	for (int64_t j = 0; j < ni; j++)
		runs += j == 0 || k[j] != k[j - 1] + 1;
	if (runs > MAX_RUNS)
		return false;
	for (int64_t j0 = 0, j; j0 < ni; j0 = j) {
		for (j = j0 + 1; j < ni && k[j] == k[j - 1] + 1; j++)
			;
		kview v = {.rank = 2, .dims = {outer, (j - j0) * inner}, .ds = {ni * inner, 1},
			   .ss = {dim * inner, 1}, .d0 = j0 * inner, .s0 = k[j0] * inner};
		kv_emit(g, in[0].type->dtype, out[0].ptr, in[0].ptr, &v);
	}
	return true;
}

/* y[o, j, :] = x[o, indices[j], :] */
static int gather(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	ir_dtype dt = t->dtype;
	int axis = norm_axis(ir_op_int(op, "axis", 0), t->rank);
	int64_t outer = 1, inner = 1, dim = t->dims[axis], ni = cg_numel(in[1].type), *k = NULL;
	indices ix;
	for (int d = 0; d < t->rank; d++)
		if (d != axis)
			*(d < axis ? &outer : &inner) *= t->dims[d];
	if (cg_numel(out[0].type) == 0)
		return 0;
	if (get_indices(g, op, &in[1], dim, &ix, &k) < 0)
		return -1;
	if (k && gather_runs(g, in, out, k, ni, outer, dim, inner))
		return 0;
	cg_loop lo, lj;
	LLVMValueRef o = cg_fori(g, &lo, 0, outer, 1);
	LLVMValueRef j = cg_fori(g, &lj, 0, ni, 1);
	LLVMValueRef src = kv_madd(g, kv_madd(g, cg_i64(g, 0), o, dim), index_at(g, &ix, j), 1);
	LLVMValueRef dst = kv_madd(g, kv_madd(g, cg_i64(g, 0), o, ni), j, 1);
	kv_copy(g, dt, out[0].ptr, kv_madd(g, cg_i64(g, 0), dst, inner), in[0].ptr,
		kv_madd(g, cg_i64(g, 0), src, inner), inner);
	cg_endfor(g, &lj);
	cg_endfor(g, &lo);
	return 0;
}

/* ---- GatherElements -------------------------------------------------------------- */

typedef struct ge_job {
	const ir_type *it;        /* the indices' type, also the result's dims */
	int axis;
	int64_t is[IR_MAX_RANK];  /* x's strides */
	indices ix;
	ir_dtype dt;
	LLVMValueRef dst, src;
} ge_job;

/* Loops over the indices' dims from d; e is the element's offset in the
** indices and the result, s its source offset without the axis term. */
static void ge_loops(cg *g, const ge_job *j, int d, LLVMValueRef e, LLVMValueRef s)
{
	if (d == j->it->rank) {
		LLVMValueRef k = index_at(g, &j->ix, e);
		kv_copy(g, j->dt, j->dst, e, j->src, kv_madd(g, s, k, j->is[j->axis]), 1);
		return;
	}
	int64_t es = 1;
	for (int i = d + 1; i < j->it->rank; i++)
		es *= j->it->dims[i];
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, j->it->dims[d], 1);
	ge_loops(g, j, d + 1, kv_madd(g, e, i, es), kv_madd(g, s, i, d == j->axis ? 0 : j->is[d]));
	cg_endfor(g, &l);
}

/* y[i] = x[i with its index along axis replaced by indices[i]] */
static int gather_elements(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	ge_job j = {.it = in[1].type, .axis = norm_axis(ir_op_int(op, "axis", 0), t->rank),
		    .dt = t->dtype, .dst = out[0].ptr, .src = in[0].ptr};
	cg_strides(t, j.is);
	if (cg_numel(j.it) == 0)
		return 0;
	if (get_indices(g, op, &in[1], t->dims[j.axis], &j.ix, NULL) < 0)
		return -1;
	ge_loops(g, &j, 0, cg_i64(g, 0), cg_i64(g, 0));
	return 0;
}

int cg_k_gather(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	if (op->kind == IR_OP_GATHERELEMENTS)
		return gather_elements(g, op, in, out);
	return gather(g, op, in, out);
}

/* ---- Pad -------------------------------------------------------------------------- */

enum { PAD_CONSTANT, PAD_EDGE, PAD_REFLECT };

/* Source index of padded index p along a dim of size n, or -1 for the
** constant (the interpreter's map: numpy's edge and reflect). */
static int64_t pad_source(int64_t p, int64_t n, int mode)
{
	if (p >= 0 && p < n)
		return p;
	if (mode == PAD_CONSTANT)
		return -1;
	if (mode == PAD_EDGE)
		return p < 0 ? 0 : n - 1;
	if (n == 1)
		return 0;
	int64_t per = 2 * (n - 1), q = p % per;
	q = q < 0 ? q + per : q;
	return q < n ? q : per - q;
}

/*
** Per dim: the result's rows [lo, hi) come from source rows lo-b.. (the
** interior); rows before and after are constant, or copies of the source
** rows in map (edge, reflect).  The dims after 'last' are not padded, so
** each row of dim 'last' is a contiguous block of both tensors.
*/
typedef struct pad_job {
	ir_dtype dt;
	int mode, last;
	int64_t block;                    /* elements per row of dim last */
	int64_t lo[IR_MAX_RANK], hi[IR_MAX_RANK], b[IR_MAX_RANK], n[IR_MAX_RANK];
	int64_t os[IR_MAX_RANK], is[IR_MAX_RANK];
	kv_table map[IR_MAX_RANK];        /* edge, reflect: source row of each result row */
	kv_value fill;
	LLVMValueRef dst, src;
} pad_job;

static void pad_level(cg *g, const pad_job *j, int d, LLVMValueRef doff, LLVMValueRef soff);

/* Result rows [from, to) of dim d taken from the source rows of the map. */
static void pad_mapped(cg *g, const pad_job *j, int d, int64_t from, int64_t to, LLVMValueRef doff,
		       LLVMValueRef soff)
{
	if (from >= to)
		return;
	cg_loop l;
	LLVMValueRef o = cg_fori(g, &l, from, to, 1);
	LLVMValueRef dr = kv_madd(g, doff, o, j->os[d]);
	LLVMValueRef sr = kv_madd(g, soff, kv_table_load(g, j->map[d], o), j->is[d]);
	if (d == j->last)
		kv_copy(g, j->dt, j->dst, dr, j->src, sr, j->block);
	else
		pad_level(g, j, d + 1, dr, sr);
	cg_endfor(g, &l);
}

/* Result rows [from, to) of dim d outside the interior. */
static void pad_border(cg *g, const pad_job *j, int d, int64_t from, int64_t to, LLVMValueRef doff,
		       LLVMValueRef soff)
{
	if (j->mode == PAD_CONSTANT)
		kv_fill(g, j->dt, j->dst, kv_madd(g, doff, cg_i64(g, from), j->os[d]), (to - from) * j->os[d], j->fill);
	else
		pad_mapped(g, j, d, from, to, doff, soff);
}

static void pad_level(cg *g, const pad_job *j, int d, LLVMValueRef doff, LLVMValueRef soff)
{
	int64_t lo = j->lo[d], hi = j->hi[d];
	if (j->mode != PAD_CONSTANT && d < j->last && (lo > 0 || hi < j->n[d])) {
		/* One loop through the map, not three copies of the dims below. */
		pad_mapped(g, j, d, 0, j->n[d], doff, soff);
		return;
	}
	pad_border(g, j, d, 0, lo, doff, soff);
	if (d == j->last) {
		kv_copy(g, j->dt, j->dst, kv_madd(g, doff, cg_i64(g, lo), j->os[d]), j->src,
			kv_madd(g, soff, cg_i64(g, lo - j->b[d]), j->is[d]), (hi - lo) * j->block);
	} else if (hi > lo) {
		cg_loop l;
		LLVMValueRef o = cg_fori(g, &l, lo, hi, 1);
		LLVMValueRef s = LLVMBuildNSWSub(g->b, o, cg_i64(g, j->b[d]), "");
		pad_level(g, j, d + 1, kv_madd(g, doff, o, j->os[d]), kv_madd(g, soff, s, j->is[d]));
		cg_endfor(g, &l);
	}
	pad_border(g, j, d, hi, j->n[d], doff, soff);
}

/* The result's interior rows along dim d and, for edge and reflect, the map. */
static void pad_dim(cg *g, pad_job *j, const ir_type *t, const ir_type *y, const int64_t *pads, int d)
{
	int64_t b = pads[d], n = y->dims[d], in = t->dims[d];
	int64_t lo = b < 0 ? 0 : b > n ? n : b, hi = b + in;
	hi = hi < lo ? lo : hi > n ? n : hi;
	j->lo[d] = lo;
	j->hi[d] = hi;
	j->b[d] = b;
	j->n[d] = n;
	if (j->mode == PAD_CONSTANT || (lo == 0 && hi == n))
		return;
	int64_t *m = ir_alloc_array(g->c, (size_t)n, sizeof *m);
	for (int64_t o = 0; o < n; o++)
		m[o] = pad_source(o - b, in, j->mode);
	j->map[d] = kv_make_table(g, m, n, "padmap");
}

/*
** Pad: each result element is written once; the interior is copied in
** contiguous runs (whole blocks of unpadded trailing dims), constant
** borders are memset or stored, edge and reflect borders copy the source
** rows their map names.
*/
int cg_k_pad(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type, *y = out[0].type;
	const char *ms = ir_op_str(op, "mode", "constant");
	const ir_attr *pa = ir_op_attr(op, "pads");
	pad_job j = {.dt = t->dtype, .dst = out[0].ptr, .src = in[0].ptr, .block = 1,
		     .mode = !strcmp(ms, "edge") ? PAD_EDGE : !strcmp(ms, "reflect") ? PAD_REFLECT : PAD_CONSTANT};
	if (cg_numel(y) == 0)
		return 0;
	if (t->rank == 0) {
		kv_copy(g, j.dt, j.dst, cg_i64(g, 0), j.src, cg_i64(g, 0), 1);
		return 0;
	}
	j.fill = op->n_in > 1 && in[1].ptr ? kv_scalar(g, j.dt, &in[1]) : kv_zero(g, j.dt);
	cg_strides(y, j.os);
	cg_strides(t, j.is);
	j.last = 0;
	for (int d = 0; d < t->rank; d++)
		if (pa->u.ints[d] != 0 || pa->u.ints[t->rank + d] != 0)
			j.last = d;
	for (int d = j.last + 1; d < t->rank; d++)
		j.block *= t->dims[d];
	for (int d = 0; d <= j.last; d++)
		pad_dim(g, &j, t, y, pa->u.ints, d);
	pad_level(g, &j, 0, cg_i64(g, 0), cg_i64(g, 0));
	return 0;
}
