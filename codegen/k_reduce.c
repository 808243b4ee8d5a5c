/*
** k_reduce.c - the reduce family (ReduceMean ... ReduceLogSumExp), ArgMax
** and ArgMin, the softmax family (Softmax, LogSoftmax, Hardmax), and the
** folds of k_reduce.h they share with k_norm.c and k_pool.c.
**
** Semantics are the interpreter's (interp/k_reduce.c, interp/k_norm.c),
** except that float sums accumulate in f32: in KR_LANES independent lanes
** along contiguous runs, and in per-loop partial sums (blocked every
** KR_BLOCK steps) above them, so that the error grows with the loop trip
** counts rather than with the element count.  Integer reductions are exact
** (wrapping i64), and their non-integer results (Mean, L2, LogSum) are
** truncated toward zero as in the interpreter; Mean divides exactly.
**
** A reduction is specialized to the static shape: unit dims are dropped and
** neighbouring dims that are both reduced or both kept merge, leaving
** alternating groups.  When the innermost group is reduced, every result
** folds contiguous runs (vectorized along the run); when it is kept, the
** results along it are computed KR_LANES at a time, each lane folding its
** own strided elements, so that loads stay contiguous either way.
*/
#include <math.h>

#include "codegen/k_reduce.h"

/* Additive folds start a fresh partial sum every KR_BLOCK steps. */
#define KR_BLOCK 256

/* ---- folds ----------------------------------------------------------------- */

kr_fold kr_make(kr_kind kind, ir_dtype dt)
{
	bool flt = kind == KR_EXP || kind == KR_FINMAX;
	return (kr_fold){.kind = kind, .dt = dt, .ints = !ir_dtype_is_float(dt) && !flt};
}

bool kr_additive(kr_kind k)
{
	return k == KR_SUM || k == KR_ABS || k == KR_SQ || k == KR_EXP;
}

LLVMValueRef kr_madd(cg *g, LLVMValueRef off, LLVMValueRef i, int64_t k)
{
	if (k == 0)
		return off;
	LLVMValueRef p = k == 1 ? i : LLVMBuildNSWMul(g->b, i, cg_i64(g, k), "");
	return LLVMBuildNSWAdd(g->b, off, p, "");
}

LLVMValueRef kr_splat(cg *g, LLVMValueRef s, int lanes)
{
	if (lanes == 1 || LLVMGetTypeKind(LLVMTypeOf(s)) == LLVMVectorTypeKind)
		return s;
	LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), (unsigned)lanes);
	LLVMValueRef v = LLVMBuildInsertElement(g->b, LLVMGetPoison(vt), s, cg_i32(g, 0), "");
	LLVMValueRef mask = LLVMConstNull(LLVMVectorType(g->t_i32, (unsigned)lanes));
	return LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(vt), mask, "");
}

LLVMTypeRef kr_type(cg *g, const kr_fold *f, int lanes)
{
	if (f->ints)
		return g->t_i64;
	return lanes == 1 ? g->t_f32 : LLVMVectorType(g->t_f32, (unsigned)lanes);
}

/* The value range of an integer element type. */
static void int_range(ir_dtype dt, int64_t *lo, int64_t *hi)
{
	int bits = dt == IR_BOOL ? 1 : ir_dtype_bits(dt);
	if (dt == IR_U8 || dt == IR_BOOL) {
		*lo = 0;
		*hi = ((int64_t)1 << bits) - 1;
	} else if (bits >= 64) {
		*lo = INT64_MIN;
		*hi = INT64_MAX;
	} else {
		*lo = -((int64_t)1 << (bits - 1));
		*hi = ((int64_t)1 << (bits - 1)) - 1;
	}
}

LLVMValueRef kr_identity(cg *g, const kr_fold *f, int lanes)
{
	int64_t lo, hi;
	if (f->ints) {
		int_range(f->dt, &lo, &hi);
		int64_t v = f->kind == KR_MAX ? lo : f->kind == KR_MIN ? hi : f->kind == KR_PROD ? 1 : 0;
		return cg_i64(g, v);
	}
	float v = f->kind == KR_MAX || f->kind == KR_FINMAX ? -INFINITY
		: f->kind == KR_MIN ? INFINITY : f->kind == KR_PROD ? 1.0f : 0.0f;
	LLVMValueRef s = cg_f32(g, v);
	if (lanes == 1)
		return s;
	LLVMValueRef e[KR_LANES];
	for (int i = 0; i < lanes; i++)
		e[i] = s;
	return LLVMConstVector(e, (unsigned)lanes);
}

