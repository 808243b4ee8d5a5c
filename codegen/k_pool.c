/*
** k_pool.c - the pool family (MaxPool, AveragePool) and the gpool family
** (GlobalAveragePool, GlobalMaxPool).
**
** Windows are the interpreter's (interp/k_pool.c): along each spatial dim,
** output o reads kernel positions o*stride - pad_begin + j*dilation; those
** in the padding count toward AveragePool's divisor only with
** count_include_pad, those past the end padding (ceil_mode's last window)
** not at all; a window with no element gives 0.  MaxPool takes the first
** element of the window and replaces it by every greater one (a NaN wins
** only in the first position), exactly in integers; the global pools
** follow numpy (a NaN always wins).  Sums are f32.
**
** Everything about the windows is computed at compile time.  The outputs
** whose window lies inside the input along every dim (the interior) form a
** box; there the kernel taps are unrolled with constant offsets, with no
** test per element, and the innermost loop runs along contiguous W outputs
** so that LLVM vectorizes it.  Border outputs (a pad or two wide in
** practice) are emitted one index at a time along each dim, so that their
** windows too are constants: a border row of a 2-D pool is a loop over its
** interior columns with fewer taps, plus its corner outputs.  When that
** would unroll more than POOL_UNROLL_CODE taps in all, the border outputs
** read their valid tap range from small per-dim tables instead, and
** kernels over POOL_UNROLL taps use the tables everywhere.
**
** Quantized operands (docs/ir.md): MaxPool and GlobalMaxPool are the
** integer maximum (refused when a window is all padding, which the rule
** makes z_x); AveragePool and GlobalAveragePool sum exactly in i64 and
** requantize by s_x / (s_y * divisor), the rule of each divisor derived at
** compile time (a table indexed by the divisor where the window is known
** only at run time); a window all in the padding gives z_y.
*/
#include <string.h>

#include "codegen/k_reduce.h"
#include "ir/requant.h"

#define POOL_UNROLL 64
/* Taps unrolled over all border and interior windows, at most. */
#define POOL_UNROLL_CODE 2048

typedef struct pdim {
	int64_t in, out, k, s, d, pb, pe, in_stride, out_stride;
	int32_t *tab;          /* per output o: [3*o] first valid tap, [3*o+1] end, [3*o+2] taps
				** before the end of the end padding */
	int64_t a, b;          /* interior outputs [a, b): every tap valid */
	bool empty;            /* some output has no valid tap */
	LLVMValueRef glob;     /* tab as a constant, once emitted */
} pdim;

typedef struct pool {
	int n;
	pdim dim[IR_MAX_RANK];
	bool max, incl;
	bool fast;             /* interior windows unrolled */
	bool unroll;           /* border windows unrolled too, each border index on its own */
	ir_dtype dt;
	int64_t planes, in_sz, out_sz, taps;
	LLVMValueRef x, y;
	/* Emission state, per dim: output index, window start, valid taps [lo, hi)
	** at run time; and the compile-time valid taps [clo, chi) and divisor
	** taps clen of the dims whose window is known. */
	LLVMValueRef o[IR_MAX_RANK], start[IR_MAX_RANK], lo[IR_MAX_RANK], hi[IR_MAX_RANK];
	int64_t clo[IR_MAX_RANK], chi[IR_MAX_RANK], clen[IR_MAX_RANK];
	LLVMValueRef acc;
	/* Quantized AveragePool: the op's constants, the rule of each divisor
	** 1..taps, as a constant table [mult][shift] once emitted, and the
	** valid taps of the border window being emitted. */
	bool quant;
	ir_qop q;
	ir_requant *rq;
	LLVMValueRef rq_tab, real;
} pool;

/* ---- geometry ------------------------------------------------------------------ */

static void ints_or(const ir_op *op, const char *name, int n, int64_t dflt, int64_t *dst)
{
	const ir_attr *a = ir_op_attr(op, name);
	for (int i = 0; i < n; i++)
		dst[i] = a && a->kind == IR_ATTR_INTS && i < a->n ? a->u.ints[i] : dflt;
}

