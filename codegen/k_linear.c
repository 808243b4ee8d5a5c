/*
** k_linear.c - emitters of the matmul family (MatMul; QLinearMatMul and
** MatMulInteger go to k_quant.c) and of Gemm.
**
** Float products run on the GEMM engine of k_gemm.c: A is read with any
** strides (so transA and batch broadcasting cost nothing), B must be
** contiguous along n.  A constant B (a weight matrix) is packed at compile
** time in the micro-kernel's panel order, which also absorbs transB; a
** run-time B with transB is transposed into the workspace first.  f16
** operands are widened to f32 (constants at compile time), the product is
** computed into an f32 workspace buffer and rounded at the end.
**
** Integer products are exact wrapping i64 sums in plain loops, as the
** interpreter computes them (they are rare and never MAC-heavy in
** practice).
*/
#include <string.h>

#include "codegen/k_linear.h"
#include "ir/requant.h"

/* ---- MatMul geometry (numpy matmul, as interp/k_linear.c) --------------- */

typedef struct mm_geo {
	int64_t m, k, n;
	int nb;                         /* batch rank of the result */
	int64_t bt[IR_MAX_RANK];        /* broadcast batch dims */
	int64_t as[IR_MAX_RANK];        /* A's stride per batch dim in matrices; 0 when broadcast */
	int64_t bs[IR_MAX_RANK];
	int64_t nmat_b;                 /* matrices in B */
} mm_geo;

/* Strides (in matrices) of an operand with na batch dims right-aligned
** in nb; its non-1 dims go to bt. */
static void batch_strides(const int64_t *dims, int na, int nb, int64_t *st, int64_t *bt)
{
	int64_t s = 1;
	for (int i = nb - 1; i >= 0; i--) {
		int j = i - (nb - na);
		int64_t d = j >= 0 ? dims[j] : 1;
		st[i] = d == 1 ? 0 : s;
		s *= d;
		if (d != 1)
			bt[i] = d;
	}
}

static void mm_geometry(const ir_type *a, const ir_type *b, mm_geo *x)
{
	int ra = a->rank, rb = b->rank, na = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
	*x = (mm_geo){.m = ra > 1 ? a->dims[ra - 2] : 1, .k = a->dims[ra - 1],
		      .n = rb > 1 ? b->dims[rb - 1] : 1, .nb = na > nbb ? na : nbb, .nmat_b = 1};
	for (int i = 0; i < x->nb; i++)
		x->bt[i] = 1;
	batch_strides(a->dims, na, x->nb, x->as, x->bt);
	batch_strides(b->dims, nbb, x->nb, x->bs, x->bt);
	for (int i = 0; i < nbb; i++)
		x->nmat_b *= b->dims[i];
	/* One B for every batch: the batches of A are just more rows. */
	if (nbb == 0) {
		for (int i = 0; i < x->nb; i++)
			x->m *= x->bt[i];
		x->nb = 0;
	}
}

/* The body of one matrix product: matrix ao of A, bo of B, t of Y (i64). */
typedef void mm_body(cg *g, void *ud, LLVMValueRef ao, LLVMValueRef bo, LLVMValueRef t);

/* Nested loops over the batch dims from d on. */
static void batch_nest(cg *g, const mm_geo *x, int d, LLVMValueRef ao, LLVMValueRef bo, LLVMValueRef t,
		       mm_body *f, void *ud)
{
	if (d == x->nb) {
		f(g, ud, ao, bo, t);
		return;
	}
	LLVMBuilderRef b = g->b;
	lin_loopv l;
	LLVMValueRef i = lin_loop(g, &l, x->bt[d]);
	LLVMValueRef ao2 = LLVMBuildNSWAdd(b, ao, LLVMBuildNSWMul(b, i, cg_i64(g, x->as[d]), ""), "");
	LLVMValueRef bo2 = LLVMBuildNSWAdd(b, bo, LLVMBuildNSWMul(b, i, cg_i64(g, x->bs[d]), ""), "");
	LLVMValueRef t2 = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, t, cg_i64(g, x->bt[d]), ""), i, "");
	batch_nest(g, x, d + 1, ao2, bo2, t2, f, ud);
	lin_endloop(g, &l);
}

