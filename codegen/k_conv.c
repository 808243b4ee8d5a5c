/*
** k_conv.c - emitters of the conv family (Conv; QLinearConv and
** ConvInteger go to k_quant.c) and of ConvTranspose, and the workspace
** each kernel asks for (cg_workspace).
**
** Conv picks one of three algorithms from the static shapes:
**  - pointwise (1x1 kernel, unit stride, no padding): per group one GEMM
**    W[m][c] x X[c][pixels] straight on the NCHW input;
**  - depthwise (2-D, one input channel per group): direct convolution of a
**    zero-padded copy of each input plane (in the workspace, so the inner
**    loop has no bounds checks), vectorized along the output width;
**  - everything else: im2col into the workspace (row k = (input channel,
**    kernel offset), column = output pixel) for a block of output rows,
**    a few input channels (about LIN_KC_MAX rows of k) at a time: each
**    chunk is consumed by one pass of the GEMM engine while it is in L1,
**    the passes summing into the output.
** Weights are constants in practice and are packed at compile time; a
** run-time weight tensor is read in place with strides.
**
** ConvTranspose is a GEMM cols[(m, kernel offset)][input pixel] =
** W^T X into the workspace, then a scatter-add of cols into the output
** (col2im), which starts as the bias.
**
** f16 tensors are widened to f32 (constants at compile time), the result
** is computed in an f32 workspace buffer and rounded at the end.
*/
#include <string.h>

#include "codegen/k_linear.h"
#include "ir/requant.h"

/* The geometry of a convolution over n spatial dims (interp/k_conv.c). */
typedef struct cgeo {
	int n;                          /* spatial rank */
	int64_t batch, c, m, group, cg, mg;
	int64_t in[IR_MAX_RANK], out[IR_MAX_RANK], k[IR_MAX_RANK];
	int64_t s[IR_MAX_RANK], d[IR_MAX_RANK], pb[IR_MAX_RANK]; /* strides, dilations, begin pads */
	int64_t in_sz, out_sz, k_sz;    /* elements of an input plane, output plane, kernel */
} cgeo;

static void ints_attr(const ir_op *op, const char *name, int n, int64_t dflt, int64_t *dst)
{
	const ir_attr *a = ir_op_attr(op, name);
	for (int i = 0; i < n; i++)
		dst[i] = a && a->kind == IR_ATTR_INTS && i < a->n ? a->u.ints[i] : dflt;
}

static void geo_base(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, cgeo *g)
{
	*g = (cgeo){.n = x->rank - 2, .batch = x->dims[0], .c = x->dims[1], .m = y->dims[1],
		    .group = ir_op_int(op, "group", 1), .in_sz = 1, .out_sz = 1, .k_sz = 1};
	g->cg = g->c / g->group;
	g->mg = g->m / g->group;
	ints_attr(op, "strides", g->n, 1, g->s);
	ints_attr(op, "dilations", g->n, 1, g->d);
	for (int i = 0; i < g->n; i++) {
		g->in[i] = x->dims[2 + i];
		g->out[i] = y->dims[2 + i];
		g->k[i] = w->dims[2 + i];
		g->in_sz *= g->in[i];
		g->out_sz *= g->out[i];
		g->k_sz *= g->k[i];
	}
}