/* Begin and end pads: explicit, none (VALID), or SAME_*: the total
** max(0, (out-1)*stride + (k-1)*dilation + 1 - in) halved, the odd one at
** the end (SAME_UPPER) or the beginning (SAME_LOWER). */
static void pool_pads(const ir_op *op, pool *p)
{
	int64_t pads[2 * IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	ints_or(op, "pads", 2 * p->n, 0, pads);
	for (int i = 0; i < p->n; i++) {
		pdim *D = &p->dim[i];
		int64_t total = (D->out - 1) * D->s + (D->k - 1) * D->d + 1 - D->in;
		total = total < 0 ? 0 : total;
		if (strcmp(ap, "VALID") == 0) {
			D->pb = D->pe = 0;
		} else if (strcmp(ap, "SAME_UPPER") == 0) {
			D->pb = total / 2;
			D->pe = total - D->pb;
		} else if (strcmp(ap, "SAME_LOWER") == 0) {
			D->pe = total / 2;
			D->pb = total - D->pe;
		} else {
			D->pb = pads[i];
			D->pe = pads[p->n + i];
		}
	}
}

/* The window table of D and its interior range. */
static void dim_windows(cg *g, pdim *D)
{
	D->tab = ir_alloc_array(g->c, (size_t)D->out * 3, sizeof *D->tab);
	D->a = D->out;
	D->b = 0;
	for (int64_t o = 0; o < D->out; o++) {
		int32_t lo = -1, hi = 0, len = 0;
		for (int64_t j = 0; j < D->k; j++) {
			int64_t pos = o * D->s - D->pb + j * D->d;
			if (pos >= D->in + D->pe)
				break;
			len++;
			if (pos >= 0 && pos < D->in) {
				lo = lo < 0 ? (int32_t)j : lo;
				hi = (int32_t)j + 1;
			}
		}
		lo = lo < 0 ? 0 : lo;
		D->tab[3 * o] = lo;
		D->tab[3 * o + 1] = hi;
		D->tab[3 * o + 2] = len;
		D->empty |= hi <= lo;
		if (lo == 0 && hi == D->k && len == D->k) {
			D->a = o < D->a ? o : D->a;
			D->b = o + 1;
		}
	}
}

static void pool_geo(cg *g, const ir_op *op, const ir_type *in, const ir_type *out, pool *p)
{
	int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], d[IR_MAX_RANK];
	p->n = in->rank - 2;
	p->planes = in->dims[0] * in->dims[1];
	ints_or(op, "kernel_shape", p->n, 1, k);
	ints_or(op, "strides", p->n, 1, s);
	ints_or(op, "dilations", p->n, 1, d);
	p->in_sz = p->out_sz = p->taps = 1;
	for (int i = p->n - 1; i >= 0; i--) {
		p->dim[i] = (pdim){.in = in->dims[2 + i], .out = out->dims[2 + i], .k = k[i], .s = s[i],
				   .d = d[i], .in_stride = p->in_sz, .out_stride = p->out_sz};
		p->in_sz *= p->dim[i].in;
		p->out_sz *= p->dim[i].out;
		p->taps *= k[i];
	}
	pool_pads(op, p);
	for (int i = 0; i < p->n; i++)
		dim_windows(g, &p->dim[i]);
	p->fast = p->taps <= POOL_UNROLL;
	int64_t leaves = 1;
	for (int i = 0; i < p->n; i++) {
		const pdim *D = &p->dim[i];
		int64_t inner = D->a < D->b ? D->b - D->a : 0;
		leaves *= D->out - inner + (inner > 0);
	}
	p->unroll = p->fast && leaves * p->taps <= POOL_UNROLL_CODE;
}

