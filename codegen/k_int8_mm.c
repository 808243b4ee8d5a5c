/*
** k_int8_mm.c - the fast int8 matrix products (QLinearMatMul,
** MatMulInteger, and MatMul and Gemm on quantized types) and the entry
** points of every fast int8 kernel (k_int8.h).
**
** A product packs the rows of its activations into the workspace (K
** elements each, padded to a multiple of 4; transposed on the way for
** Gemm's transA) and runs the GEMM engine on them against the constant
** weights, packed at compile time.
*/
#include <string.h>

#include "codegen/k_int8.h"

/* ---- matrix products ---------------------------------------------------------------------- */

static int8_t mm_w_get(const void *ud, int64_t q, int64_t tap, int64_t d, int64_t c)
{
	const i8_plan *p = ud;
	(void)q;
	(void)tap;
	return (int8_t)(i8_weight(p, c, d) - p->wo[c]);
}

/* The rows of a into the workspace, kp elements each (padding at the fill). */
static void mm_pack(cg *g, const i8_emit *m, LLVMValueRef a, LLVMValueRef ws, int64_t kp)
{
	const i8_plan *p = m->p;
	LLVMTypeRef et = i8_packed_type(g, m);
	cg_loop lr, lk;
	LLVMValueRef r = cg_fori(g, &lr, 0, p->rows, 1);
	LLVMValueRef k = cg_fori(g, &lk, 0, p->k, 1);
	LLVMValueRef src = LLVMBuildNSWAdd(g->b, i8_mul(g, r, p->ars), i8_mul(g, k, p->aks), "");
	LLVMValueRef v = i8_load(g, g->t_i8, i8_gep(g, g->t_i8, a, src));
	i8_store(g, i8_pack_x(g, m, v), i8_gep(g, et, ws, LLVMBuildNSWAdd(g->b, i8_mul(g, r, kp), k, "")));
	cg_endfor(g, &lk);
	for (int64_t j = p->k; j < kp; j++)
		i8_store(g, LLVMConstInt(et, (unsigned long long)m->fill, 1),
			 i8_gep(g, et, ws, i8_add(g, i8_mul(g, r, kp), j)));
	cg_endfor(g, &lr);
}

/* colsum[r] = the sum of row r's x - z_x. */
static void mm_colsum(cg *g, const i8_emit *m, LLVMValueRef ws, int64_t kp, LLVMValueRef cs)
{
	const i8_plan *p = m->p;
	cg_loop lr, lk;
	LLVMValueRef acc = cg_var(g, g->t_i32, "cs");
	LLVMValueRef r = cg_fori(g, &lr, 0, p->rows, 1);
	LLVMBuildStore(g->b, cg_i32(g, 0), acc);
	LLVMValueRef k = cg_fori(g, &lk, 0, p->k, 1);
	LLVMValueRef at = LLVMBuildNSWAdd(g->b, i8_mul(g, r, kp), k, "");
	LLVMValueRef v = i8_centered(g, m, i8_gep(g, i8_packed_type(g, m), ws, at));
	LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), v, ""), acc);
	cg_endfor(g, &lk);
	LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), i8_gep(g, g->t_i32, cs, r));
	cg_endfor(g, &lr);
}

void i8_emit_matmul(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	const i8_plan *p = m->p;
	int64_t per, kp = (p->k + 3) / 4 * 4;
	int64_t *wsum = ir_alloc_array(g->c, (size_t)p->n + 1, sizeof *wsum);
	for (int64_t c = 0; c < p->n; c++) {
		wsum[c] = 0;
		for (int64_t d = 0; d < p->k; d++)
			wsum[c] += mm_w_get(p, 0, 0, d, c);
	}
	i8_wts w = {i8_pack_weights(g, &m->t, 1, 1, p->k, p->n, mm_w_get, p, &per), p->n, 0};
	w.panel = per / ((p->n + m->t.nr - 1) / m->t.nr);
	i8_make_epi(g, m, wsum);
	mm_pack(g, m, in[0].ptr, g->ws, kp);
	if (p->colsum) {
		m->e.colsum = i8_gepc(g, g->t_i8, g->ws, i8_ws_bytes(p->rows * kp * I8_ESZ_BOUND));
		mm_colsum(g, m, g->ws, kp, m->e.colsum);
	}
	i8_rows a = {g->ws, p->rows, p->rows, 0, kp, 1, 1, 0, 0, (p->k + m->t.kg - 1) / m->t.kg};
	m->e.y = out[0].ptr;
	m->e.y_rs = p->n;
	m->e.y_cs = 1;
	i8_gemm(g, &m->t, &a, &w, &m->e, cg_i64(g, 0));
}

/* ---- entry points ------------------------------------------------------------------------------ */

int i8_emit_init(cg *g, const i8_plan *p, i8_emit *m)
{
	*m = (i8_emit){.p = p};
	if (i8_tile_for(g, &m->t) < 0)
		return -1;
	if (m->t.esz == 1)
		m->fill = p->xt == IR_U8 ? p->zx - 128 : p->zx;
	return 0;
}

static void emit(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	const i8_plan *p = m->p;
	if (p->conv) {
		const i8_cgeo *x = &p->geo;
		g->macs += x->batch * x->m * x->out_sz * x->cg * x->k_sz;
		i8_emit_conv(g, m, in, out);
	} else {
		g->macs += p->rows * p->n * p->k;
		i8_emit_matmul(g, m, in, out);
	}
}

int i8_try(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	i8_plan p;
	i8_emit m;
	if (i8_plan_of(g->g, op, g->vec_bytes, &p) < 0 || !g->ws || g->ws_size < p.ws ||
	    i8_emit_init(g, &p, &m) < 0)
		return I8_DECLINE;
	emit(g, &m, in, out);
	return 0;
}

int cg_int8_linear(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	i8_plan p;
	if (i8_plan_of(g->g, op, g->vec_bytes, &p) < 0)
		return cg_unsupported(g, op, "these quantized operands (the int8 kernels need constant "
				      "weights and bias, 8-bit activations and results, a 2-D weight matrix, "
				      "and for Gemm alpha = beta = 1)");
	i8_emit m;
	if (i8_emit_init(g, &p, &m) < 0)
		return cg_unsupported(g, op, "quantized operands on this target (x86-64 without SSE2)");
	if (!g->ws || g->ws_size < p.ws)
		return cg_unsupported(g, op, "this shape: internal error, %lld workspace bytes needed but "
				      "%lld planned", (long long)p.ws, (long long)g->ws_size);
	emit(g, &m, in, out);
	return 0;
}