/* Conv's begin pads: explicit, none (VALID), or SAME_* splitting the total
** with the odd one at the end (UPPER) or the beginning (LOWER). */
static void conv_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, cgeo *g)
{
	int64_t pads[2 * IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	geo_base(op, x, w, y, g);
	ints_attr(op, "pads", 2 * g->n, 0, pads);
	for (int i = 0; i < g->n; i++) {
		int64_t total = (g->out[i] - 1) * g->s[i] + (g->k[i] - 1) * g->d[i] + 1 - g->in[i];
		total = total < 0 ? 0 : total;
		if (!strcmp(ap, "VALID"))
			g->pb[i] = 0;
		else if (!strcmp(ap, "SAME_UPPER"))
			g->pb[i] = total / 2;
		else if (!strcmp(ap, "SAME_LOWER"))
			g->pb[i] = total - total / 2;
		else
			g->pb[i] = pads[i];
	}
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ConvTranspose's begin pads, as the interpreter: explicit unless auto_pad
** is SAME_* without pads; then from output_shape (default in*stride). */
static void convt_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, cgeo *g)
{
	int64_t pads[2 * IR_MAX_RANK], opad[IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	const ir_attr *os = ir_op_attr(op, "output_shape");
	bool same = !strncmp(ap, "SAME_", 5) && !ir_op_attr(op, "pads");
	geo_base(op, x, w, y, g);
	g->mg = w->dims[1];
	ints_attr(op, "pads", 2 * g->n, 0, pads);
	ints_attr(op, "output_padding", g->n, 0, opad);
	for (int i = 0; i < g->n; i++) {
		int oi = os && os->kind == IR_ATTR_INTS ? os->n - g->n + i : -1;
		int64_t osh = oi >= 0 ? os->u.ints[oi] : g->in[i] * g->s[i];
		int64_t total = g->s[i] * (g->in[i] - 1) + opad[i] + (g->k[i] - 1) * g->d[i] + 1 - osh;
		if (!same)
			g->pb[i] = pads[i];
		else if (!strcmp(ap, "SAME_UPPER"))
			g->pb[i] = floordiv(total, 2);
		else
			g->pb[i] = total - floordiv(total, 2);
	}
}

/* The t in [0, n) with t*s + off in [0, limit), as [lo, hi). */
static void span_of(int64_t off, int64_t s, int64_t n, int64_t limit, int64_t *lo, int64_t *hi)
{
	*lo = off >= 0 ? 0 : (-off + s - 1) / s;
	*hi = limit - 1 - off < 0 ? 0 : (limit - 1 - off) / s + 1;
	if (*hi > n)
		*hi = n;
	if (*lo > *hi)
		*lo = *hi;
}

/* ---- algorithms and their workspace ---------------------------------------- */

typedef enum conv_alg { ALG_POINTWISE, ALG_DEPTHWISE, ALG_IM2COL } conv_alg;

/* Depthwise kernels larger than this go through im2col (the weights of one
** channel are held in registers). */
#define DW_MAX_TAPS 49

static conv_alg conv_pick(const cgeo *x)
{
	bool unit = true, nonneg = true;
	for (int i = 0; i < x->n; i++) {
		unit &= x->k[i] == 1 && x->s[i] == 1 && x->pb[i] == 0 && x->in[i] == x->out[i];
		nonneg &= x->pb[i] >= 0;
	}
	if (unit)
		return ALG_POINTWISE;
	if (x->n == 2 && x->cg == 1 && x->k_sz <= DW_MAX_TAPS && nonneg)
		return ALG_DEPTHWISE;
	return ALG_IM2COL;
}

/* The zero-padded input plane of the depthwise algorithm: rows cover the
** window's reach, columns also the reach of whole vectors (vl lanes). */
static void dw_plane(const cgeo *x, int vl, int64_t *ph, int64_t *pw)
{
	int64_t owv = (x->out[1] + vl - 1) / vl * vl;
	*ph = (x->out[0] - 1) * x->s[0] + (x->k[0] - 1) * x->d[0] + 1;
	*pw = owv * x->s[1] + (x->k[1] - 1) * x->d[1] + vl;
}

/* Input channels per im2col chunk: about LIN_KC_MAX rows of k, so that a
** chunk of the im2col matrix is consumed by its GEMM pass while in L1. */
static int64_t im2col_cpc(const cgeo *x)
{
	int64_t c = LIN_KC_MAX / x->k_sz;
	return c < 1 ? 1 : c > x->cg ? x->cg : c;
}

/* The im2col block: rows (of the last output dim) per block, about the
** GEMM's column block for one chunk, and the padded row length of the
** block in the workspace. */
static void im2col_block(const cgeo *x, int64_t *rows_per, int64_t *nbpad)
{
	int64_t ow = x->out[x->n - 1], rows = ow ? x->out_sz / ow : 0;
	int64_t r = LIN_BLOCK_BYTES / (4 * im2col_cpc(x) * x->k_sz) / (ow ? ow : 1);
	r = r < 1 ? 1 : r > rows ? rows : r;
	*rows_per = r;
	/* An odd number of cache lines per row spreads the k rows over all
	** L1 sets; the slack also lets the micro-kernel load whole vectors. */
	int64_t nb = (r * ow + 15) / 16;
	*nbpad = (nb | 1) * 16;
}

static int64_t conv_alg_ws(const cgeo *x, conv_alg alg, int vl)
{
	int64_t a, b;
	switch (alg) {
	case ALG_DEPTHWISE:
		dw_plane(x, vl, &a, &b);
		return lin_ws_bytes(a * b * 4);
	case ALG_IM2COL:
		im2col_block(x, &a, &b);
		return lin_ws_bytes(im2col_cpc(x) * x->k_sz * b * 4);
	default:
		return 0;
	}
}

/* f32 copies of run-time f16 operands and the f32 result. */
static int64_t half_ws(const ir_graph *gr, const ir_op *op)
{
	int64_t ws = 0;
	if (ir_type_of(gr, op->out[0])->dtype != IR_F16)
		return 0;
	for (int32_t i = 0; i < op->n_in; i++)
		if (op->in[i] != IR_NOVAL && !ir_const_of(gr, op->in[i]))
			ws += lin_ws_bytes(cg_numel(ir_type_of(gr, op->in[i])) * 4);
	return ws + lin_ws_bytes(cg_numel(ir_type_of(gr, op->out[0])) * 4);
}

int64_t lin_conv_workspace(const ir_graph *gr, const ir_op *op, int vl)
{
	const ir_type *x = ir_type_of(gr, op->in[0]), *w = ir_type_of(gr, op->in[1]);
	const ir_type *y = ir_type_of(gr, op->out[0]);
	if (!ir_dtype_is_float(y->dtype) || cg_numel(y) == 0)
		return 0;
	cgeo g;
	if (op->kind == IR_OP_CONVTRANSPOSE) {
		convt_geo(op, x, w, y, &g);
		return half_ws(gr, op) + lin_ws_bytes(g.mg * g.k_sz * g.in_sz * 4);
	}
	conv_geo(op, x, w, y, &g);
	return half_ws(gr, op) + conv_alg_ws(&g, conv_pick(&g), vl);
}

int64_t cg_workspace(const ir_graph *g, const ir_op *op, void *ud)
{
	int vl = ud ? lin_vl_of(*(const int *)ud) : LIN_MAX_VL;
	if (ir_op_is_quantized(g, op))
		return cg_int8_workspace(g, op, ud);
	switch (op->kind) {
	case IR_OP_CONV:
	case IR_OP_CONVTRANSPOSE:
		return lin_conv_workspace(g, op, vl);
	case IR_OP_MATMUL:
	case IR_OP_GEMM:
		return lin_matmul_workspace(g, op);
	case IR_OP_QLINEARCONV:
	case IR_OP_CONVINTEGER:
	case IR_OP_QLINEARMATMUL:
	case IR_OP_MATMULINTEGER:
		return cg_int8_workspace(g, op, ud);
	default:
		return 0;
	}
}

/* ---- shared emission helpers ------------------------------------------------- */

typedef struct conv_ctx {
	const cgeo *x;
	lin_tile t;
	LLVMValueRef xp;                /* f32 input */
	LLVMValueRef w;                 /* packed panels per group, or f32 [m][cg*k] */
	bool wpacked;
	int64_t wgroup;                 /* elements of w per group */
	lin_epi e;                      /* y is the whole f32 result */
	LLVMValueRef ws;                /* the algorithm's workspace */
	int64_t kdim;                   /* cg * k_sz */
} conv_ctx;

static LLVMValueRef mul_i(cg *g, LLVMValueRef i, int64_t c)
{
	return c == 1 ? i : LLVMBuildNSWMul(g->b, i, cg_i64(g, c), "");
}

static LLVMValueRef add_i(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildNSWAdd(g->b, a, b, "");
}

/* dst[0..n) = src[0..n), or 0 when src is NULL; n a constant. */
static void fill_run(cg *g, int vl, LLVMValueRef dst, LLVMValueRef src, int64_t n)
{
	int64_t nv = n / vl;
	LLVMValueRef zero = LLVMConstNull(lin_vec(g, vl));
	if (nv > 4) {
		cg_loop l;
		LLVMValueRef i = mul_i(g, cg_fori(g, &l, 0, nv, 1), vl);
		LLVMValueRef v = src ? lin_load(g, lin_gep(g, src, i), vl, vl) : zero;
		lin_store_vec(g, lin_gep(g, dst, i), v, vl, vl);
		cg_endfor(g, &l);
	} else {
		for (int64_t i = 0; i < nv; i++) {
			LLVMValueRef v = src ? lin_load(g, lin_gepc(g, src, i * vl), vl, vl) : zero;
			lin_store_vec(g, lin_gepc(g, dst, i * vl), v, vl, vl);
		}
	}
	for (int64_t i = nv * vl; i < n; i++) {
		LLVMValueRef v = cg_f32(g, 0);
		if (src) {
			v = LLVMBuildLoad2(g->b, g->t_f32, lin_gepc(g, src, i), "");
			LLVMSetAlignment(v, 4);
		}
		LLVMSetAlignment(LLVMBuildStore(g->b, v, lin_gepc(g, dst, i)), 4);
	}
}

/* A constant i32 table. */
static LLVMValueRef i32_table(cg *g, const int32_t *v, int64_t n)
{
	return cg_const_bytes(g, v, n * 4, "tab");
}

static LLVMValueRef table_load(cg *g, LLVMValueRef tab, LLVMValueRef i)
{
	LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, g->t_i32, tab, &i, 1, "");
	return LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->t_i32, p, ""), g->t_i64, "");
}