/* Entry e (0 lo, 1 hi, 2 len) of output o's window along D, as i64. */
static LLVMValueRef tab_load(cg *g, pdim *D, LLVMValueRef o, int e)
{
	if (!D->glob) {
		LLVMValueRef *v = ir_alloc_array(g->c, (size_t)D->out * 3, sizeof *v);
		for (int64_t i = 0; i < D->out * 3; i++)
			v[i] = cg_i32(g, D->tab[i]);
		LLVMValueRef init = LLVMConstArray2(g->t_i32, v, (uint64_t)D->out * 3);
		D->glob = LLVMAddGlobal(g->mod, LLVMTypeOf(init), "pool.win");
		LLVMSetInitializer(D->glob, init);
		LLVMSetGlobalConstant(D->glob, 1);
		LLVMSetLinkage(D->glob, LLVMInternalLinkage);
		LLVMSetUnnamedAddress(D->glob, LLVMGlobalUnnamedAddr);
	}
	LLVMValueRef idx = kr_madd(g, cg_i64(g, e), o, 3);
	LLVMValueRef ptr = LLVMBuildInBoundsGEP2(g->b, g->t_i32, D->glob, &idx, 1, "");
	return LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->t_i32, ptr, ""), g->t_i64, "");
}

/* ---- windows -------------------------------------------------------------------- */

/* The accumulation a with the element v: MaxPool keeps a unless v is greater. */
static LLVMValueRef pool_step(cg *g, const pool *p, LLVMValueRef a, LLVMValueRef v)
{
	if (!p->max)
		return p->quant ? LLVMBuildAdd(g->b, a, v, "") : LLVMBuildFAdd(g->b, a, v, "");
	LLVMValueRef gt = ir_dtype_is_float(p->dt) ? LLVMBuildFCmp(g->b, LLVMRealOGT, v, a, "")
		: LLVMBuildICmp(g->b, LLVMIntSGT, v, a, "");
	return LLVMBuildSelect(g->b, gt, v, a, "");
}

/* ---- quantized averages ------------------------------------------------------------- */

/* The rules of the divisors 1..taps into p->rq; -1 when one has no valid
** shift (the verifier allows scales whose small divisors still fit). */
static int quant_rules(const ir_graph *gr, const ir_op *op, pool *p)
{
	if (ir_qop_params(gr, op, &p->q) < 0)
		return -1;
	p->rq = ir_alloc_array(gr->ctx, (size_t)p->taps + 1, sizeof *p->rq);
	for (int64_t d = 1; d <= p->taps; d++)
		if (ir_requant_derive(ir_requant_mult_pool(p->q.in_scale[0], p->q.y_scale, d), &p->rq[d]) < 0)
			return -1;
	p->rq[0] = p->rq[1];
	return 0;
}

/* clamp(z_y + floor((v * M + 2^(S-1)) / 2^S)): v, M, S i64 values. */
static LLVMValueRef quant_apply(cg *g, const pool *p, LLVMValueRef v, LLVMValueRef m, LLVMValueRef s)
{
	LLVMValueRef half = LLVMBuildShl(g->b, cg_i64(g, 1), LLVMBuildSub(g->b, s, cg_i64(g, 1), ""), "");
	v = LLVMBuildAShr(g->b, LLVMBuildAdd(g->b, LLVMBuildMul(g->b, v, m, ""), half, ""), s, "");
	v = LLVMBuildAdd(g->b, v, cg_i64(g, p->q.y_zero), "");
	return cg_smin(g, cg_smax(g, v, cg_i64(g, p->q.lo)), cg_i64(g, p->q.hi));
}