static LLVMValueRef scaled(cg *g, LLVMValueRef i, int64_t c)
{
	return LLVMBuildNSWMul(g->b, i, cg_i64(g, c), "");
}

/* ---- integer products ---------------------------------------------------- */

/* sum over kk of A(i, kk) B(kk, j) in wrapping i64; element (i, kk) of A
** at a0 + i*ars + kk*aks (a0 an i64 index), likewise B. */
static LLVMValueRef int_dot(cg *g, ir_dtype dt, LLVMValueRef pa, LLVMValueRef a0, int64_t aks,
			    LLVMValueRef pb, LLVMValueRef b0, int64_t bks, int64_t k)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef acc = cg_var(g, g->t_i64, "acc");
	LLVMBuildStore(b, cg_i64(g, 0), acc);
	cg_loop l;
	LLVMValueRef kk = cg_fori(g, &l, 0, k, 1);
	LLVMValueRef av = cg_load(g, dt, pa, LLVMBuildAdd(b, a0, scaled(g, kk, aks), ""));
	LLVMValueRef bv = cg_load(g, dt, pb, LLVMBuildAdd(b, b0, scaled(g, kk, bks), ""));
	LLVMValueRef s = LLVMBuildAdd(b, LLVMBuildLoad2(b, g->t_i64, acc, ""), LLVMBuildMul(b, av, bv, ""), "");
	LLVMBuildStore(b, s, acc);
	cg_endfor(g, &l);
	return LLVMBuildLoad2(b, g->t_i64, acc, "");
}

typedef struct mm_int {
	const mm_geo *x;
	ir_dtype dt;
	LLVMValueRef a, b, y;
} mm_int;

static void mm_int_body(cg *g, void *ud, LLVMValueRef ao, LLVMValueRef bo, LLVMValueRef t)
{
	const mm_int *u = ud;
	const mm_geo *x = u->x;
	LLVMBuilderRef b = g->b;
	cg_loop li, lj;
	LLVMValueRef i = cg_fori(g, &li, 0, x->m, 1);
	LLVMValueRef j = cg_fori(g, &lj, 0, x->n, 1);
	LLVMValueRef a0 = LLVMBuildAdd(b, scaled(g, ao, x->m * x->k), scaled(g, i, x->k), "");
	LLVMValueRef b0 = LLVMBuildAdd(b, scaled(g, bo, x->k * x->n), j, "");
	LLVMValueRef s = int_dot(g, u->dt, u->a, a0, 1, u->b, b0, x->n, x->k);
	LLVMValueRef yi = LLVMBuildAdd(b, scaled(g, t, x->m * x->n), LLVMBuildAdd(b, scaled(g, i, x->n), j, ""), "");
	cg_store(g, u->dt, u->y, yi, s);
	cg_endfor(g, &lj);
	cg_endfor(g, &li);
}

/* ---- float MatMul ---------------------------------------------------------- */

typedef struct mm_flt {
	const mm_geo *x;
	lin_tile t;
	LLVMValueRef a, b, y;
	bool packed;                    /* b holds packed panels per matrix */
	int64_t bmat;                   /* elements per matrix of b as stored */
} mm_flt;

static void mm_flt_body(cg *g, void *ud, LLVMValueRef ao, LLVMValueRef bo, LLVMValueRef t)
{
	const mm_flt *u = ud;
	const mm_geo *x = u->x;
	lin_a a = {lin_gep(g, u->a, scaled(g, ao, x->m * x->k)), x->k, 1, false};
	lin_b b = {lin_gep(g, u->b, scaled(g, bo, u->bmat)), x->n, u->packed, false};
	lin_epi e = {.y = lin_gep(g, u->y, scaled(g, t, x->m * x->n)), .y_rs = x->n, .alpha = 1};
	lin_gemm(g, &u->t, x->m, x->n, x->k, &a, &b, &e);
}