/* Coordinates of the flat index r over the first nd of dims (last fastest). */
static void unflatten(int64_t r, const int64_t *dims, int nd, int64_t *co)
{
	for (int i = nd - 1; i >= 0; i--) {
		co[i] = r % dims[i];
		r /= dims[i];
	}
}

/* For rows r of `from` (coordinates over all but the last spatial dim)
** and kernel taps t over the same dims: the offset of the row of `to`
** at r*s + t*d - pb, in elements of a plane of `to`, or -1 outside it. */
static int32_t *row_table(cg *g, const cgeo *x, const int64_t *from, const int64_t *to, int64_t rows,
			  int64_t taps)
{
	int o = x->n - 1;
	int32_t *tb = ir_alloc_array(g->c, (size_t)(rows * taps) + 1, sizeof *tb);
	for (int64_t r = 0; r < rows; r++) {
		int64_t rc[IR_MAX_RANK], kc[IR_MAX_RANK];
		unflatten(r, from, o, rc);
		for (int64_t t = 0; t < taps; t++) {
			int64_t off = 0;
			bool ok = true;
			unflatten(t, x->k, o, kc);
			for (int i = 0; i < o; i++) {
				int64_t p = rc[i] * x->s[i] + kc[i] * x->d[i] - x->pb[i];
				ok &= p >= 0 && p < to[i];
				off = off * to[i] + p;
			}
			tb[r * taps + t] = ok ? (int32_t)(off * to[o]) : -1;
		}
	}
	return tb;
}

/* The A operand of group gi (an i64 value). */
static lin_a group_a(cg *g, const conv_ctx *c, LLVMValueRef gi)
{
	LLVMValueRef p = lin_gep(g, c->w, mul_i(g, gi, c->wgroup));
	if (c->wpacked)
		return (lin_a){p, 1, 1, true};
	return (lin_a){p, c->kdim, 1, false};
}

/* The epilogue of group gi of batch bi, from column col on. */
static lin_epi group_epi(cg *g, const conv_ctx *c, LLVMValueRef bi, LLVMValueRef gi, LLVMValueRef col)
{
	const cgeo *x = c->x;
	lin_epi e = c->e;
	LLVMValueRef m0 = mul_i(g, gi, x->mg);
	LLVMValueRef row = add_i(g, mul_i(g, bi, x->m), m0);
	e.y = lin_gep(g, e.y, add_i(g, mul_i(g, row, x->out_sz), col));
	e.y_rs = x->out_sz;
	if (e.bias)
		e.bias = lin_gep(g, e.bias, m0);
	return e;
}