/* The average of a window of real valid taps (its sum s) over div: i64
** values, or compile-time ones (div_c > 0) whose rule is a constant. */
static LLVMValueRef quant_avg(cg *g, pool *p, LLVMValueRef s, LLVMValueRef real, LLVMValueRef div, int64_t div_c)
{
	LLVMValueRef v = LLVMBuildSub(g->b, s, LLVMBuildMul(g->b, real, cg_i64(g, p->q.in_zero[0]), ""), "");
	if (div_c > 0)
		return quant_apply(g, p, v, cg_i64(g, p->rq[div_c].mult), cg_i64(g, p->rq[div_c].shift));
	if (!p->rq_tab) {
		int64_t *t = ir_alloc_array(g->c, (size_t)(2 * (p->taps + 1)), sizeof *t);
		for (int64_t d = 0; d <= p->taps; d++) {
			t[d] = p->rq[d].mult;
			t[p->taps + 1 + d] = p->rq[d].shift;
		}
		p->rq_tab = cg_const_bytes(g, t, 16 * (p->taps + 1), "pool.rq");
	}
	LLVMValueRef mp = LLVMBuildInBoundsGEP2(g->b, g->t_i64, p->rq_tab, &div, 1, "");
	LLVMValueRef si = LLVMBuildAdd(g->b, div, cg_i64(g, p->taps + 1), "");
	LLVMValueRef sp = LLVMBuildInBoundsGEP2(g->b, g->t_i64, p->rq_tab, &si, 1, "");
	return quant_apply(g, p, v, LLVMBuildLoad2(g->b, g->t_i64, mp, ""), LLVMBuildLoad2(g->b, g->t_i64, sp, ""));
}

bool cg_pool_quant_ok(const ir_graph *gr, const ir_op *op)
{
	pool p = {0};
	int64_t k[IR_MAX_RANK];
	const ir_type *x = ir_type_of(gr, op->in[0]);
	if (x->rank < 3)
		return false;
	p.taps = 1;
	ints_or(op, "kernel_shape", x->rank - 2, 1, k);
	for (int i = 0; i < x->rank - 2; i++)
		p.taps *= k[i];
	return p.taps > 0 && quant_rules(gr, op, &p) == 0;
}

/* ---- windows, continued ------------------------------------------------------------- */

/* An output whose window is known along every dim (p->clo/chi/clen): its
** taps unrolled with constant offsets from in_off, the window's start. */
static void const_window(cg *g, pool *p, LLVMValueRef in_off, LLVMValueRef out_off)
{
	int64_t j[IR_MAX_RANK], cnt = 1, real = 1;
	for (int i = 0; i < p->n; i++) {
		j[i] = p->clo[i];
		cnt *= p->clen[i];
		real *= p->chi[i] > p->clo[i] ? p->chi[i] - p->clo[i] : 0;
	}
	LLVMValueRef acc = ir_dtype_is_float(p->dt) ? cg_f32(g, 0) : cg_i64(g, 0);
	for (int64_t t = 0; t < real; t++) {
		bool first_max = t == 0 && p->max;
		int64_t off = 0;
		for (int i = 0; i < p->n; i++)
			off += j[i] * p->dim[i].d * p->dim[i].in_stride;
		LLVMValueRef v = cg_load(g, p->dt, p->x, kr_madd(g, in_off, cg_i64(g, off), 1));
		acc = first_max ? v : pool_step(g, p, acc, v);
		for (int i = p->n - 1; i >= 0 && ++j[i] == p->chi[i]; i--)
			j[i] = p->clo[i];
	}
	if (p->quant)
		acc = real > 0 ? quant_avg(g, p, acc, cg_i64(g, real), NULL, p->incl ? cnt : real)
			       : cg_i64(g, p->q.y_zero);   /* y_zero lies within the clamp */
	else if (!p->max && real > 0)
		acc = LLVMBuildFDiv(g->b, acc, cg_f32(g, (float)(p->incl ? cnt : real)), "");
	cg_store(g, p->dt, p->y, out_off, acc);
}

/* Fold the taps of dims d.. into p->acc; dims below ninter are interior
** (all k taps, in_off already at their window start). */
static void tap_loops(cg *g, pool *p, int d, int ninter, LLVMValueRef off)
{
	if (d == p->n) {
		LLVMTypeRef ct = cg_calc_type(g, p->dt);
		LLVMValueRef v = cg_load(g, p->dt, p->x, off);
		LLVMBuildStore(g->b, pool_step(g, p, LLVMBuildLoad2(g->b, ct, p->acc, ""), v), p->acc);
		return;
	}
	const pdim *D = &p->dim[d];
	cg_loop l;
	LLVMValueRef j = d < ninter ? cg_fori(g, &l, 0, D->k, 1) : cg_for(g, &l, p->lo[d], p->hi[d], 1);
	LLVMValueRef pos = kr_madd(g, d < ninter ? cg_i64(g, 0) : p->start[d], j, D->d);
	tap_loops(g, p, d + 1, ninter, kr_madd(g, off, pos, D->in_stride));
	cg_endfor(g, &l);
}