/* A constant operand as matrices: element (i, j) at i*rs + j*cs (i
** counts the rows of every matrix, one matrix after another, when the
** matrices are stored contiguously row-major). */
typedef struct mat_src {
	const lin_src *s;
	int64_t rs, cs;
} mat_src;

static float mat_get(const void *ud, int64_t i, int64_t j)
{
	const mat_src *m = ud;
	return lin_src_get(m->s, i * m->rs + j * m->cs);
}

static int matmul_float(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out, const mm_geo *x)
{
	int64_t ws = 0, ny = cg_numel(out[0].type);
	ir_dtype dt = out[0].type->dtype;
	mm_flt u = {.x = x, .bmat = x->k * x->n};
	lin_src sa = {NULL, in[0].konst, dt, cg_numel(in[0].type)};
	lin_src sb = {NULL, in[1].konst, dt, cg_numel(in[1].type)};
	lin_tile_for(g, &u.t);
	u.a = lin_src_ptr(g, &sa, &in[0], &ws);
	if (in[1].konst) {
		mat_src ms = {&sb, x->n, 1};
		u.b = lin_pack_b(g, &u.t, x->nmat_b, x->k, x->n, mat_get, &ms, &u.bmat);
		u.packed = true;
	} else {
		u.b = lin_src_ptr(g, &sb, &in[1], &ws);
	}
	u.y = dt == IR_F32 ? out[0].ptr : lin_ws_take(g, &ws, ny * 4);
	if (lin_ws_check(g, op, ws) < 0)
		return -1;
	batch_nest(g, x, 0, cg_i64(g, 0), cg_i64(g, 0), cg_i64(g, 0), mm_flt_body, &u);
	if (dt != IR_F32) {
		ir_activation none = {IR_ACT_NONE, 0, 0, 0};
		lin_f16_out(g, u.y, out[0].ptr, ny, &none);
	}
	return 0;
}

int cg_k_matmul(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	if (op->kind != IR_OP_MATMUL)
		return cg_k_qlinear(g, op, in, out);
	if (ir_op_is_quantized(g->g, op))
		return cg_int8_linear(g, op, in, out);
	mm_geo x;
	ir_dtype dt = out[0].type->dtype;
	mm_geometry(in[0].type, in[1].type, &x);
	if (cg_numel(out[0].type) == 0)
		return 0;
	int64_t batches = cg_numel(out[0].type) / (x.m * x.n);
	g->macs += batches * x.m * x.n * x.k;
	if (ir_dtype_is_float(dt))
		return matmul_float(g, op, in, out, &x);
	if (!ir_dtype_is_int(dt))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	mm_int u = {&x, dt, in[0].ptr, in[1].ptr, out[0].ptr};
	batch_nest(g, &x, 0, cg_i64(g, 0), cg_i64(g, 0), cg_i64(g, 0), mm_int_body, &u);
	return 0;
}

/* ---- Gemm ------------------------------------------------------------------- */

typedef struct gemm_geo {
	int64_t m, k, n;
	bool ta, tb;
	float alpha, beta;
	bool has_c;                     /* C present and beta != 0 */
	int64_t c_rs, c_cs;             /* C(i, j) at i*c_rs + j*c_cs */
} gemm_geo;

static void gemm_geometry(const ir_op *op, const cg_buf *in, gemm_geo *x)
{
	const ir_type *a = in[0].type, *b = in[1].type;
	*x = (gemm_geo){.ta = ir_op_int(op, "transA", 0) != 0, .tb = ir_op_int(op, "transB", 0) != 0,
			.alpha = ir_op_float(op, "alpha", 1), .beta = ir_op_float(op, "beta", 1)};
	x->m = a->dims[x->ta];
	x->k = a->dims[1 - x->ta];
	x->n = b->dims[1 - x->tb];
	x->has_c = x->beta != 0 && op->n_in > 2 && in[2].ptr;
	if (x->has_c) {
		const ir_type *c = in[2].type;
		int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
		x->c_rs = cm == 1 ? 0 : cn;
		x->c_cs = cn == 1 ? 0 : 1;
	}
}