/* ---- pointwise ----------------------------------------------------------------- */

static void conv_pointwise(cg *g, const conv_ctx *c)
{
	const cgeo *x = c->x;
	lin_loopv lb, lg;
	LLVMValueRef bi = lin_loop(g, &lb, x->batch);
	LLVMValueRef gi = lin_loop(g, &lg, x->group);
	LLVMValueRef chan = add_i(g, mul_i(g, bi, x->c), mul_i(g, gi, x->cg));
	lin_a a = group_a(g, c, gi);
	lin_b b = {lin_gep(g, c->xp, mul_i(g, chan, x->in_sz)), x->in_sz, false, false};
	lin_epi e = group_epi(g, c, bi, gi, cg_i64(g, 0));
	lin_gemm(g, &c->t, x->mg, x->out_sz, x->cg, &a, &b, &e);
	lin_endloop(g, &lg);
	lin_endloop(g, &lb);
}

/* ---- im2col ---------------------------------------------------------------------- */

typedef struct im2col {
	int64_t ow, iw, rows, taps, kw, per, nbpad, cpc;
	LLVMValueRef tab;               /* row_table over output rows x taps */
} im2col;

/* One block of output rows of one group of one batch. */
typedef struct im2col_pos {
	LLVMValueRef xg;                /* the group's first input channel */
	LLVMValueRef r0;                /* first output row */
	int64_t nr;                     /* rows */
	lin_a a;
	lin_epi e;
} im2col_pos;

/* One row segment of an im2col row: d[j] = x[j*s + off] for the j in
** [0, ow) that land inside the input row xr, else 0. */
static void im2col_segment(cg *g, const conv_ctx *c, const im2col *ic, LLVMValueRef d, LLVMValueRef xr,
			   int64_t kx)
{
	const cgeo *x = c->x;
	int o = x->n - 1, vl = c->t.vl;
	int64_t s = x->s[o], off = kx * x->d[o] - x->pb[o], lo, hi;
	span_of(off, s, ic->ow, ic->iw, &lo, &hi);
	fill_run(g, vl, d, NULL, lo);
	if (s == 1) {
		fill_run(g, vl, lin_gepc(g, d, lo), lin_gepc(g, xr, lo + off), hi - lo);
	} else if (hi > lo) {
		cg_loop l;
		LLVMValueRef j = cg_fori(g, &l, lo, hi, 1);
		LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_f32, lin_gep(g, xr, add_i(g, mul_i(g, j, s),
									       cg_i64(g, off))), "");
		LLVMBuildStore(g->b, v, lin_gep(g, d, j));
		cg_endfor(g, &l);
	}
	fill_run(g, vl, lin_gepc(g, d, hi), NULL, ic->ow - hi);
}

/* Rows [r0, r0+nr) of output rows, channels [0, nch) of xg, into the
** workspace. */
static void im2col_fill(cg *g, const conv_ctx *c, const im2col *ic, LLVMValueRef xg, LLVMValueRef r0,
			int64_t nr, int64_t nch)
{
	const cgeo *x = c->x;
	lin_loopv lc, lt, lr;
	LLVMValueRef ci = lin_loop(g, &lc, nch);
	LLVMValueRef t = lin_loop(g, &lt, ic->taps);
	LLVMValueRef xc = lin_gep(g, xg, mul_i(g, ci, x->in_sz));
	LLVMValueRef krow0 = mul_i(g, add_i(g, mul_i(g, ci, ic->taps), t), ic->kw);
	LLVMValueRef rr = lin_loop(g, &lr, nr);
	LLVMValueRef off = table_load(g, ic->tab, add_i(g, mul_i(g, add_i(g, r0, rr), ic->taps), t));
	cg_if_t in_row;
	cg_if(g, &in_row, LLVMBuildICmp(g->b, LLVMIntSGE, off, cg_i64(g, 0), ""));
	for (int64_t kx = 0; kx < ic->kw; kx++) {
		LLVMValueRef krow = add_i(g, krow0, cg_i64(g, kx));
		LLVMValueRef d = lin_gep(g, c->ws, add_i(g, mul_i(g, krow, ic->nbpad), mul_i(g, rr, ic->ow)));
		im2col_segment(g, c, ic, d, lin_gep(g, xc, off), kx);
	}
	cg_else(g, &in_row);
	for (int64_t kx = 0; kx < ic->kw; kx++) {
		LLVMValueRef krow = add_i(g, krow0, cg_i64(g, kx));
		LLVMValueRef d = lin_gep(g, c->ws, add_i(g, mul_i(g, krow, ic->nbpad), mul_i(g, rr, ic->ow)));
		fill_run(g, c->t.vl, d, NULL, ic->ow);
	}
	cg_endif(g, &in_row);
	lin_endloop(g, &lr);
	lin_endloop(g, &lt);
	lin_endloop(g, &lc);
}

/* Channels [c0, c0+nch) of a block: im2col, then their GEMM pass. */
static void im2col_pass(cg *g, const conv_ctx *c, const im2col *ic, const im2col_pos *p, LLVMValueRef c0,
			int64_t nch, lin_part part)
{
	const cgeo *x = c->x;
	im2col_fill(g, c, ic, lin_gep(g, p->xg, mul_i(g, c0, x->in_sz)), p->r0, p->nr, nch);
	lin_b b = {c->ws, ic->nbpad, false, true};
	lin_gemm_pass(g, &c->t, x->mg, p->nr * ic->ow, c->kdim, mul_i(g, c0, x->k_sz), nch * x->k_sz, part,
		      &p->a, &b, &p->e);
}

