/*
** k_int8_plan.c - what the fast int8 kernels need to know about an op
** (i8_plan, k_int8.h): its parameters as compile-time constants, read
** from the operands of QLinearConv, ConvInteger, QLinearMatMul and
** MatMulInteger, or from the quantization parameters on the types of a
** quantized Conv, MatMul or Gemm (ir_qop_params); the shapes the
** algorithms work on; the workspace they take.
**
** The workspace is computed here once for the planner (cg_workspace, with
** the target's vector width or a bound) and for the emitters, so the two
** cannot disagree.  Packed activations are sized at I8_ESZ_BOUND bytes:
** the signed-byte flavor (sdot) uses half of that.
*/
#include <math.h>
#include <string.h>

#include "codegen/k_int8.h"
#include "ir/requant.h"

int64_t i8_ws_bytes(int64_t b)
{
	return (b + 63) / 64 * 64;
}

static int64_t round_up(int64_t a, int64_t m)
{
	return (a + m - 1) / m * m;
}

/* ---- constant operands of the ONNX integer ops ------------------------------------------- */

typedef struct opnd {
	const ir_type *ty;              /* NULL when absent */
	const ir_blob *k;               /* NULL when not a constant */
} opnd;

static int64_t numel_of(const opnd *o)
{
	return o->ty ? cg_numel(o->ty) : 0;
}

/* Element i of an integer operand (u8, i8, i32) whose bytes are d. */
static int64_t int_at(const uint8_t *d, ir_dtype dt, int64_t i)
{
	switch (dt) {
	case IR_U8: return d[i];
	case IR_I8: return (int8_t)d[i];
	case IR_I32: {
		int32_t v;
		memcpy(&v, d + 4 * i, 4);
		return v;
	}
	default: return 0;
	}
}

/* Element i of a scalar-or-1-D integer parameter (one element serves
** every index); 0 when absent. */
static int64_t kint(const opnd *o, int64_t i)
{
	if (!o->ty)
		return 0;
	return int_at(o->k->data, o->ty->dtype, numel_of(o) == 1 ? 0 : i);
}

static float kf32(const opnd *o, int64_t i)
{
	float v;
	memcpy(&v, o->k->data + 4 * (numel_of(o) == 1 ? 0 : i), 4);
	return v;
}

/* An operand that is absent, or a constant of dtype dt (any for
** IR_NDTYPES) with 1 or n elements. */
static bool param_ok(const opnd *o, ir_dtype dt, int64_t n)
{
	if (!o->ty)
		return true;
	if (!o->k || (dt != IR_NDTYPES && o->ty->dtype != dt))
		return false;
	return numel_of(o) == 1 || numel_of(o) == n;
}

static bool is_q8(ir_dtype dt)
{
	return dt == IR_U8 || dt == IR_I8;
}

/* The operands of an ONNX integer op in one order:
** x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias. */
enum { OX, OXS, OXZ, OW, OWS, OWZ, OYS, OYZ, OB, NOPND };

static void gather(const ir_graph *gr, const ir_op *op, opnd *o)
{
	static const int qlinear[NOPND] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	static const int integer[NOPND] = {0, -1, 2, 1, -1, 3, -1, -1, -1};
	bool q = op->kind == IR_OP_QLINEARCONV || op->kind == IR_OP_QLINEARMATMUL;
	for (int i = 0; i < NOPND; i++) {
		int j = q ? qlinear[i] : integer[i];
		o[i] = (opnd){NULL, NULL};
		if (j >= 0 && j < op->n_in && op->in[j] != IR_NOVAL)
			o[i] = (opnd){ir_type_of(gr, op->in[j]), ir_const_of(gr, op->in[j])};
	}
}

/* ---- parameters ------------------------------------------------------------------------------- */

/* Shared by both sources: one shift if possible, uniformity, the clamp. */
static int finish_rules(i8_plan *p)
{
	p->shift_uniform = i8_rq_common_shift(p->rq, p->n);
	p->mult_uniform = p->shift_uniform;
	for (int64_t c = 1; c < p->n; c++)
		p->mult_uniform &= p->rq[c].mult == p->rq[0].mult;
	p->acc_bound = i8_rq_acc_bound(p->rq, p->n);
	return p->acc_bound < 0 ? -1 : 0;
}