/* Integer Gemm: exact when alpha and beta are 1, else in double and
** truncated with saturation, as the interpreter. */
static LLVMValueRef gemm_int_scale(cg *g, const gemm_geo *x, LLVMValueRef s, LLVMValueRef c)
{
	LLVMBuilderRef b = g->b;
	if (x->alpha == 1 && x->beta == 1)
		return LLVMBuildAdd(b, s, c, "");
	LLVMTypeRef f64 = g->t_f64;
	LLVMValueRef v = LLVMBuildFMul(b, LLVMBuildSIToFP(b, s, f64, ""), LLVMConstReal(f64, x->alpha), "");
	v = LLVMBuildFAdd(b, v, LLVMBuildFMul(b, LLVMBuildSIToFP(b, c, f64, ""), LLVMConstReal(f64, x->beta), ""), "");
	const char *name = "llvm.fptosi.sat";
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMTypeRef tys[2] = {g->t_i64, f64};
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, tys, 2);
	return LLVMBuildCall2(b, LLVMIntrinsicGetType(g->lc, id, tys, 2), fn, &v, 1, "");
}

static void gemm_int(cg *g, const cg_buf *in, const cg_buf *out, const gemm_geo *x)
{
	LLVMBuilderRef b = g->b;
	ir_dtype dt = out[0].type->dtype;
	cg_loop li, lj;
	LLVMValueRef i = cg_fori(g, &li, 0, x->m, 1);
	LLVMValueRef j = cg_fori(g, &lj, 0, x->n, 1);
	LLVMValueRef a0 = scaled(g, i, x->ta ? 1 : x->k), b0 = scaled(g, j, x->tb ? x->k : 1);
	LLVMValueRef s = int_dot(g, dt, in[0].ptr, a0, x->ta ? x->m : 1, in[1].ptr, b0, x->tb ? 1 : x->n, x->k);
	LLVMValueRef c = cg_i64(g, 0);
	if (x->has_c)
		c = cg_load(g, in[2].type->dtype, in[2].ptr,
			    LLVMBuildAdd(b, scaled(g, i, x->c_rs), scaled(g, j, x->c_cs), ""));
	cg_store(g, dt, out[0].ptr, LLVMBuildAdd(b, scaled(g, i, x->n), j, ""), gemm_int_scale(g, x, s, c));
	cg_endfor(g, &lj);
	cg_endfor(g, &li);
}

/* B^T [n, k] (run time) into bt [k, n]. */
static void transpose_b(cg *g, LLVMValueRef src, LLVMValueRef bt, int64_t k, int64_t n)
{
	cg_loop lj, lk;
	LLVMValueRef j = cg_fori(g, &lj, 0, n, 1);
	LLVMValueRef kk = cg_fori(g, &lk, 0, k, 1);
	LLVMValueRef si = LLVMBuildNSWAdd(g->b, scaled(g, j, k), kk, "");
	LLVMValueRef di = LLVMBuildNSWAdd(g->b, scaled(g, kk, n), j, "");
	LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_f32, lin_gep(g, src, si), "");
	LLVMBuildStore(g->b, v, lin_gep(g, bt, di));
	cg_endfor(g, &lk);
	cg_endfor(g, &lj);
}

/* Operand B of a float Gemm: packed when constant, else [k, n] at run time. */
static void gemm_b_operand(cg *g, const cg_buf *in, const gemm_geo *x, const lin_tile *t, lin_src *sb,
			   lin_b *b, int64_t *ws)
{
	*b = (lin_b){.ks = x->n};
	if (sb->konst) {
		int64_t per;
		mat_src ms = {sb, x->tb ? 1 : x->n, x->tb ? x->k : 1};
		b->p = lin_pack_b(g, t, 1, x->k, x->n, mat_get, &ms, &per);
		b->packed = true;
		return;
	}
	b->p = lin_src_ptr(g, sb, &in[1], ws);
	if (x->tb) {
		LLVMValueRef bt = lin_ws_take(g, ws, x->k * x->n * 4);
		transpose_b(g, b->p, bt, x->k, x->n);
		b->p = bt;
	}
}