/* One block of nr output rows from row r0, in chunks of input channels. */
static void im2col_run(cg *g, const conv_ctx *c, const im2col *ic, LLVMValueRef bi, LLVMValueRef gi,
		       LLVMValueRef r0, int64_t nr)
{
	const cgeo *x = c->x;
	LLVMValueRef chan = add_i(g, mul_i(g, bi, x->c), mul_i(g, gi, x->cg));
	im2col_pos p = {lin_gep(g, c->xp, mul_i(g, chan, x->in_sz)), r0, nr, group_a(g, c, gi),
			group_epi(g, c, bi, gi, mul_i(g, r0, ic->ow))};
	int64_t cpc = ic->cpc, chunks = (x->cg + cpc - 1) / cpc, last = x->cg - (chunks - 1) * cpc;
	if (chunks == 1) {
		im2col_pass(g, c, ic, &p, cg_i64(g, 0), x->cg, LIN_ALL);
		return;
	}
	im2col_pass(g, c, ic, &p, cg_i64(g, 0), cpc, LIN_FIRST);
	if (chunks > 2) {
		lin_loopv l;
		LLVMValueRef j = lin_loop(g, &l, chunks - 2);
		im2col_pass(g, c, ic, &p, mul_i(g, add_i(g, j, cg_i64(g, 1)), cpc), cpc, LIN_MID);
		lin_endloop(g, &l);
	}
	im2col_pass(g, c, ic, &p, cg_i64(g, (chunks - 1) * cpc), last, LIN_LAST);
}

static void conv_im2col(cg *g, const conv_ctx *c)
{
	const cgeo *x = c->x;
	int o = x->n - 1;
	im2col ic = {.ow = x->out[o], .iw = x->in[o], .kw = x->k[o], .taps = x->k_sz / x->k[o],
		     .cpc = im2col_cpc(x)};
	ic.rows = x->out_sz / ic.ow;
	im2col_block(x, &ic.per, &ic.nbpad);
	ic.tab = i32_table(g, row_table(g, x, x->out, x->in, ic.rows, ic.taps), ic.rows * ic.taps);
	int64_t full = ic.rows / ic.per, rem = ic.rows % ic.per;
	lin_loopv lb, lg;
	LLVMValueRef bi = lin_loop(g, &lb, x->batch);
	LLVMValueRef gi = lin_loop(g, &lg, x->group);
	if (full > 0) {
		lin_loopv lk;
		LLVMValueRef blk = lin_loop(g, &lk, full);
		im2col_run(g, c, &ic, bi, gi, mul_i(g, blk, ic.per), ic.per);
		lin_endloop(g, &lk);
	}
	if (rem > 0)
		im2col_run(g, c, &ic, bi, gi, cg_i64(g, full * ic.per), rem);
	lin_endloop(g, &lg);
	lin_endloop(g, &lb);
}

/* ---- depthwise ------------------------------------------------------------------- */

/* vl lanes at p, p+s, p+2s, ... (the plane has room for whole vectors). */
static LLVMValueRef strided_load(cg *g, LLVMValueRef p, int64_t s, int vl)
{
	if (s == 1 || vl == 1)
		return lin_load(g, p, vl, vl);
	if (s == 2) {
		LLVMValueRef lo = lin_load(g, p, vl, vl), hi = lin_load(g, lin_gepc(g, p, vl), vl, vl);
		LLVMValueRef idx[LIN_MAX_VL];
		for (int i = 0; i < vl; i++)
			idx[i] = cg_i32(g, 2 * i);
		return LLVMBuildShuffleVector(g->b, lo, hi, LLVMConstVector(idx, (unsigned)vl), "");
	}
	LLVMValueRef v = LLVMGetPoison(lin_vec(g, vl));
	for (int i = 0; i < vl; i++) {
		LLVMValueRef e = LLVMBuildLoad2(g->b, g->t_f32, lin_gepc(g, p, i * s), "");
		v = LLVMBuildInsertElement(g->b, v, e, cg_i32(g, i), "");
	}
	return v;
}

typedef struct dw_ctx {
	int64_t ph, pw;
	LLVMValueRef w[DW_MAX_TAPS];    /* the channel's weights, splat */
	LLVMValueRef m;                 /* output channel */
	lin_epi e;                      /* y at the batch */
} dw_ctx;

/* nvec vectors of one output row from column ox0; the last has `last` lanes. */
static void dw_tile(cg *g, const conv_ctx *c, const dw_ctx *d, LLVMValueRef prow, LLVMValueRef col,
		    LLVMValueRef ox0, int nvec, int last)
{
	const cgeo *x = c->x;
	int vl = c->t.vl;
	LLVMValueRef acc[8], base = lin_gep(g, prow, mul_i(g, ox0, x->s[1]));
	for (int v = 0; v < nvec; v++)
		acc[v] = LLVMConstNull(lin_vec(g, vl));
	for (int64_t ky = 0; ky < x->k[0]; ky++) {
		for (int64_t kx = 0; kx < x->k[1]; kx++) {
			int64_t off = ky * x->d[0] * d->pw + kx * x->d[1];
			for (int v = 0; v < nvec; v++) {
				LLVMValueRef p = lin_gepc(g, base, off + (int64_t)v * vl * x->s[1]);
				acc[v] = cg_fma(g, d->w[ky * x->k[1] + kx], strided_load(g, p, x->s[1], vl), acc[v]);
			}
		}
	}
	for (int v = 0; v < nvec; v++)
		lin_store(g, &d->e, d->m, add_i(g, col, add_i(g, ox0, cg_i64(g, (int64_t)v * vl))),
			  acc[v], v == nvec - 1 ? last : vl);
}