LLVMValueRef kr_var(cg *g, const kr_fold *f, int lanes)
{
	LLVMValueRef v = cg_var(g, kr_type(g, f, lanes), "acc");
	LLVMBuildStore(g->b, kr_identity(g, f, lanes), v);
	return v;
}

LLVMValueRef kr_load(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, int lanes)
{
	if (lanes == 1)
		return cg_load(g, dt, base, idx);
	LLVMValueRef v = LLVMBuildLoad2(g->b, LLVMVectorType(g->t_f32, (unsigned)lanes),
					cg_gep(g, IR_F32, base, idx), "");
	LLVMSetAlignment(v, 4);
	return v;
}

void kr_store(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v, int lanes)
{
	if (lanes == 1) {
		cg_store(g, dt, base, idx, v);
		return;
	}
	LLVMValueRef s = LLVMBuildStore(g->b, v, cg_gep(g, IR_F32, base, idx));
	LLVMSetAlignment(s, 4);
}

static LLVMValueRef int_step(cg *g, kr_kind k, LLVMValueRef a, LLVMValueRef x)
{
	LLVMBuilderRef b = g->b;
	switch (k) {
	case KR_ABS: {
		LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, x, cg_i64(g, 0), "");
		return LLVMBuildAdd(b, a, LLVMBuildSelect(b, neg, LLVMBuildNeg(b, x, ""), x, ""), "");
	}
	case KR_SQ: return LLVMBuildAdd(b, a, LLVMBuildMul(b, x, x, ""), "");
	case KR_PROD: return LLVMBuildMul(b, a, x, "");
	case KR_MAX: return cg_smax(g, a, x);
	case KR_MIN: return cg_smin(g, a, x);
	default: return LLVMBuildAdd(b, a, x, "");
	}
}

static int lanes_of(LLVMValueRef v)
{
	LLVMTypeRef t = LLVMTypeOf(v);
	return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? (int)LLVMGetVectorSize(t) : 1;
}

/* a folded with x (already converted and shifted; KR_EXP: already exp'd). */
static LLVMValueRef step(cg *g, const kr_fold *f, LLVMValueRef a, LLVMValueRef x)
{
	LLVMBuilderRef b = g->b;
	if (f->ints)
		return int_step(g, f->kind, a, x);
	switch (f->kind) {
	case KR_ABS: return LLVMBuildFAdd(b, a, cg_fabs(g, x), "");
	case KR_SQ: return cg_fma(g, x, x, a);
	case KR_PROD: return LLVMBuildFMul(b, a, x, "");
	case KR_MAX: return cg_fmax(g, a, x);
	case KR_MIN: return cg_fmin(g, a, x);
	case KR_FINMAX: {
		LLVMValueRef inf = kr_splat(g, cg_f32(g, INFINITY), lanes_of(x));
		LLVMValueRef fin = LLVMBuildFCmp(b, LLVMRealOLT, cg_fabs(g, x), inf, "");
		LLVMValueRef gt = LLVMBuildFCmp(b, LLVMRealOGT, x, a, "");
		return LLVMBuildSelect(b, LLVMBuildAnd(b, fin, gt, ""), x, a, "");
	}
	default: return LLVMBuildFAdd(b, a, x, "");
	}
}

LLVMValueRef kr_merge(cg *g, const kr_fold *f, LLVMValueRef a, LLVMValueRef b)
{
	switch (f->kind) {
	case KR_PROD:
	case KR_MAX:
	case KR_MIN: return step(g, f, a, b);
	case KR_FINMAX: return cg_fmax(g, a, b);
	default: return f->ints ? LLVMBuildAdd(g->b, a, b, "") : LLVMBuildFAdd(g->b, a, b, "");
	}
}