/* Window bounds of the border dims ninter.. into p->start/lo/hi; returns
** the divisor (i64): taps before the end padding, or valid taps. */
static LLVMValueRef border_bounds(cg *g, pool *p, int ninter)
{
	LLVMValueRef cnt = cg_i64(g, 1), real = cg_i64(g, 1);
	for (int d = 0; d < p->n; d++) {
		pdim *D = &p->dim[d];
		if (d < ninter) {
			cnt = LLVMBuildNSWMul(g->b, cnt, cg_i64(g, D->k), "");
			real = LLVMBuildNSWMul(g->b, real, cg_i64(g, D->k), "");
			continue;
		}
		p->start[d] = kr_madd(g, cg_i64(g, -D->pb), p->o[d], D->s);
		p->lo[d] = tab_load(g, D, p->o[d], 0);
		p->hi[d] = tab_load(g, D, p->o[d], 1);
		real = LLVMBuildNSWMul(g->b, real, LLVMBuildNSWSub(g->b, p->hi[d], p->lo[d], ""), "");
		cnt = LLVMBuildNSWMul(g->b, cnt, tab_load(g, D, p->o[d], 2), "");
	}
	p->real = real;
	return p->incl ? cnt : real;
}

/* The window's result from its bounds; valid taps exist. */
static void border_fold(cg *g, pool *p, int ninter, LLVMValueRef in_off, LLVMValueRef out_off,
			LLVMValueRef div)
{
	LLVMTypeRef ct = cg_calc_type(g, p->dt);
	LLVMValueRef first = in_off;
	for (int d = ninter; d < p->n; d++) {
		LLVMValueRef pos = kr_madd(g, p->start[d], p->lo[d], p->dim[d].d);
		first = kr_madd(g, first, pos, p->dim[d].in_stride);
	}
	p->acc = cg_var(g, ct, "acc");
	LLVMBuildStore(g->b, p->max ? cg_load(g, p->dt, p->x, first) : p->quant ? cg_i64(g, 0) : cg_f32(g, 0), p->acc);
	tap_loops(g, p, 0, ninter, in_off);
	LLVMValueRef v = LLVMBuildLoad2(g->b, ct, p->acc, "");
	if (p->quant) {
		v = quant_avg(g, p, v, p->real, div, 0);
	} else if (!p->max) {
		LLVMValueRef fd = LLVMBuildSIToFP(g->b, LLVMBuildTrunc(g->b, div, g->t_i32, ""), g->t_f32, "");
		v = LLVMBuildFDiv(g->b, v, fd, "");
	}
	cg_store(g, p->dt, p->y, out_off, v);
}

/* An output with a border dim (ninter and above): bounds from the tables. */
static void border_window(cg *g, pool *p, int ninter, LLVMValueRef in_off, LLVMValueRef out_off)
{
	bool may_empty = false;
	for (int d = ninter; d < p->n; d++)
		may_empty |= p->dim[d].empty;
	LLVMValueRef div = border_bounds(g, p, ninter);
	if (!may_empty) {
		border_fold(g, p, ninter, in_off, out_off, div);
		return;
	}
	LLVMValueRef real = cg_i64(g, 1);
	for (int d = ninter; d < p->n; d++)
		real = LLVMBuildAnd(g->b, real, LLVMBuildZExt(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, p->lo[d],
										  p->hi[d], ""), g->t_i64, ""), "");
	cg_if_t s;
	cg_if(g, &s, LLVMBuildICmp(g->b, LLVMIntNE, real, cg_i64(g, 0), ""));
	border_fold(g, p, ninter, in_off, out_off, div);
	cg_else(g, &s);
	LLVMValueRef empty = p->quant ? cg_i64(g, p->q.y_zero) : ir_dtype_is_float(p->dt) ? cg_f32(g, 0) : cg_i64(g, 0);
	cg_store(g, p->dt, p->y, out_off, empty);
	cg_endif(g, &s);
}