/* Output channel d->m from the padded plane in the workspace. */
static void dw_channel(cg *g, const conv_ctx *c, const dw_ctx *d)
{
	const cgeo *x = c->x;
	int vl = c->t.vl;
	int64_t ow = x->out[1], nvt = (ow + vl - 1) / vl, nvx = nvt < 4 ? nvt : 4;
	int64_t tw = nvx * vl, full = ow / tw, rem = ow % tw;
	lin_loopv ly;
	LLVMValueRef oy = lin_loop(g, &ly, x->out[0]);
	LLVMValueRef prow = lin_gep(g, c->ws, mul_i(g, oy, x->s[0] * d->pw));
	LLVMValueRef col = mul_i(g, oy, ow);
	if (full > 0) {
		lin_loopv lx;
		LLVMValueRef ox0 = mul_i(g, lin_loop(g, &lx, full), tw);
		dw_tile(g, c, d, prow, col, ox0, (int)nvx, vl);
		lin_endloop(g, &lx);
	}
	if (rem > 0) {
		int nv = (int)((rem + vl - 1) / vl);
		dw_tile(g, c, d, prow, col, cg_i64(g, full * tw), nv, (int)(rem - (int64_t)(nv - 1) * vl));
	}
	lin_endloop(g, &ly);
}

/* Input channel ch of batch bi into the padded plane (borders stay 0). */
static void dw_plane_fill(cg *g, const conv_ctx *c, const dw_ctx *d, LLVMValueRef xc)
{
	const cgeo *x = c->x;
	int64_t rows = x->in[0] < d->ph - x->pb[0] ? x->in[0] : d->ph - x->pb[0];
	int64_t cols = x->in[1] < d->pw - x->pb[1] ? x->in[1] : d->pw - x->pb[1];
	if (rows <= 0 || cols <= 0)
		return;
	cg_loop l;
	LLVMValueRef iy = cg_fori(g, &l, 0, rows, 1);
	LLVMValueRef dst = lin_gep(g, c->ws, add_i(g, mul_i(g, iy, d->pw), cg_i64(g, x->pb[0] * d->pw + x->pb[1])));
	fill_run(g, c->t.vl, dst, lin_gep(g, xc, mul_i(g, iy, x->in[1])), cols);
	cg_endfor(g, &l);
}

static void conv_depthwise(cg *g, const conv_ctx *c)
{
	const cgeo *x = c->x;
	dw_ctx d = {0};
	dw_plane(x, c->t.vl, &d.ph, &d.pw);
	cg_memset(g, c->ws, 0, d.ph * d.pw * 4);
	lin_loopv lb, lc, lm;
	LLVMValueRef bi = lin_loop(g, &lb, x->batch);
	LLVMValueRef ch = lin_loop(g, &lc, x->c);
	dw_plane_fill(g, c, &d, lin_gep(g, c->xp, mul_i(g, add_i(g, mul_i(g, bi, x->c), ch), x->in_sz)));
	LLVMValueRef mm = lin_loop(g, &lm, x->mg);
	d.m = add_i(g, mul_i(g, ch, x->mg), mm);
	for (int64_t kk = 0; kk < x->k_sz; kk++) {
		LLVMValueRef wp = lin_gep(g, c->w, add_i(g, mul_i(g, d.m, x->k_sz), cg_i64(g, kk)));
		d.w[kk] = lin_splat(g, LLVMBuildLoad2(g->b, g->t_f32, wp, ""), c->t.vl);
	}
	d.e = c->e;
	d.e.y = lin_gep(g, c->e.y, mul_i(g, bi, x->m * x->out_sz));
	d.e.y_rs = x->out_sz;
	dw_channel(g, c, &d);
	lin_endloop(g, &lm);
	lin_endloop(g, &lc);
	lin_endloop(g, &lb);
}

/* ---- Conv ------------------------------------------------------------------------- */

/* A constant weight tensor read as the GEMM's A matrices of every group. */
typedef struct wmat {
	const lin_src *s;
	int64_t rows, depth;            /* of one group's matrix */
} wmat;

/* Conv: W [M][cg*k] is already [group][mg][cg*k]. */
static float conv_w_get(const void *ud, int64_t i, int64_t k)
{
	const wmat *w = ud;
	return lin_src_get(w->s, i * w->depth + k);
}

/* ConvTranspose: row r of group q (an output channel and kernel offset)
** by input channel c of the group is W [C][mg*k] at (q*cg + c, r). */
static float convt_w_get(const void *ud, int64_t i, int64_t c)
{
	const wmat *w = ud;
	int64_t q = i / w->rows, r = i % w->rows;
	return lin_src_get(w->s, (q * w->depth + c) * w->rows + r);
}