LLVMValueRef kr_hmerge(cg *g, const kr_fold *f, LLVMValueRef v, int lanes)
{
	LLVMValueRef idx[KR_LANES];
	for (int h = lanes / 2; h >= 1; h /= 2) {
		for (int i = 0; i < h; i++)
			idx[i] = cg_i32(g, i);
		LLVMValueRef lo = LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(LLVMTypeOf(v)),
							 LLVMConstVector(idx, (unsigned)h), "");
		for (int i = 0; i < h; i++)
			idx[i] = cg_i32(g, h + i);
		LLVMValueRef hi = LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(LLVMTypeOf(v)),
							 LLVMConstVector(idx, (unsigned)h), "");
		v = kr_merge(g, f, lo, hi);
	}
	return lanes == 1 ? v : LLVMBuildExtractElement(g->b, v, cg_i32(g, 0), "");
}

/* Fold count groups of lanes elements from base[off], step apart, into acc; no blocking. */
static void span_loop(cg *g, const kr_fold *f, LLVMValueRef acc, LLVMValueRef base, LLVMValueRef off,
		      int64_t count, int64_t stride, int lanes)
{
	if (count <= 0)
		return;
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, count, 1);
	LLVMValueRef idx = kr_madd(g, off, i, stride);
	LLVMValueRef x = kr_load(g, f->dt, base, idx, lanes);
	if (!f->ints && !ir_dtype_is_float(f->dt))
		x = cg_convert(g, x, f->dt, IR_F32);
	if (f->shift)
		x = LLVMBuildFSub(g->b, x, f->shift, "");
	if (f->kind == KR_EXP) {
		x = cg_exp(g, x);
		if (f->sink)
			kr_store(g, IR_F32, f->sink, idx, x, lanes);
	}
	LLVMValueRef a = LLVMBuildLoad2(g->b, kr_type(g, f, lanes), acc, "");
	LLVMBuildStore(g->b, step(g, f, a, x), acc);
	cg_endfor(g, &l);
}

void kr_span(cg *g, const kr_fold *f0, LLVMValueRef acc, LLVMValueRef base, LLVMValueRef off,
	     int64_t count, int64_t stride, int lanes)
{
	kr_fold f = *f0;
	if (f.shift)
		f.shift = kr_splat(g, f.shift, lanes);
	if (!kr_additive(f.kind) || count <= KR_BLOCK) {
		span_loop(g, &f, acc, base, off, count, stride, lanes);
		return;
	}
	int64_t nb = count / KR_BLOCK;
	LLVMTypeRef t = kr_type(g, &f, lanes);
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, nb, 1);
	LLVMValueRef part = kr_var(g, &f, lanes);
	span_loop(g, &f, part, base, kr_madd(g, off, i, KR_BLOCK * stride), KR_BLOCK, stride, lanes);
	LLVMValueRef sum = kr_merge(g, &f, LLVMBuildLoad2(g->b, t, acc, ""), LLVMBuildLoad2(g->b, t, part, ""));
	LLVMBuildStore(g->b, sum, acc);
	cg_endfor(g, &l);
	span_loop(g, &f, acc, base, kr_madd(g, off, cg_i64(g, nb), KR_BLOCK * stride), count % KR_BLOCK,
		  stride, lanes);
}

LLVMValueRef kr_run(cg *g, const kr_fold *f, LLVMValueRef base, LLVMValueRef off, int64_t n)
{
	LLVMValueRef acc = kr_var(g, f, 1);
	int64_t nv = f->dt == IR_F32 && !f->ints ? n / KR_LANES : 0;
	if (nv > 0) {
		LLVMValueRef v = kr_var(g, f, KR_LANES);
		kr_span(g, f, v, base, off, nv, KR_LANES, KR_LANES);
		LLVMValueRef lanes = LLVMBuildLoad2(g->b, kr_type(g, f, KR_LANES), v, "");
		LLVMBuildStore(g->b, kr_hmerge(g, f, lanes, KR_LANES), acc);
	}
	kr_span(g, f, acc, base, kr_madd(g, off, cg_i64(g, nv), KR_LANES), n - nv * KR_LANES, 1, 1);
	return LLVMBuildLoad2(g->b, kr_type(g, f, 1), acc, "");
}