/* ---- loops ------------------------------------------------------------------------ */

static void emit_dim(cg *g, pool *p, int d, int ninter, LLVMValueRef in_off, LLVMValueRef out_off);

/* Outputs [lo, hi) along dim d, below which ninter dims are interior;
** interior ones (inter) move in_off to their window. */
static void segment(cg *g, pool *p, int d, int ninter, int64_t lo, int64_t hi, bool inter,
		    LLVMValueRef in_off, LLVMValueRef out_off)
{
	const pdim *D = &p->dim[d];
	if (lo >= hi)
		return;
	cg_loop l;
	LLVMValueRef o = cg_fori(g, &l, lo, hi, 1);
	p->o[d] = o;
	p->clo[d] = 0;
	p->chi[d] = p->clen[d] = D->k;
	if (inter)
		in_off = kr_madd(g, kr_madd(g, in_off, o, D->s * D->in_stride), cg_i64(g, -D->pb), D->in_stride);
	emit_dim(g, p, d + 1, inter ? d + 1 : ninter, in_off, kr_madd(g, out_off, o, D->out_stride));
	cg_endfor(g, &l);
}

/* Border output c of dim d on its own: its window is a constant. */
static void border_index(cg *g, pool *p, int d, int64_t c, LLVMValueRef in_off, LLVMValueRef out_off)
{
	const pdim *D = &p->dim[d];
	p->clo[d] = D->tab[3 * c];
	p->chi[d] = D->tab[3 * c + 1];
	p->clen[d] = D->tab[3 * c + 2];
	in_off = kr_madd(g, in_off, cg_i64(g, c * D->s - D->pb), D->in_stride);
	emit_dim(g, p, d + 1, d + 1, in_off, kr_madd(g, out_off, cg_i64(g, c), D->out_stride));
}

/*
** Dims d..; below ninter every dim's window is known at compile time (in
** the interior, or a border index emitted on its own) and in_off is at its
** start.  While that holds, dim d splits into its border outputs (each on
** its own when p->unroll, else border loops) and the interior loop.
*/
static void emit_dim(cg *g, pool *p, int d, int ninter, LLVMValueRef in_off, LLVMValueRef out_off)
{
	if (d == p->n) {
		if (ninter == p->n)
			const_window(g, p, in_off, out_off);
		else
			border_window(g, p, ninter, in_off, out_off);
		return;
	}
	const pdim *D = &p->dim[d];
	if (p->unroll && ninter == d) {
		for (int64_t c = 0; c < D->out; c++) {
			if (c == D->a && D->a < D->b) {
				segment(g, p, d, ninter, D->a, D->b, true, in_off, out_off);
				c = D->b - 1;
			} else {
				border_index(g, p, d, c, in_off, out_off);
			}
		}
		return;
	}
	if (!p->fast || ninter < d || D->a >= D->b) {
		segment(g, p, d, ninter, 0, D->out, false, in_off, out_off);
		return;
	}
	segment(g, p, d, ninter, 0, D->a, false, in_off, out_off);
	segment(g, p, d, ninter, D->a, D->b, true, in_off, out_off);
	segment(g, p, d, ninter, D->b, D->out, false, in_off, out_off);
}