static int conv_float(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out, const cgeo *x,
		      const ir_activation *act)
{
	ir_dtype dt = out[0].type->dtype;
	int64_t ws = 0, ny = cg_numel(out[0].type);
	conv_ctx c = {.x = x, .kdim = x->cg * x->k_sz};
	conv_alg alg = conv_pick(x);
	lin_tile_for(g, &c.t);
	lin_src sx = {NULL, in[0].konst, dt, cg_numel(in[0].type)};
	lin_src sw = {NULL, in[1].konst, dt, cg_numel(in[1].type)};
	c.xp = lin_src_ptr(g, &sx, &in[0], &ws);
	if (in[1].konst && alg != ALG_DEPTHWISE) {
		wmat wm = {&sw, x->mg, c.kdim};
		c.w = lin_pack_a(g, &c.t, x->group, x->mg, c.kdim, conv_w_get, &wm, &c.wgroup);
		c.wpacked = true;
	} else {
		c.w = lin_src_ptr(g, &sw, &in[1], &ws);
		c.wgroup = x->mg * c.kdim;
	}
	c.e = (lin_epi){.y = out[0].ptr, .alpha = 1, .act = *act};
	if (op->n_in > 2 && in[2].ptr) {
		lin_src sb = {NULL, in[2].konst, dt, cg_numel(in[2].type)};
		c.e.bias = lin_src_ptr(g, &sb, &in[2], &ws);
	}
	if (dt != IR_F32) {
		c.e.y = lin_ws_take(g, &ws, ny * 4);
		c.e.act.kind = IR_ACT_NONE;
	}
	c.ws = lin_ws_take(g, &ws, conv_alg_ws(x, alg, c.t.vl));
	if (lin_ws_check(g, op, ws) < 0)
		return -1;
	if (alg == ALG_POINTWISE)
		conv_pointwise(g, &c);
	else if (alg == ALG_DEPTHWISE)
		conv_depthwise(g, &c);
	else
		conv_im2col(g, &c);
	if (dt != IR_F32)
		lin_f16_out(g, c.e.y, out[0].ptr, ny, act);
	return 0;
}

/* Element counts the tables index with i32. */
static bool fits_i32(const cgeo *x)
{
	return x->in_sz < INT32_MAX && x->out_sz < INT32_MAX;
}

int cg_k_conv(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	if (op->kind != IR_OP_CONV)
		return cg_k_qlinear(g, op, in, out);
	if (ir_op_is_quantized(g->g, op))
		return cg_int8_linear(g, op, in, out);
	ir_dtype dt = out[0].type->dtype;
	ir_activation act;
	cgeo x;
	if (!ir_dtype_is_float(dt))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	if (ir_op_activation(op, &act) < 0)
		return cg_unsupported(g, op, "its fused activation attributes");
	conv_geo(op, in[0].type, in[1].type, out[0].type, &x);
	if (!fits_i32(&x))
		return cg_unsupported(g, op, "planes of 2^31 or more elements");
	g->macs += x.batch * x.m * x.out_sz * x.cg * x.k_sz;
	if (cg_numel(out[0].type) == 0)
		return 0;
	return conv_float(g, op, in, out, &x, &act);
}

/* ---- ConvTranspose ------------------------------------------------------------------ */

typedef struct convt_ctx {
	const cgeo *x;
	int64_t iw, ow, kw, taps, in_rows;
	LLVMValueRef tab;               /* row_table over input rows x taps */
	LLVMValueRef cols, y;           /* y at the group's first output channel */
} convt_ctx;

/* y[orow + i*s + off] += cols row for the i in [lo, hi) of kernel column kx. */
static void convt_segment(cg *g, const convt_ctx *u, LLVMValueRef yrow, LLVMValueRef crow, int64_t kx)
{
	const cgeo *x = u->x;
	int o = x->n - 1;
	int64_t s = x->s[o], off = kx * x->d[o] - x->pb[o], lo, hi;
	span_of(off, s, u->iw, u->ow, &lo, &hi);
	if (hi <= lo)
		return;
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, lo, hi, 1);
	LLVMValueRef yp = lin_gep(g, yrow, add_i(g, mul_i(g, i, s), cg_i64(g, off)));
	LLVMValueRef v = LLVMBuildFAdd(g->b, LLVMBuildLoad2(g->b, g->t_f32, yp, ""),
				       LLVMBuildLoad2(g->b, g->t_f32, lin_gep(g, crow, i), ""), "");
	LLVMBuildStore(g->b, v, yp);
	cg_endfor(g, &l);
}

/* col2im: every (m, tap, kernel column) row of cols added into y. */
static void convt_scatter(cg *g, const convt_ctx *u)
{
	const cgeo *x = u->x;
	lin_loopv lm, lt, lr;
	LLVMValueRef m = lin_loop(g, &lm, x->mg);
	LLVMValueRef t = lin_loop(g, &lt, u->taps);
	LLVMValueRef ym = lin_gep(g, u->y, mul_i(g, m, x->out_sz));
	LLVMValueRef crow0 = mul_i(g, add_i(g, mul_i(g, m, x->k_sz), mul_i(g, t, u->kw)), x->in_sz);
	LLVMValueRef r = lin_loop(g, &lr, u->in_rows);
	LLVMValueRef orow = table_load(g, u->tab, add_i(g, mul_i(g, r, u->taps), t));
	cg_if_t ok;
	cg_if(g, &ok, LLVMBuildICmp(g->b, LLVMIntSGE, orow, cg_i64(g, 0), ""));
	for (int64_t kx = 0; kx < u->kw; kx++) {
		LLVMValueRef crow = lin_gep(g, u->cols, add_i(g, crow0, cg_i64(g, kx * x->in_sz)));
		convt_segment(g, u, lin_gep(g, ym, orow), lin_gep(g, crow, mul_i(g, r, u->iw)), kx);
	}
	cg_endif(g, &ok);
	lin_endloop(g, &lr);
	lin_endloop(g, &lt);
	lin_endloop(g, &lm);
}