/* Whether v beats the best bv so far (see kr_argbest), as an i1. */
static LLVMValueRef beats(cg *g, bool flt, LLVMValueRef v, LLVMValueRef bv, bool max, bool last)
{
	LLVMBuilderRef b = g->b;
	if (!flt)
		return LLVMBuildICmp(b, max ? (last ? LLVMIntSGE : LLVMIntSGT) : (last ? LLVMIntSLE : LLVMIntSLT),
				     v, bv, "");
	if (!last) {
		/* bv is a number and v is NaN or better. */
		LLVMValueRef num = LLVMBuildFCmp(b, LLVMRealORD, bv, bv, "");
		return LLVMBuildAnd(b, num, LLVMBuildFCmp(b, max ? LLVMRealUGT : LLVMRealULT, v, bv, ""), "");
	}
	/* Not beaten: bv is NaN and v a number, or v is worse. */
	LLVMValueRef nan_bv = LLVMBuildFCmp(b, LLVMRealUNO, bv, bv, "");
	LLVMValueRef num_v = LLVMBuildFCmp(b, LLVMRealORD, v, v, "");
	LLVMValueRef worse = LLVMBuildFCmp(b, max ? LLVMRealOLT : LLVMRealOGT, v, bv, "");
	return LLVMBuildNot(b, LLVMBuildOr(b, LLVMBuildAnd(b, nan_bv, num_v, ""), worse, ""), "");
}

LLVMValueRef kr_argbest(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef off, int64_t n,
			int64_t stride, bool max, bool last)
{
	LLVMTypeRef ct = cg_calc_type(g, dt);
	LLVMValueRef bi = cg_var(g, g->t_i64, "best"), bv = cg_var(g, ct, "bestv");
	LLVMBuildStore(g->b, cg_i64(g, 0), bi);
	LLVMBuildStore(g->b, cg_load(g, dt, base, off), bv);
	if (n > 1) {
		cg_loop l;
		LLVMValueRef k = cg_fori(g, &l, 1, n, 1);
		LLVMValueRef v = cg_load(g, dt, base, kr_madd(g, off, k, stride));
		LLVMValueRef old = LLVMBuildLoad2(g->b, ct, bv, "");
		LLVMValueRef take = beats(g, ir_dtype_is_float(dt), v, old, max, last);
		LLVMBuildStore(g->b, LLVMBuildSelect(g->b, take, v, old, ""), bv);
		LLVMBuildStore(g->b, LLVMBuildSelect(g->b, take, k, LLVMBuildLoad2(g->b, g->t_i64, bi, ""), ""), bi);
		cg_endfor(g, &l);
	}
	return LLVMBuildLoad2(g->b, g->t_i64, bi, "");
}

/* ---- reduce ------------------------------------------------------------------ */

typedef struct rgroup {
	int64_t n, in_stride, out_stride;
} rgroup;

typedef struct rplan {
	ir_opkind k;
	ir_dtype dt;
	kr_fold f;                  /* the accumulation */
	rgroup kept[IR_MAX_RANK + 1], red[IR_MAX_RANK + 1];
	int nk, nr;
	bool lane_kept;             /* the innermost group is kept: lanes across results */
	int64_t count;              /* elements per result */
	LLVMValueRef x, y;
} rplan;

static kr_kind reduce_kind(ir_opkind k)
{
	switch (k) {
	case IR_OP_REDUCEMAX: return KR_MAX;
	case IR_OP_REDUCEMIN: return KR_MIN;
	case IR_OP_REDUCEPROD: return KR_PROD;
	case IR_OP_REDUCEL1: return KR_ABS;
	case IR_OP_REDUCEL2:
	case IR_OP_REDUCESUMSQUARE: return KR_SQ;
	case IR_OP_REDUCELOGSUMEXP: return KR_EXP;
	default: return KR_SUM;
	}
}

/* The reduced dims of t into mask; false when the op is a no-op copy. */
static bool reduce_mask(const ir_op *op, const ir_type *t, bool *mask)
{
	const ir_attr *a = ir_op_attr(op, "axes");
	bool all = !a || a->kind != IR_ATTR_INTS || a->n == 0;
	if (all && ir_op_int(op, "noop_with_empty_axes", 0))
		return false;
	for (int d = 0; d < t->rank; d++)
		mask[d] = all;
	for (int32_t j = 0; !all && j < a->n; j++)
		mask[a->u.ints[j] < 0 ? a->u.ints[j] + t->rank : a->u.ints[j]] = true;
	return true;
}

