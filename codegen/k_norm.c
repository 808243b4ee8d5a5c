/*
** k_norm.c - the norm family: BatchNormalization (inference mode),
** InstanceNormalization and LayerNormalization.
**
** As in the interpreter (interp/k_norm.c), y = (x - mean) * scale /
** sqrt(var + epsilon) + B, with the mean and the population variance of
** each instance plane or layer row computed in two passes (mean first, then
** the squared deviations from it); here in f32 with the vector folds of
** k_reduce.h, and with scale/sqrt(var + epsilon) formed once per channel or
** row.  LayerNormalization's scale and B broadcast to the normalized dims;
** its optional results receive each row's mean and 1/sqrt(var + epsilon).
*/
#include "codegen/k_reduce.h"

static LLVMValueRef load_buf(cg *g, const cg_buf *b, LLVMValueRef idx)
{
	return cg_load(g, b->type->dtype, b->ptr, idx);
}

/* scale / sqrt(var + eps) */
static LLVMValueRef norm_factor(cg *g, LLVMValueRef scale, LLVMValueRef var, float eps)
{
	LLVMValueRef sd = cg_sqrt(g, LLVMBuildFAdd(g->b, var, cg_f32(g, eps), ""));
	return LLVMBuildFDiv(g->b, scale, sd, "");
}

/* y = (x - mean) * a + b over the n elements from off. */
static void apply_run(cg *g, const cg_buf *x, const cg_buf *y, LLVMValueRef off, int64_t n,
		      LLVMValueRef mean, LLVMValueRef a, LLVMValueRef b)
{
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	LLVMValueRef idx = kr_madd(g, off, i, 1);
	LLVMValueRef d = LLVMBuildFSub(g->b, load_buf(g, x, idx), mean, "");
	cg_store(g, y->type->dtype, y->ptr, idx, cg_fma(g, d, a, b));
	cg_endfor(g, &l);
}

/* Mean and population variance of the n elements of x from off. */
static void moments(cg *g, const cg_buf *x, LLVMValueRef off, int64_t n, LLVMValueRef *mean,
		    LLVMValueRef *var)
{
	LLVMValueRef cnt = cg_f32(g, (float)n);
	kr_fold f = kr_make(KR_SUM, x->type->dtype);
	*mean = LLVMBuildFDiv(g->b, kr_run(g, &f, x->ptr, off, n), cnt, "");
	f = kr_make(KR_SQ, x->type->dtype);
	f.shift = *mean;
	*var = LLVMBuildFDiv(g->b, kr_run(g, &f, x->ptr, off, n), cnt, "");
}

/* X as [outer, C, inner]: per channel (dim 1) parameters. */
static void channels(const ir_type *t, int64_t *outer, int64_t *c, int64_t *inner)
{
	*outer = t->dims[0];
	*c = t->dims[1];
	*inner = 1;
	for (int d = 2; d < t->rank; d++)
		*inner *= t->dims[d];
}

static void batchnorm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int64_t outer, c, inner;
	float eps = ir_op_float(op, "epsilon", 1e-5f);
	channels(in[0].type, &outer, &c, &inner);
	cg_loop lo, lc;
	LLVMValueRef o = cg_fori(g, &lo, 0, outer, 1);
	LLVMValueRef ch = cg_fori(g, &lc, 0, c, 1);
	LLVMValueRef a = norm_factor(g, load_buf(g, &in[1], ch), load_buf(g, &in[4], ch), eps);
	LLVMValueRef off = LLVMBuildNSWMul(g->b, kr_madd(g, ch, o, c), cg_i64(g, inner), "");
	apply_run(g, &in[0], &out[0], off, inner, load_buf(g, &in[3], ch), a, load_buf(g, &in[2], ch));
	cg_endfor(g, &lc);
	cg_endfor(g, &lo);
}

static void instnorm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int64_t outer, c, inner;
	float eps = ir_op_float(op, "epsilon", 1e-5f);
	channels(in[0].type, &outer, &c, &inner);
	cg_loop lo, lc;
	LLVMValueRef o = cg_fori(g, &lo, 0, outer, 1);
	LLVMValueRef ch = cg_fori(g, &lc, 0, c, 1);
	LLVMValueRef off = LLVMBuildNSWMul(g->b, kr_madd(g, ch, o, c), cg_i64(g, inner), "");
	LLVMValueRef mean, var;
	moments(g, &in[0], off, inner, &mean, &var);
	LLVMValueRef a = norm_factor(g, load_buf(g, &in[1], ch), var, eps);
	apply_run(g, &in[0], &out[0], off, inner, mean, a, load_buf(g, &in[2], ch));
	cg_endfor(g, &lc);
	cg_endfor(g, &lo);
}