/* QLinear*: channel c's multiplier (x_scale * w_scale[c]) / y_scale in f32,
** as the interpreter computes it, and its rule. */
static int qlinear_rules(ir_ctx *c, const opnd *o, i8_plan *p)
{
	p->rq = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->rq);
	for (int64_t ch = 0; ch < p->n; ch++) {
		float xw = kf32(&o[OXS], 0) * kf32(&o[OWS], ch);
		if (i8_rq_qlinear(xw / kf32(&o[OYS], 0), &p->rq[ch]) < 0)
			return -1;
		p->ties_even |= i8_rq_has_ties(&p->rq[ch]);
	}
	p->zero = (int32_t)kint(&o[OYZ], 0);
	p->lo = p->y->dtype == IR_U8 ? 0 : -128;
	p->hi = p->y->dtype == IR_U8 ? 255 : 127;
	return finish_rules(p);
}

/* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger: every parameter
** an operand, constant here; per channel only w's (and y's for none). */
static int from_operands(ir_ctx *c, const ir_graph *gr, const ir_op *op, i8_plan *p)
{
	opnd o[NOPND];
	gather(gr, op, o);
	int64_t n = p->n;
	p->requant = op->kind == IR_OP_QLINEARCONV || op->kind == IR_OP_QLINEARMATMUL;
	if (!o[OX].ty || !o[OW].k || !is_q8(o[OX].ty->dtype) || !is_q8(o[OW].ty->dtype))
		return -1;
	if (p->requant ? !is_q8(p->y->dtype) : p->y->dtype != IR_I32)
		return -1;
	if (!param_ok(&o[OXZ], IR_NDTYPES, 1) || !param_ok(&o[OWZ], IR_NDTYPES, n) ||
	    !param_ok(&o[OB], IR_I32, n) || (o[OB].ty && numel_of(&o[OB]) != n))
		return -1;
	p->xt = o[OX].ty->dtype;
	p->w = o[OW].k->data;
	p->wt = o[OW].ty->dtype;
	p->zx = (int32_t)kint(&o[OXZ], 0);
	p->zw = ir_alloc_array(c, (size_t)n + 1, sizeof *p->zw);
	for (int64_t ch = 0; ch < n; ch++)
		p->zw[ch] = (int32_t)kint(&o[OWZ], ch);
	if (o[OB].ty) {
		p->bias = ir_alloc_array(c, (size_t)n + 1, sizeof *p->bias);
		for (int64_t ch = 0; ch < n; ch++)
			p->bias[ch] = kint(&o[OB], ch);
	}
	if (!p->requant)
		return 0;
	if (!param_ok(&o[OXS], IR_F32, 1) || !param_ok(&o[OWS], IR_F32, n) || !param_ok(&o[OYS], IR_F32, 1) ||
	    !param_ok(&o[OYZ], IR_NDTYPES, 1) || !o[OXS].ty || !o[OWS].ty || !o[OYS].ty || !o[OYZ].ty)
		return -1;
	return qlinear_rules(c, o, p);
}

/* Conv, MatMul, Gemm on quantized types: the parameters come from the
** types (ir_qop_params); weights and bias are constants. */
static int from_types(ir_ctx *c, const ir_graph *gr, const ir_op *op, int wi, int bi, i8_plan *p)
{
	ir_qop q;
	const ir_type *x = ir_type_of(gr, op->in[0]);
	const ir_blob *w = ir_const_of(gr, op->in[wi]);
	if (ir_qop_params(gr, op, &q) < 0 || !w || !is_q8(x->dtype) || !is_q8(p->y->dtype) ||
	    (q.n_ch != 1 && q.n_ch != p->n))
		return -1;
	p->requant = true;
	p->xt = x->dtype;
	p->w = w->data;
	p->wt = ir_type_of(gr, op->in[wi])->dtype;
	if (!is_q8(p->wt))
		return -1;
	p->zx = q.in_zero[0];
	p->zw = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->zw);
	p->rq = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->rq);
	for (int64_t ch = 0; ch < p->n; ch++) {
		int64_t k = q.n_ch == 1 ? 0 : ch;
		p->zw[ch] = q.w_zero[k];
		p->rq[ch] = (i8_rq){q.rq[k].mult, q.rq[k].shift};
	}
	if (bi < op->n_in && op->in[bi] != IR_NOVAL) {
		opnd b = {ir_type_of(gr, op->in[bi]), ir_const_of(gr, op->in[bi])};
		if (!b.k || b.ty->dtype != IR_I32 || (numel_of(&b) != 1 && numel_of(&b) != p->n))
			return -1;
		p->bias = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->bias);
		for (int64_t ch = 0; ch < p->n; ch++)
			p->bias[ch] = kint(&b, ch);
	}
	p->zero = q.y_zero;
	p->lo = (int32_t)q.lo;
	p->hi = (int32_t)q.hi;
	return finish_rules(p);
}

int64_t i8_weight(const i8_plan *p, int64_t ch, int64_t j)
{
	return int_at(p->w, p->wt, ch * p->wcs + j * p->wjs);
}