/* Unit dims dropped, neighbours of one kind merged, into p's groups. */
static void reduce_groups(const ir_type *t, const bool *mask, rplan *p)
{
	int64_t st[IR_MAX_RANK];
	rgroup gr[IR_MAX_RANK + 1];
	bool red[IR_MAX_RANK + 1];
	int n = 0;
	cg_strides(t, st);
	for (int d = 0; d < t->rank; d++) {
		if (t->dims[d] == 1)
			continue;
		if (n > 0 && red[n - 1] == mask[d]) {
			gr[n - 1].n *= t->dims[d];
			gr[n - 1].in_stride = st[d];
			continue;
		}
		gr[n] = (rgroup){t->dims[d], st[d], 0};
		red[n++] = mask[d];
	}
	p->lane_kept = n > 0 && !red[n - 1];
	p->count = 1;
	for (int i = 0; i < n; i++) {
		if (red[i]) {
			p->count *= gr[i].n;
			p->red[p->nr++] = gr[i];
		} else {
			p->kept[p->nk++] = gr[i];
		}
	}
	if (p->nr == 0)
		p->red[p->nr++] = (rgroup){1, 1, 0};  /* every reduced dim is a unit dim */
	for (int64_t i = p->nk - 1, s = 1; i >= 0; i--) {
		p->kept[i].out_stride = s;
		s *= p->kept[i].n;
	}
}

/* Fold the reduced groups level.. of the result tile at off into acc.  In
** the innermost group lanes run across results (p->lane_kept) or the run
** is contiguous. */
static void fold_nest(cg *g, const rplan *p, const kr_fold *f, int level, LLVMValueRef acc,
		      LLVMValueRef off, int lanes)
{
	const rgroup *r = &p->red[level];
	LLVMTypeRef t = kr_type(g, f, lanes);
	if (level == p->nr - 1 && p->lane_kept) {
		kr_span(g, f, acc, p->x, off, r->n, r->in_stride, lanes);
		return;
	}
	if (level == p->nr - 1) {
		LLVMValueRef part = kr_run(g, f, p->x, off, r->n);
		LLVMBuildStore(g->b, kr_merge(g, f, LLVMBuildLoad2(g->b, t, acc, ""), part), acc);
		return;
	}
	bool partial = kr_additive(f->kind);
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, r->n, 1);
	LLVMValueRef sub = partial ? kr_var(g, f, lanes) : acc;
	fold_nest(g, p, f, level + 1, sub, kr_madd(g, off, i, r->in_stride), lanes);
	if (partial) {
		LLVMValueRef m = kr_merge(g, f, LLVMBuildLoad2(g->b, t, acc, ""), LLVMBuildLoad2(g->b, t, sub, ""));
		LLVMBuildStore(g->b, m, acc);
	}
	cg_endfor(g, &l);
}

/* Integer Mean: the wrapped sum divided exactly, truncating toward zero
** (i32 division when the sum fits, since i64 division can be a library
** call on 32-bit targets). */
static LLVMValueRef int_mean(cg *g, const rplan *p, LLVMValueRef sum)
{
	LLVMBuilderRef b = g->b;
	if ((p->count & (p->count - 1)) == 0) {
		int sh = 0;
		while (((int64_t)1 << sh) < p->count)
			sh++;
		LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, sum, cg_i64(g, 0), "");
		LLVMValueRef bias = LLVMBuildSelect(b, neg, cg_i64(g, p->count - 1), cg_i64(g, 0), "");
		return LLVMBuildAShr(b, LLVMBuildAdd(b, sum, bias, ""), cg_i64(g, sh), "");
	}
	if (ir_dtype_bits(p->dt) <= 16 && p->count < (1 << 14)) {
		LLVMValueRef q = LLVMBuildSDiv(b, LLVMBuildTrunc(b, sum, g->t_i32, ""), cg_i32(g, (int32_t)p->count), "");
		return LLVMBuildSExt(b, q, g->t_i64, "");
	}
	return LLVMBuildSDiv(b, sum, cg_i64(g, p->count), "");
}