static int gemm_float(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out, const gemm_geo *x)
{
	ir_dtype dt = out[0].type->dtype;
	int64_t ws = 0, ny = x->m * x->n;
	lin_tile t;
	ir_activation act;
	if (ir_op_activation(op, &act) < 0)
		return cg_unsupported(g, op, "its fused activation attributes");
	lin_tile_for(g, &t);
	lin_src sa = {NULL, in[0].konst, dt, cg_numel(in[0].type)};
	lin_src sb = {NULL, in[1].konst, dt, cg_numel(in[1].type)};
	lin_a a = {lin_src_ptr(g, &sa, &in[0], &ws), x->ta ? 1 : x->k, x->ta ? x->m : 1, false};
	lin_b b;
	gemm_b_operand(g, in, x, &t, &sb, &b, &ws);
	lin_epi e = {.y = out[0].ptr, .y_rs = x->n, .alpha = x->alpha, .beta = x->beta, .act = act};
	if (x->has_c) {
		lin_src sc = {NULL, in[2].konst, dt, cg_numel(in[2].type)};
		e.c = lin_src_ptr(g, &sc, &in[2], &ws);
		e.c_rs = x->c_rs;
		e.c_cs = x->c_cs;
	}
	if (dt != IR_F32) {
		e.y = lin_ws_take(g, &ws, ny * 4);
		e.act.kind = IR_ACT_NONE;
	}
	if (lin_ws_check(g, op, ws) < 0)
		return -1;
	lin_gemm(g, &t, x->m, x->n, x->k, &a, &b, &e);
	if (dt != IR_F32)
		lin_f16_out(g, e.y, out[0].ptr, ny, &act);
	return 0;
}

int cg_k_gemm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	if (ir_op_is_quantized(g->g, op))
		return cg_int8_linear(g, op, in, out);
	gemm_geo x;
	ir_dtype dt = out[0].type->dtype;
	gemm_geometry(op, in, &x);
	g->macs += x.m * x.n * x.k;
	if (x.m * x.n == 0)
		return 0;
	if (ir_dtype_is_float(dt))
		return gemm_float(g, op, in, out, &x);
	if (!ir_dtype_is_int(dt))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	if (ir_op_attr(op, "activation") && strcmp(ir_op_str(op, "activation", "none"), "none"))
		return cg_unsupported(g, op, "a fused activation on integers");
	/* Scaling goes through double, and i64 <-> double conversions are
	** library calls on 32-bit targets. */
	if ((x.alpha != 1 || x.beta != 1) && LLVMPointerSize(g->td) < 8)
		return cg_unsupported(g, op, "integer operands with alpha or beta other than 1 on a 32-bit target");
	gemm_int(g, in, out, &x);
	return 0;
}

/* ---- workspaces --------------------------------------------------------------- */

/* f32 copies of run-time f16 operands, the f32 result, B transposed. */
int64_t lin_matmul_workspace(const ir_graph *gr, const ir_op *op)
{
	const ir_type *y = ir_type_of(gr, op->out[0]);
	int64_t ws = 0;
	bool half = y->dtype == IR_F16;
	if (op->kind == IR_OP_GEMM && ir_dtype_is_float(y->dtype) && ir_op_int(op, "transB", 0) &&
	    !ir_const_of(gr, op->in[1])) {
		const ir_type *b = ir_type_of(gr, op->in[1]);
		ws += lin_ws_bytes(cg_numel(b) * 4);
	}
	if (!half)
		return ws;
	for (int32_t i = 0; i < op->n_in; i++)
		if (op->in[i] != IR_NOVAL && !ir_const_of(gr, op->in[i]))
			ws += lin_ws_bytes(cg_numel(ir_type_of(gr, op->in[i])) * 4);
	return ws + lin_ws_bytes(cg_numel(y) * 4);
}