/* Each channel's weight offset and residual zero point (see k_int8.h). */
static void weight_offsets(ir_ctx *c, i8_plan *p)
{
	p->wo = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->wo);
	p->rz = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->rz);
	p->colsum = false;
	for (int64_t ch = 0; ch < p->n; ch++) {
		bool fits = true;
		for (int64_t j = 0; j < p->depth && fits; j++) {
			int64_t v = i8_weight(p, ch, j) - p->zw[ch];
			fits = v >= -128 && v <= 127;
		}
		p->wo[ch] = fits ? p->zw[ch] : p->wt == IR_U8 ? 128 : 0;
		p->rz[ch] = p->zw[ch] - p->wo[ch];
		p->colsum |= p->rz[ch] != 0;
	}
}

/* ---- shapes ----------------------------------------------------------------------------------------- */

int i8_dw_flat_geo(const i8_plan *p, int vl, i8_dw_flat *f)
{
	if (p->dh != 1 || p->dw != 1 || p->sh != p->sw || (p->sw != 1 && p->sw != 2))
		return -1;
	int64_t s = p->sw, np = (p->kw + 1) / 2, rows = (p->oh - 1) * s + p->kh;
	f->pitch = s == 1 ? p->ow + p->kw - 1 : round_up((p->ow - 1) * 2 + p->kw, 2);
	f->q = f->pitch / s;
	f->ng = s == 1 ? 2 : 4;
	f->tile = f->ng * (s == 1 ? 2 : 1) * (int64_t)vl;
	f->tiles = ((p->oh - 1) * f->q + p->ow + f->tile - 1) / f->tile;
	f->stage = f->tiles * f->tile;
	/* The last element a tile's loads reach (dw_pair_sums). */
	int64_t q0 = f->stage - f->tile, reach = 2 * (np - 1) + 2 * (int64_t)f->ng * vl;
	int64_t last = s == 1 ? q0 + (p->kh - 1) * f->pitch + reach : 2 * q0 + (p->kh - 1) / 2 * f->pitch + reach;
	int64_t have = (s == 1 ? rows : (rows + 1) / 2) * f->pitch;
	f->plane = last + 1 > have ? last + 1 : have;
	return 0;
}

/* The 2-D view of a 1-D or 2-D conv, the algorithm and the packed input. */
static int conv_shape(i8_plan *p, int vec_bytes)
{
	const i8_cgeo *g = &p->geo;
	int a = g->n == 2 ? 0 : -1, b = g->n - 1;
	if (g->n < 1 || g->n > 2 || g->in_sz >= INT32_MAX || g->out_sz >= INT32_MAX)
		return -1;
	p->ih = a < 0 ? 1 : g->in[a];
	p->oh = a < 0 ? 1 : g->out[a];
	p->kh = a < 0 ? 1 : g->k[a];
	p->sh = a < 0 ? 1 : g->s[a];
	p->dh = a < 0 ? 1 : g->d[a];
	p->ph = a < 0 ? 0 : g->pb[a];
	p->iw = g->in[b], p->ow = g->out[b], p->kw = g->k[b], p->sw = g->s[b], p->dw = g->d[b], p->pw = g->pb[b];
	if (p->ph < 0 || p->pw < 0 || p->oh <= 0 || p->ow <= 0 || p->kh <= 0 || p->kw <= 0)
		return -1;
	p->PH = (p->oh - 1) * p->sh + (p->kh - 1) * p->dh + 1;
	p->PW = (p->ow - 1) * p->sw + (p->kw - 1) * p->dw + 1;
	p->depthwise = g->cg == 1 && p->kh * p->kw <= I8_DW_MAX_TAPS;
	if (p->depthwise) {
		/* The plane also holds the reach of whole vectors of vl lanes. */
		int vl = vec_bytes > 0 ? vec_bytes / 4 : 16;
		vl = vl < 1 ? 1 : vl > 16 ? 16 : vl;
		p->PW = round_up(p->ow, vl) * p->sw + (p->kw - 1) * p->dw + vl;
		p->colsum = false;              /* its weights are exact i16 */
		p->ws = i8_ws_bytes(p->PH * p->PW * 2);
		i8_dw_flat f;
		if (i8_dw_flat_geo(p, vl, &f) == 0) {
			int64_t ws = i8_ws_bytes(f.plane * 2 * p->sw) + i8_ws_bytes(f.stage * 4);
			p->ws = ws > p->ws ? ws : p->ws;
		}
		return 0;
	}
	p->Cp = round_up(g->cg, 4);
	p->ws = i8_ws_bytes(p->PH * p->PW * p->Cp * I8_ESZ_BOUND);
	if (p->colsum)
		p->ws += i8_ws_bytes(p->PH * p->PW * 4) + i8_ws_bytes(p->oh * p->ow * 4);
	return 0;
}