/* The float result of the accumulation a (lanes wide). */
static LLVMValueRef finish_f(cg *g, const rplan *p, const kr_fold *f, LLVMValueRef a, int lanes)
{
	switch (p->k) {
	case IR_OP_REDUCEMEAN: return LLVMBuildFDiv(g->b, a, kr_splat(g, cg_f32(g, (float)p->count), lanes), "");
	case IR_OP_REDUCEL2: return cg_sqrt(g, a);
	case IR_OP_REDUCELOGSUM: return cg_log(g, a);
	case IR_OP_REDUCELOGSUMEXP: return LLVMBuildFAdd(g->b, cg_log(g, a), f->shift, "");
	default: return a;
	}
}

/* The result in the compute type of the element type. */
static LLVMValueRef finish(cg *g, const rplan *p, const kr_fold *f, LLVMValueRef a, int lanes)
{
	bool real = p->k == IR_OP_REDUCEMEAN || p->k == IR_OP_REDUCEL2 || p->k == IR_OP_REDUCELOGSUM;
	if (!f->ints && ir_dtype_is_float(p->dt))
		return finish_f(g, p, f, a, lanes);
	if (!f->ints)   /* LogSumExp of integers */
		return cg_convert(g, finish_f(g, p, f, a, lanes), IR_F32, p->dt);
	if (!real)
		return a;
	if (p->k == IR_OP_REDUCEMEAN && p->count > 0)
		return int_mean(g, p, a);
	return cg_convert(g, finish_f(g, p, f, cg_convert(g, a, IR_I64, IR_F32), lanes), IR_F32, p->dt);
}

/* lanes results from out[out_off] over their elements from x[in_off]. */
static void result_tile(cg *g, const rplan *p, LLVMValueRef in_off, LLVMValueRef out_off, int lanes)
{
	kr_fold f = p->f;
	if (p->k == IR_OP_REDUCELOGSUMEXP) {
		/* Shift by the largest finite element (0 when none) for range. */
		kr_fold fm = kr_make(KR_FINMAX, p->dt);
		LLVMValueRef m = kr_var(g, &fm, lanes);
		fold_nest(g, p, &fm, 0, m, in_off, lanes);
		LLVMValueRef s = LLVMBuildLoad2(g->b, kr_type(g, &fm, lanes), m, "");
		LLVMValueRef none = LLVMBuildFCmp(g->b, LLVMRealOEQ, s, kr_identity(g, &fm, lanes), "");
		f.shift = LLVMBuildSelect(g->b, none, kr_splat(g, cg_f32(g, 0), lanes), s, "");
	}
	LLVMValueRef acc = kr_var(g, &f, lanes);
	fold_nest(g, p, &f, 0, acc, in_off, lanes);
	LLVMValueRef a = LLVMBuildLoad2(g->b, kr_type(g, &f, lanes), acc, "");
	kr_store(g, p->dt, p->y, out_off, finish(g, p, &f, a, lanes), lanes);
}

/* The results along the innermost (kept, contiguous) group: KR_LANES at a
** time for f32, then one by one. */
static void lane_tiles(cg *g, const rplan *p, LLVMValueRef in_off, LLVMValueRef out_off)
{
	int64_t n = p->kept[p->nk - 1].n;
	int64_t nv = p->dt == IR_F32 ? n / KR_LANES : 0;
	cg_loop l;
	if (nv > 0) {
		LLVMValueRef t = cg_fori(g, &l, 0, nv, 1);
		result_tile(g, p, kr_madd(g, in_off, t, KR_LANES), kr_madd(g, out_off, t, KR_LANES), KR_LANES);
		cg_endfor(g, &l);
	}
	if (nv * KR_LANES < n) {
		LLVMValueRef t = cg_fori(g, &l, nv * KR_LANES, n, 1);
		result_tile(g, p, kr_madd(g, in_off, t, 1), kr_madd(g, out_off, t, 1), 1);
		cg_endfor(g, &l);
	}
}

static void emit_results(cg *g, const rplan *p, int gi, LLVMValueRef in_off, LLVMValueRef out_off)
{
	if (gi == p->nk - (p->lane_kept ? 1 : 0)) {
		if (p->lane_kept)
			lane_tiles(g, p, in_off, out_off);
		else
			result_tile(g, p, in_off, out_off, 1);
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, p->kept[gi].n, 1);
	emit_results(g, p, gi + 1, kr_madd(g, in_off, i, p->kept[gi].in_stride),
		     kr_madd(g, out_off, i, p->kept[gi].out_stride));
	cg_endfor(g, &l);
}