/* ---- layer normalization --------------------------------------------------- */

/* The normalized dims of a row, unit dims dropped and dims merged where
** x, scale and B all stay contiguous; stride 0 where scale or B broadcast. */
typedef struct lnest {
	int n;
	int64_t dims[IR_MAX_RANK], st[3][IR_MAX_RANK];   /* x, scale, B */
	const cg_buf *x, *y, *s, *b;
	LLVMValueRef mean, inv;
} lnest;

/* Strides of p (NULL: absent) broadcast, right-aligned, to the rank tr normalized dims. */
static void bcast_strides(const ir_type *p, int tr, int64_t *st)
{
	int64_t s = 1;
	for (int i = tr - 1; i >= 0; i--) {
		int e = p ? i - (tr - p->rank) : -1;
		st[i] = e >= 0 && p->dims[e] != 1 ? s : 0;
		if (e >= 0)
			s *= p->dims[e];
	}
}

static void lnest_build(lnest *ln, const ir_type *x, int axis)
{
	int tr = x->rank - axis;
	const int64_t *tail = x->dims + axis;
	int64_t st[3][IR_MAX_RANK];
	bcast_strides(x, tr, st[0]);
	bcast_strides(ln->s->type, tr, st[1]);
	bcast_strides(ln->b ? ln->b->type : NULL, tr, st[2]);
	ln->n = 0;
	for (int i = 0; i < tr; i++) {
		if (tail[i] == 1)
			continue;
		int m = ln->n - 1;
		bool merge = m >= 0;
		for (int k = 0; k < 3 && merge; k++)
			merge = ln->st[k][m] == st[k][i] * tail[i];
		if (!merge)
			m = ln->n++;
		ln->dims[m] = merge ? ln->dims[m] * tail[i] : tail[i];
		for (int k = 0; k < 3; k++)
			ln->st[k][m] = st[k][i];
	}
}

/* y = (x - mean) * inv * scale + B over dims d.. of the row. */
static void lnest_apply(cg *g, const lnest *ln, int d, LLVMValueRef xo, LLVMValueRef so, LLVMValueRef bo)
{
	LLVMBuilderRef b = g->b;
	if (d == ln->n) {
		LLVMValueRef v = LLVMBuildFSub(b, load_buf(g, ln->x, xo), ln->mean, "");
		v = LLVMBuildFMul(b, LLVMBuildFMul(b, v, ln->inv, ""), load_buf(g, ln->s, so), "");
		if (ln->b)
			v = LLVMBuildFAdd(b, v, load_buf(g, ln->b, bo), "");
		cg_store(g, ln->y->type->dtype, ln->y->ptr, xo, v);
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, ln->dims[d], 1);
	lnest_apply(g, ln, d + 1, kr_madd(g, xo, i, ln->st[0][d]), kr_madd(g, so, i, ln->st[1][d]),
		    kr_madd(g, bo, i, ln->st[2][d]));
	cg_endfor(g, &l);
}

static void layernorm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *x = in[0].type;
	int64_t a = ir_op_int(op, "axis", -1), rows = 1, cols = 1;
	int axis = (int)(a < 0 ? a + x->rank : a);
	float eps = ir_op_float(op, "epsilon", 1e-5f);
	lnest ln = {.x = &in[0], .y = &out[0], .s = &in[1], .b = op->n_in > 2 && in[2].ptr ? &in[2] : NULL};
	for (int d = 0; d < x->rank; d++)
		*(d < axis ? &rows : &cols) *= x->dims[d];
	lnest_build(&ln, x, axis);
	cg_loop l;
	LLVMValueRef r = cg_fori(g, &l, 0, rows, 1);
	LLVMValueRef off = LLVMBuildNSWMul(g->b, r, cg_i64(g, cols), "");
	LLVMValueRef var;
	moments(g, &in[0], off, cols, &ln.mean, &var);
	ln.inv = norm_factor(g, cg_f32(g, 1), var, eps);
	lnest_apply(g, &ln, 0, off, cg_i64(g, 0), cg_i64(g, 0));
	if (op->n_out > 1 && out[1].ptr)
		cg_store(g, IR_F32, out[1].ptr, r, ln.mean);
	if (op->n_out > 2 && out[2].ptr)
		cg_store(g, IR_F32, out[2].ptr, r, ln.inv);
	cg_endfor(g, &l);
}

int cg_k_norm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	if (cg_numel(in[0].type) == 0)
		return 0;
	g->macs += cg_numel(in[0].type);
	if (op->kind == IR_OP_BATCHNORM)
		batchnorm(g, op, in, out);
	else if (op->kind == IR_OP_INSTANCENORM)
		instnorm(g, op, in, out);
	else
		layernorm(g, op, in, out);
	return 0;
}