static int plan_conv(const ir_graph *gr, const ir_op *op, int vec_bytes, i8_plan *p)
{
	int wi = op->kind == IR_OP_QLINEARCONV ? 3 : 1;
	if (wi >= op->n_in || op->in[wi] == IR_NOVAL)
		return -1;
	const ir_type *x = ir_type_of(gr, op->in[0]), *w = ir_type_of(gr, op->in[wi]);
	if (x->rank < 3 || w->rank != x->rank)
		return -1;
	i8_conv_geo(op, x, w, p->y, &p->geo);
	p->conv = true;
	p->n = p->geo.m;
	p->depth = p->geo.cg * p->geo.k_sz;
	p->wcs = p->depth;
	p->wjs = 1;
	int rc = op->kind == IR_OP_CONV ? from_types(gr->ctx, gr, op, 1, 2, p) : from_operands(gr->ctx, gr, op, p);
	if (rc < 0)
		return -1;
	weight_offsets(gr->ctx, p);
	return conv_shape(p, vec_bytes);
}

/* a [..., rows, K] (or Gemm's [K, rows] with transA) times a constant
** [K, N] (or [N, K] with transB). */
static int plan_matmul(const ir_graph *gr, const ir_op *op, i8_plan *p)
{
	bool gemm = op->kind == IR_OP_GEMM;
	int wi = op->kind == IR_OP_QLINEARMATMUL ? 3 : 1;
	if (wi >= op->n_in || op->in[wi] == IR_NOVAL)
		return -1;
	const ir_type *a = ir_type_of(gr, op->in[0]), *b = ir_type_of(gr, op->in[wi]);
	bool ta = gemm && ir_op_int(op, "transA", 0), tb = gemm && ir_op_int(op, "transB", 0);
	if (a->rank < 1 || b->rank != 2 || (gemm && (a->rank != 2 || ir_op_float(op, "alpha", 1) != 1 ||
						     ir_op_float(op, "beta", 1) != 1)))
		return -1;
	p->k = b->dims[tb ? 1 : 0];
	p->n = b->dims[tb ? 0 : 1];
	p->rows = ta ? a->dims[1] : cg_numel(a) / (p->k > 0 ? p->k : 1);
	if (p->k <= 0 || a->dims[ta ? 0 : a->rank - 1] != p->k || cg_numel(a) >= INT32_MAX)
		return -1;
	p->ars = ta ? 1 : p->k;
	p->aks = ta ? p->rows : 1;
	p->depth = p->k;
	p->wcs = tb ? p->k : 1;
	p->wjs = tb ? 1 : p->n;
	int rc = op->kind == IR_OP_MATMUL || gemm ? from_types(gr->ctx, gr, op, 1, 2, p)
						   : from_operands(gr->ctx, gr, op, p);
	if (rc < 0)
		return -1;
	weight_offsets(gr->ctx, p);
	p->ws = i8_ws_bytes(p->rows * round_up(p->k, 4) * I8_ESZ_BOUND);
	if (p->colsum)
		p->ws += i8_ws_bytes(p->rows * 4);
	return 0;
}

int i8_plan_of(const ir_graph *gr, const ir_op *op, int vec_bytes, i8_plan *p)
{
	memset(p, 0, sizeof *p);
	if (op->n_out < 1 || op->n_in < 2 || op->in[0] == IR_NOVAL)
		return -1;
	p->y = ir_type_of(gr, op->out[0]);
	if (cg_numel(p->y) == 0)
		return -1;
	switch (op->kind) {
	case IR_OP_QLINEARCONV: case IR_OP_CONVINTEGER:
		return plan_conv(gr, op, vec_bytes, p);
	case IR_OP_QLINEARMATMUL: case IR_OP_MATMULINTEGER:
		return plan_matmul(gr, op, p);
	case IR_OP_CONV:
		return ir_op_is_quantized(gr, op) ? plan_conv(gr, op, vec_bytes, p) : -1;
	case IR_OP_MATMUL: case IR_OP_GEMM:
		return ir_op_is_quantized(gr, op) ? plan_matmul(gr, op, p) : -1;
	default:
		return -1;
	}
}

int64_t cg_int8_workspace(const ir_graph *gr, const ir_op *op, void *ud)
{
	i8_plan p;
	return i8_plan_of(gr, op, ud ? *(const int *)ud : 0, &p) < 0 ? 0 : p.ws;
}

bool cg_int8_supports(const ir_graph *gr, const ir_op *op)
{
	i8_plan p;
	bool linear = op->kind == IR_OP_CONV || op->kind == IR_OP_MATMUL || op->kind == IR_OP_GEMM;
	return linear && i8_plan_of(gr, op, 0, &p) == 0;
}