int cg_k_reduce(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	bool mask[IR_MAX_RANK];
	int64_t bytes = 0;
	if (!reduce_mask(op, t, mask)) {
		ir_type_bytes(t, &bytes);
		cg_memcpy(g, out[0].ptr, in[0].ptr, bytes);
		return 0;
	}
	if (t->dtype == IR_BOOL)
		return cg_unsupported(g, op, "element type bool");
	rplan p = {.k = op->kind, .dt = t->dtype, .x = in[0].ptr, .y = out[0].ptr};
	p.f = kr_make(reduce_kind(op->kind), t->dtype);
	reduce_groups(t, mask, &p);
	if (cg_numel(out[0].type) == 0)
		return 0;
	g->macs += cg_numel(t);
	emit_results(g, &p, 0, cg_i64(g, 0), cg_i64(g, 0));
	return 0;
}

/* ---- argreduce ----------------------------------------------------------------- */

/* t as [outer, n, inner] around axis. */
static void split_axis(const ir_type *t, int axis, int64_t *outer, int64_t *n, int64_t *inner)
{
	*outer = *inner = 1;
	for (int d = 0; d < axis; d++)
		*outer *= t->dims[d];
	*n = t->dims[axis];
	for (int d = axis + 1; d < t->rank; d++)
		*inner *= t->dims[d];
}

static int get_axis(const ir_op *op, const ir_type *t, int64_t dflt)
{
	int64_t a = ir_op_int(op, "axis", dflt);
	return (int)(a < 0 ? a + t->rank : a);
}

int cg_k_argreduce(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	bool max = op->kind == IR_OP_ARGMAX, last = ir_op_int(op, "select_last_index", 0) != 0;
	int64_t outer, n, inner;
	if (t->dtype == IR_BOOL)
		return cg_unsupported(g, op, "element type bool");
	split_axis(t, get_axis(op, t, 0), &outer, &n, &inner);
	if (outer * inner == 0)
		return 0;
	if (n == 0)
		return cg_unsupported(g, op, "an empty reduced axis");
	g->macs += cg_numel(t);
	cg_loop lo, lj;
	LLVMValueRef o = cg_fori(g, &lo, 0, outer, 1);
	LLVMValueRef j = cg_fori(g, &lj, 0, inner, 1);
	LLVMValueRef best = kr_argbest(g, t->dtype, in[0].ptr, kr_madd(g, j, o, n * inner), n, inner,
				       max, last);
	cg_store(g, IR_I64, out[0].ptr, kr_madd(g, j, o, inner), best);
	cg_endfor(g, &lj);
	cg_endfor(g, &lo);
	return 0;
}

/* ---- softmax ------------------------------------------------------------------- */

/* Slices of n elements inner apart; a slice is folded along a contiguous
** run (inner == 1) or lanes slices side by side (inner > 1). */
typedef struct smax {
	ir_opkind k;
	ir_dtype dt;
	LLVMValueRef x, y;
	int64_t outer, n, inner;
	bool sink;    /* Softmax over f32: the exps go to y, then are scaled */
} smax;

static LLVMValueRef slice_fold(cg *g, const smax *s, const kr_fold *f, LLVMValueRef off, int lanes)
{
	if (s->inner == 1)
		return kr_run(g, f, s->x, off, s->n);
	LLVMValueRef acc = kr_var(g, f, lanes);
	kr_span(g, f, acc, s->x, off, s->n, s->inner, lanes);
	return LLVMBuildLoad2(g->b, kr_type(g, f, lanes), acc, "");
}

/* y[idx] from the slice's max m and t (sum of exps; its log for LogSoftmax). */
static void softmax_one(cg *g, const smax *s, LLVMValueRef idx, LLVMValueRef m, LLVMValueRef t, int lanes)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef v;
	m = kr_splat(g, m, lanes);
	t = kr_splat(g, t, lanes);
	if (s->sink) {
		v = LLVMBuildFDiv(b, kr_load(g, IR_F32, s->y, idx, lanes), t, "");
	} else {
		LLVMValueRef d = LLVMBuildFSub(b, kr_load(g, s->dt, s->x, idx, lanes), m, "");
		v = s->k == IR_OP_LOGSOFTMAX ? LLVMBuildFSub(b, d, t, "") : LLVMBuildFDiv(b, cg_exp(g, d), t, "");
	}
	kr_store(g, s->dt, s->y, idx, v, lanes);
}