/* y's output planes of one group: the bias, or 0. */
static void convt_init(cg *g, const convt_ctx *u, LLVMValueRef bias, LLVMValueRef m0, int vl)
{
	const cgeo *x = u->x;
	lin_loopv lm;
	LLVMValueRef m = lin_loop(g, &lm, x->mg);
	LLVMValueRef yp = lin_gep(g, u->y, mul_i(g, m, x->out_sz));
	LLVMValueRef v = cg_f32(g, 0);
	if (bias)
		v = LLVMBuildLoad2(g->b, g->t_f32, lin_gep(g, bias, add_i(g, m0, m)), "");
	cg_loop l;
	LLVMValueRef i = mul_i(g, cg_fori(g, &l, 0, x->out_sz / vl, 1), vl);
	lin_store_vec(g, lin_gep(g, yp, i), lin_splat(g, v, vl), vl, vl);
	cg_endfor(g, &l);
	for (int64_t i2 = x->out_sz / vl * vl; i2 < x->out_sz; i2++)
		LLVMBuildStore(g->b, v, lin_gepc(g, yp, i2));
	lin_endloop(g, &lm);
}

typedef struct convt_ops {
	LLVMValueRef xp, w, bias, y;    /* f32 */
	bool wpacked;
	int64_t wgroup;
} convt_ops;

static void convt_emit(cg *g, const lin_tile *t, const cgeo *x, const convt_ops *p, LLVMValueRef cols)
{
	int o = x->n - 1;
	convt_ctx u = {.x = x, .iw = x->in[o], .ow = x->out[o], .kw = x->k[o], .taps = x->k_sz / x->k[o],
		       .cols = cols};
	u.in_rows = u.iw ? x->in_sz / u.iw : 0;
	u.tab = i32_table(g, row_table(g, x, x->in, x->out, u.in_rows, u.taps), u.in_rows * u.taps);
	lin_loopv lb, lg;
	LLVMValueRef bi = lin_loop(g, &lb, x->batch);
	LLVMValueRef gi = lin_loop(g, &lg, x->group);
	LLVMValueRef m0 = mul_i(g, gi, x->mg);
	LLVMValueRef chan = add_i(g, mul_i(g, bi, x->c), mul_i(g, gi, x->cg));
	lin_a a = {lin_gep(g, p->w, mul_i(g, gi, p->wgroup)), 1, x->mg * x->k_sz, p->wpacked};
	lin_b b = {lin_gep(g, p->xp, mul_i(g, chan, x->in_sz)), x->in_sz, false, false};
	lin_epi e = {.y = cols, .y_rs = x->in_sz, .alpha = 1};
	lin_gemm(g, t, x->mg * x->k_sz, x->in_sz, x->cg, &a, &b, &e);
	u.y = lin_gep(g, p->y, mul_i(g, add_i(g, mul_i(g, bi, x->m), m0), x->out_sz));
	convt_init(g, &u, p->bias, m0, t->vl);
	convt_scatter(g, &u);
	lin_endloop(g, &lg);
	lin_endloop(g, &lb);
}

int cg_k_convtranspose(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	ir_dtype dt = out[0].type->dtype;
	cgeo x;
	lin_tile t;
	convt_ops p = {0};
	int64_t ws = 0, ny = cg_numel(out[0].type);
	if (!ir_dtype_is_float(dt))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	convt_geo(op, in[0].type, in[1].type, out[0].type, &x);
	if (!fits_i32(&x))
		return cg_unsupported(g, op, "planes of 2^31 or more elements");
	g->macs += x.batch * x.c * x.mg * x.k_sz * x.in_sz;
	if (ny == 0)
		return 0;
	lin_tile_for(g, &t);
	lin_src sx = {NULL, in[0].konst, dt, cg_numel(in[0].type)};
	lin_src sw = {NULL, in[1].konst, dt, cg_numel(in[1].type)};
	p.xp = lin_src_ptr(g, &sx, &in[0], &ws);
	if (in[1].konst) {
		wmat wm = {&sw, x.mg * x.k_sz, x.cg};
		p.w = lin_pack_a(g, &t, x.group, x.mg * x.k_sz, x.cg, convt_w_get, &wm, &p.wgroup);
		p.wpacked = true;
	} else {
		p.w = lin_src_ptr(g, &sw, &in[1], &ws);
		p.wgroup = x.cg * x.mg * x.k_sz;
	}
	if (op->n_in > 2 && in[2].ptr) {
		lin_src sb = {NULL, in[2].konst, dt, cg_numel(in[2].type)};
		p.bias = lin_src_ptr(g, &sb, &in[2], &ws);
	}
	p.y = dt == IR_F32 ? out[0].ptr : lin_ws_take(g, &ws, ny * 4);
	LLVMValueRef cols = lin_ws_take(g, &ws, x.mg * x.k_sz * x.in_sz * 4);
	if (lin_ws_check(g, op, ws) < 0)
		return -1;
	convt_emit(g, &t, &x, &p, cols);
	if (dt != IR_F32) {
		ir_activation none = {IR_ACT_NONE, 0, 0, 0};
		lin_f16_out(g, p.y, out[0].ptr, ny, &none);
	}
	return 0;
}