int cg_k_pool(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	pool p = {.max = op->kind == IR_OP_MAXPOOL, .incl = ir_op_int(op, "count_include_pad", 0) != 0,
		  .dt = in[0].type->dtype, .x = in[0].ptr, .y = out[0].ptr};
	p.quant = !p.max && ir_op_is_quantized(g->g, op);
	if (p.dt == IR_BOOL || (!p.max && !p.quant && !ir_dtype_is_float(p.dt)))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(p.dt));
	if (cg_numel(out[0].type) == 0)
		return 0;
	pool_geo(g, op, in[0].type, out[0].type, &p);
	if (p.quant && quant_rules(g->g, op, &p) < 0)
		return cg_unsupported(g, op, "a quantized AveragePool whose scales give a divisor no valid rule");
	for (int i = 0; p.max && in[0].type->quant && i < p.n; i++)
		if (p.dim[i].empty)
			return cg_unsupported(g, op, "a quantized MaxPool window entirely in the padding");
	g->macs += p.planes * p.out_sz * p.taps;
	cg_loop l;
	LLVMValueRef pl = cg_fori(g, &l, 0, p.planes, 1);
	emit_dim(g, &p, 0, 0, kr_madd(g, cg_i64(g, 0), pl, p.in_sz), kr_madd(g, cg_i64(g, 0), pl, p.out_sz));
	cg_endfor(g, &l);
	return 0;
}

/* ---- global pools ------------------------------------------------------------------ */

/*
** GlobalAveragePool on quantized x (docs/ir.md): the exact i64 sum of a
** plane minus sz * z_x, requantized by s_x / (s_y * sz) (one rule: sz is
** the count of every plane), plus z_y, clamped.
*/
static int gpool_quant(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out, int64_t planes,
		       int64_t sz)
{
	ir_qop q;
	ir_requant r;
	const ir_type *t = in[0].type;
	if (ir_qop_params(g->g, op, &q) < 0 ||
	    ir_requant_derive(ir_requant_mult_pool(q.in_scale[0], q.y_scale, sz), &r) < 0)
		return cg_unsupported(g, op, "an invalid quantized form (not verified?)");
	kr_fold f = kr_make(KR_SUM, t->dtype);
	g->macs += cg_numel(t);
	cg_loop l;
	LLVMValueRef pl = cg_fori(g, &l, 0, planes, 1);
	LLVMValueRef v = kr_run(g, &f, in[0].ptr, kr_madd(g, cg_i64(g, 0), pl, sz), sz);
	v = LLVMBuildSub(g->b, v, cg_i64(g, sz * q.in_zero[0]), "");
	v = LLVMBuildMul(g->b, v, cg_i64(g, r.mult), "");
	v = LLVMBuildAdd(g->b, v, cg_i64(g, (int64_t)1 << (r.shift - 1)), "");
	v = LLVMBuildAShr(g->b, v, cg_i64(g, r.shift), "");
	v = LLVMBuildAdd(g->b, v, cg_i64(g, q.y_zero), "");
	v = cg_smin(g, cg_smax(g, v, cg_i64(g, q.lo)), cg_i64(g, q.hi));
	cg_store(g, out[0].type->dtype, out[0].ptr, pl, v);
	cg_endfor(g, &l);
	return 0;
}

int cg_k_gpool(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	bool max = op->kind == IR_OP_GLOBALMAXPOOL;
	int64_t planes = t->dims[0] * t->dims[1];
	bool quant = !max && ir_op_is_quantized(g->g, op);
	if (t->dtype == IR_BOOL || (!max && !quant && !ir_dtype_is_float(t->dtype)))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(t->dtype));
	if (planes == 0)
		return 0;
	int64_t sz = cg_numel(t) / planes;
	if (quant)
		return gpool_quant(g, op, in, out, planes, sz);
	kr_fold f = kr_make(max ? KR_MAX : KR_SUM, t->dtype);
	g->macs += cg_numel(t);
	cg_loop l;
	LLVMValueRef pl = cg_fori(g, &l, 0, planes, 1);
	LLVMValueRef v = kr_run(g, &f, in[0].ptr, kr_madd(g, cg_i64(g, 0), pl, sz), sz);
	if (!max)
		v = LLVMBuildFDiv(g->b, v, cg_f32(g, (float)sz), "");
	cg_store(g, t->dtype, out[0].ptr, pl, v);
	cg_endfor(g, &l);
	return 0;
}