/* softmax_one over the slice at off: vectorized along a contiguous run. */
static void slice_map(cg *g, const smax *s, LLVMValueRef off, LLVMValueRef m, LLVMValueRef t, int lanes)
{
	int64_t nv = s->inner == 1 && s->dt == IR_F32 ? s->n / KR_LANES : 0;
	int64_t step = s->inner == 1 ? 1 : s->inner;
	cg_loop l;
	if (nv > 0) {
		LLVMValueRef c = cg_fori(g, &l, 0, nv, 1);
		softmax_one(g, s, kr_madd(g, off, c, KR_LANES), m, t, KR_LANES);
		cg_endfor(g, &l);
	}
	if (nv * KR_LANES < s->n) {
		LLVMValueRef k = cg_fori(g, &l, nv * KR_LANES, s->n, 1);
		softmax_one(g, s, kr_madd(g, off, k, step), m, t, lanes);
		cg_endfor(g, &l);
	}
}

static void hardmax_slice(cg *g, const smax *s, LLVMValueRef off)
{
	LLVMValueRef best = kr_argbest(g, s->dt, s->x, off, s->n, s->inner, true, false);
	cg_loop l;
	LLVMValueRef k = cg_fori(g, &l, 0, s->n, 1);
	LLVMValueRef hit = LLVMBuildICmp(g->b, LLVMIntEQ, k, best, "");
	cg_store(g, s->dt, s->y, kr_madd(g, off, k, s->inner),
		 LLVMBuildSelect(g->b, hit, cg_f32(g, 1), cg_f32(g, 0), ""));
	cg_endfor(g, &l);
}

/* One slice (lanes slices side by side when inner > 1): max, the sum of
** exp(x - max) (the exps kept in y when they are exact there), output. */
static void softmax_slice(cg *g, const smax *s, LLVMValueRef off, int lanes)
{
	if (s->k == IR_OP_HARDMAX) {
		hardmax_slice(g, s, off);
		return;
	}
	kr_fold f = kr_make(KR_MAX, s->dt);
	LLVMValueRef m = slice_fold(g, s, &f, off, lanes);
	f = kr_make(KR_EXP, s->dt);
	f.shift = m;
	f.sink = s->sink ? s->y : NULL;
	LLVMValueRef t = slice_fold(g, s, &f, off, lanes);
	if (s->k == IR_OP_LOGSOFTMAX)
		t = cg_log(g, t);
	slice_map(g, s, off, m, t, lanes);
}

int cg_k_softmax(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	smax s = {.k = op->kind, .dt = t->dtype, .x = in[0].ptr, .y = out[0].ptr};
	split_axis(t, get_axis(op, t, -1), &s.outer, &s.n, &s.inner);
	s.sink = s.k == IR_OP_SOFTMAX && s.dt == IR_F32;
	if (cg_numel(t) == 0)
		return 0;
	g->macs += cg_numel(t);
	int64_t nv = s.inner > 1 && s.dt == IR_F32 && s.k != IR_OP_HARDMAX ? s.inner / KR_LANES : 0;
	cg_loop lo, lj;
	LLVMValueRef o = cg_fori(g, &lo, 0, s.outer, 1);
	LLVMValueRef base = kr_madd(g, cg_i64(g, 0), o, s.n * s.inner);
	if (nv > 0) {
		LLVMValueRef j = cg_fori(g, &lj, 0, nv, 1);
		softmax_slice(g, &s, kr_madd(g, base, j, KR_LANES), KR_LANES);
		cg_endfor(g, &lj);
	}
	if (nv * KR_LANES < s.inner) {
		LLVMValueRef j = cg_fori(g, &lj, nv * KR_LANES, s.inner, 1);
		softmax_slice(g, &s, kr_madd(g, base, j, 1), 1);
		cg_endfor(g, &lj);
	}
	cg_endfor(g, &lo);
	return 0;
}
