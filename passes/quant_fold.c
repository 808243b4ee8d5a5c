/*
** quant_fold.c - fold DequantizeLinear -> op -> QuantizeLinear chains into
** the op on quantized integer types (docs/ir.md, "Quantized arithmetic").
**
**   %xf = DequantizeLinear %xq, %sx, %zx         %y = Conv %xq, %wq, %bq
**   %wf = DequantizeLinear %wq, %sw, %zw    =>        : i8[...] quant(...)
**   %c  = Conv %xf, %wf, %bf {activation}
**   %y  = QuantizeLinear %c, %sy, %zy
**
** This is how QDQ models (ONNX Runtime's quantizer, PyTorch's exporter, and
** condense's own quantize step) become integer programs: the model's own
** scales and zero points are kept exactly.  Three steps, after giving each
** DequantizeLinear of a shared constant its own copy (unshare_consts):
**
**  1. annotate: a QuantizeLinear result, and the operand of a
**     DequantizeLinear, gets the scale and zero point of that op on its
**     type, when the parameters are constants and every consumer agrees
**     (other consumers are DequantizeLinear ops with equal parameters,
**     data-movement ops, or graph outputs);
**  2. fold: an op of a supported kind whose float operands all come from
**     DequantizeLinear of annotated values, and whose only use is a
**     QuantizeLinear, takes the quantized operands and the Q's result type;
**     the Q disappears.  A float constant bias is quantized here to i32 with
**     scale s_x * s_w[c].  The rewritten op must pass type inference (the
**     quantized rules of ir/infer.c); otherwise the chain stays as it was;
**  3. a QuantizeLinear of a DequantizeLinear with the same parameters is
**     the identity and is removed.
** Unused DequantizeLinear ops are left to dce.
*/
#include <math.h>
#include <string.h>

#include "ir/requant.h"
#include "passes/pass.h"
#include "passes/quant_fold.h"

/* ---- quantization parameters of Q/DQ operands ------------------------------ */

/* Element e of the constant v as an integer (zero points), or 0. */
static int32_t const_int(const ir_graph *g, ir_val v, int64_t e)
{
	const ir_blob *b = ir_const_of(g, v);
	switch (ir_type_of(g, v)->dtype) {
	case IR_I8: return ((const int8_t *)b->data)[e];
	case IR_U8: return ((const uint8_t *)b->data)[e];
	case IR_I16: return ((const int16_t *)b->data)[e];
	case IR_I32: return ((const int32_t *)b->data)[e];
	default: return 0;
	}
}

/* The parameters of Q/DQ op over a value of type x (operands 1 and 2), or
** false when they are not constants. */
static bool op_quant(ir_graph *g, const ir_op *op, const ir_type *x, ir_quant *q)
{
	ir_val s = op->in[1], z = op->n_in > 2 ? op->in[2] : IR_NOVAL;
	const ir_blob *sb = ir_const_of(g, s);
	if (!sb || (z != IR_NOVAL && !ir_const_of(g, z)))
		return false;
	int64_t n = (int64_t)sb->size / 4;
	int64_t axis = ir_op_int(op, "axis", 1);
	if (axis < 0)
		axis += x->rank;
	if (n < 1 || (n > 1 && (axis < 0 || axis >= x->rank || x->dims[axis] != n)))
		return false;
	float *scale = ir_alloc_array(g->ctx, (size_t)n, sizeof *scale);
	int32_t *zero = ir_alloc_array(g->ctx, (size_t)n, sizeof *zero);
	memcpy(scale, sb->data, (size_t)n * 4);
	for (int64_t i = 0; i < n; i++)
		zero[i] = z != IR_NOVAL ? const_int(g, z, i) : 0;
	*q = (ir_quant){.axis = n > 1 ? (int32_t)axis : -1, .n = (int32_t)n, .scale = scale, .zero = zero};
	return true;
}

static ir_quant *quant_dup(ir_graph *g, const ir_quant *q)
{
	ir_quant *r = ir_alloc(g->ctx, sizeof *r);
	*r = *q;
	return r;
}

/* ---- step 1: annotate ---------------------------------------------------------- */

static bool is_data_movement(ir_opkind k)
{
	switch (k) {
	case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
	case IR_OP_TRANSPOSE: case IR_OP_IDENTITY: case IR_OP_SLICE:
		return true;
	default:
		return false;
	}
}

typedef struct qf {
	ir_graph *g;
	ir_op **users;          /* users[u_start[v] .. u_start[v+1]) use value v */
	uint32_t *u_start;
	bool *is_output;
	bool *conflict;         /* consumers of v disagree: never annotate v */
	int64_t annotated, folded, pairs;
} qf;

/* Build the user lists of every value. */
static void index_users(qf *f)
{
	ir_graph *g = f->g;
	f->u_start = ir_alloc_array(g->ctx, g->n_vals + 1, sizeof *f->u_start);
	for (uint32_t i = 0; i < g->n_ops; i++)
		for (int32_t j = 0; j < g->ops[i]->n_in; j++)
			f->u_start[g->ops[i]->in[j] + 1]++;
	for (uint32_t v = 0; v < g->n_vals; v++)
		f->u_start[v + 1] += f->u_start[v];
	uint32_t *fill = ir_alloc_array(g->ctx, g->n_vals, sizeof *fill);
	f->users = ir_alloc_array(g->ctx, f->u_start[g->n_vals] + 1, sizeof *f->users);
	for (uint32_t i = 0; i < g->n_ops; i++)
		for (int32_t j = 0; j < g->ops[i]->n_in; j++) {
			ir_val v = g->ops[i]->in[j];
			f->users[f->u_start[v] + fill[v]++] = g->ops[i];
		}
	f->is_output = ir_alloc_array(g->ctx, g->n_vals, sizeof *f->is_output);
	for (uint32_t k = 0; k < g->n_outputs; k++)
		f->is_output[g->outputs[k].val] = true;
	f->conflict = ir_alloc_array(g->ctx, g->n_vals, sizeof *f->conflict);
}

/* True when every consumer of v is content with v carrying q: a
** DequantizeLinear (as operand 0) with equal parameters, or data movement. */
static bool consumers_agree(qf *f, ir_val v, const ir_quant *q)
{
	for (uint32_t u = f->u_start[v]; u < f->u_start[v + 1]; u++) {
		ir_op *op = f->users[u];
		ir_quant d;
		if (is_data_movement(op->kind) && op->in[0] == v)
			continue;
		if (op->kind != IR_OP_DEQUANTIZE || op->in[0] != v ||
		    !op_quant(f->g, op, ir_type_of(f->g, v), &d) || !ir_quant_equal(&d, q))
			return false;
	}
	return true;
}

static void annotate_value(qf *f, ir_val v, const ir_quant *q)
{
	ir_type *t = &f->g->vals[v].type;
	if (f->conflict[v] || (t->quant && !ir_quant_equal(t->quant, q)))
		return;
	if (!consumers_agree(f, v, q)) {
		f->conflict[v] = true;
		return;
	}
	if (!t->quant) {
		t->quant = quant_dup(f->g, q);
		f->annotated++;
	}
}

static void annotate(qf *f)
{
	ir_graph *g = f->g;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		ir_quant q;
		if (op->kind == IR_OP_QUANTIZE && op_quant(g, op, ir_type_of(g, op->out[0]), &q))
			annotate_value(f, op->out[0], &q);
		else if (op->kind == IR_OP_DEQUANTIZE && op_quant(g, op, ir_type_of(g, op->in[0]), &q))
			annotate_value(f, op->in[0], &q);
	}
}

/* ---- step 2: fold ------------------------------------------------------------- */

/* The quantized value behind float operand v: v = DequantizeLinear(q) whose
** parameters are q's own; IR_NOVAL otherwise. */
static ir_val dq_source(qf *f, ir_val v)
{
	ir_op *d = v != IR_NOVAL ? f->g->vals[v].def : NULL;
	ir_quant q;
	if (!d || d->kind != IR_OP_DEQUANTIZE)
		return IR_NOVAL;
	const ir_type *t = ir_type_of(f->g, d->in[0]);
	if (f->conflict[d->in[0]] || !t->quant || !op_quant(f->g, d, t, &q) || !ir_quant_equal(&q, t->quant))
		return IR_NOVAL;
	return d->in[0];
}

static bool foldable_kind(ir_opkind k)
{
	switch (k) {
	case IR_OP_CONV: case IR_OP_GEMM: case IR_OP_MATMUL: case IR_OP_ADD:
	case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL: case IR_OP_MAXPOOL:
	case IR_OP_CONCAT: case IR_OP_RELU: case IR_OP_CLIP:
		return true;
	default:
		return is_data_movement(k);
	}
}

/* Operand i of op is data to quantize: a present float operand, except
** Clip's bounds, which stay real numbers. */
static bool data_operand(const ir_graph *g, const ir_op *op, int i)
{
	if (op->in[i] == IR_NOVAL || (op->kind == IR_OP_CLIP && i > 0))
		return false;
	return ir_dtype_is_float(ir_type_of(g, op->in[i])->dtype);
}

/* A float constant bias as i32 with scale s_x * s_w[c] (round half to
** even, as QuantizeLinear), or IR_NOVAL when it cannot be. */
static ir_val quantize_bias(qf *f, ir_val b, const ir_quant *qx, const ir_quant *qw)
{
	const ir_blob *blob = ir_const_of(f->g, b);
	const ir_type *t = ir_type_of(f->g, b);
	if (!blob || t->dtype != IR_F32 || t->rank != 1 || qx->n != 1)
		return IR_NOVAL;
	int64_t n = t->dims[0];
	if (qw->n != 1 && qw->n != n)
		return IR_NOVAL;
	int32_t *q = ir_alloc_array(f->g->ctx, (size_t)(n ? n : 1), sizeof *q);
	float *scale = ir_alloc_array(f->g->ctx, (size_t)(n ? n : 1), sizeof *scale);
	int32_t *zero = ir_alloc_array(f->g->ctx, (size_t)(n ? n : 1), sizeof *zero);
	for (int64_t c = 0; c < n; c++) {
		scale[c] = qx->scale[0] * qw->scale[qw->n == 1 ? 0 : c];
		double r = nearbyint((double)((const float *)blob->data)[c] / scale[c]);
		if (!(fabs(r) <= 2147483647.0))
			return IR_NOVAL;
		q[c] = (int32_t)r;
	}
	ir_quant *qq = ir_alloc(f->g->ctx, sizeof *qq);
	*qq = (ir_quant){.axis = n > 1 ? 0 : -1, .n = (int32_t)(n > 1 ? n : 1), .scale = scale, .zero = zero};
	ir_type bt = *t;
	bt.dtype = IR_I32;
	bt.quant = qq;
	ir_op *c = ir_op_insert(f->g, 0, IR_OP_CONST, NULL, 0, &bt, 1);
	c->blob = ir_blob_intern(f->g, q, n * 4);
	return c->out[0];
}

/* The only user of op's result when it is a QuantizeLinear with constant
** parameters and the result is not a graph output; else NULL. */
static ir_op *sole_quantize(qf *f, const ir_op *op)
{
	ir_val y = op->out[0];
	if (op->n_out != 1 || f->is_output[y] || f->u_start[y + 1] - f->u_start[y] != 1)
		return NULL;
	ir_op *q = f->users[f->u_start[y]];
	if (q->kind != IR_OP_QUANTIZE || q->dead || !ir_type_of(f->g, q->out[0])->quant)
		return NULL;
	return q;
}

/* Run type inference on op without leaving a diagnostic behind; true when
** it accepts op and gives exactly the result type want (quant aside). */
static bool infers_to(ir_graph *g, const ir_op *op, const ir_type *want)
{
	ir_ctx *c = g->ctx;
	FILE *saved_out = c->diag_out;
	int32_t saved_n = c->n_errors;
	char saved_first[sizeof c->first_error];
	memcpy(saved_first, c->first_error, sizeof saved_first);
	c->diag_out = NULL;
	ir_type got[1];
	bool ok = op->n_out == 1 && ir_infer(g, op, got) == 0;
	c->diag_out = saved_out;
	c->n_errors = saved_n;
	memcpy(c->first_error, saved_first, sizeof saved_first);
	if (!ok)
		return false;
	got[0].quant = NULL;
	ir_type w = *want;
	w.quant = NULL;
	return ir_type_equal(&got[0], &w);
}

/* The quantized operand list of op, or NULL when some data operand has no
** quantized source. */
static ir_val *quantized_operands(qf *f, const ir_op *op)
{
	ir_val *in = ir_alloc_array(f->g->ctx, (size_t)op->n_in, sizeof *in);
	for (int32_t i = 0; i < op->n_in; i++) {
		in[i] = op->in[i];
		if (!data_operand(f->g, op, i))
			continue;
		in[i] = dq_source(f, op->in[i]);
		bool bias = (op->kind == IR_OP_CONV || op->kind == IR_OP_GEMM) && i == 2;
		if (in[i] == IR_NOVAL && bias && in[0] != IR_NOVAL && in[1] != IR_NOVAL)
			in[i] = quantize_bias(f, op->in[i], ir_type_of(f->g, in[0])->quant,
					      ir_type_of(f->g, in[1])->quant);
		if (in[i] == IR_NOVAL)
			return NULL;
	}
	return in;
}

static void fold_op(qf *f, ir_op *op)
{
	ir_op *q = sole_quantize(f, op);
	if (!q || !foldable_kind(op->kind))
		return;
	ir_val *in = quantized_operands(f, op);
	if (!in)
		return;
	ir_val *old_in = op->in;
	ir_type old_t = f->g->vals[op->out[0]].type;
	op->in = in;
	f->g->vals[op->out[0]].type = *ir_type_of(f->g, q->out[0]);
	if (!infers_to(f->g, op, ir_type_of(f->g, q->out[0]))) {
		op->in = old_in;
		f->g->vals[op->out[0]].type = old_t;
		return;
	}
	ir_replace_uses(f->g, q->out[0], op->out[0]);
	q->dead = true;
	f->folded++;
}

/* ---- step 3: Q(DQ(x)) with equal parameters ------------------------------------ */

static void drop_pair(qf *f, ir_op *q)
{
	if (q->kind != IR_OP_QUANTIZE || f->is_output[q->out[0]])
		return;
	ir_op *d = f->g->vals[q->in[0]].def;
	ir_quant a, b;
	if (!d || d->kind != IR_OP_DEQUANTIZE)
		return;
	const ir_type *x = ir_type_of(f->g, d->in[0]), *y = ir_type_of(f->g, q->out[0]);
	if (x->dtype != y->dtype || !op_quant(f->g, d, x, &a) || !op_quant(f->g, q, y, &b) ||
	    !ir_quant_equal(&a, &b))
		return;
	ir_replace_uses(f->g, q->out[0], d->in[0]);
	q->dead = true;
	f->pairs++;
}

/*
** Step 0: a constant that a DequantizeLinear reads and something else reads
** too gets a copy of its own for that DQ.  Constants with equal bytes are
** one value after import and cse, e.g. the all-zero int32 biases of a
** model whose biases are 0, each dequantized with its own conv's scales:
** shared, none of them could be annotated.
*/
static int64_t unshare_consts(ir_graph *g)
{
	uint32_t *uses = ir_use_counts(g);
	int64_t n = 0;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		ir_val v = op->n_in > 0 ? op->in[0] : IR_NOVAL;
		if (op->kind != IR_OP_DEQUANTIZE || v == IR_NOVAL || !ir_const_of(g, v) || uses[v] < 2)
			continue;
		ir_type t = *ir_type_of(g, v);
		ir_op *c = ir_op_insert(g, i, IR_OP_CONST, NULL, 0, &t, 1);
		c->blob = g->vals[v].def->blob;
		op->in[0] = c->out[0];
		uses[v]--;
		i++;
		n++;
	}
	return n;
}

int pass_quant_fold(ir_graph *g, pass_stats *st)
{
	qf f = {.g = g};
	int64_t copies = unshare_consts(g);
	index_users(&f);
	annotate(&f);
	/* Over a copy of the op list: a quantized bias is a new constant at the
	** front, which shifts g->ops (walking g->ops itself revisited the op
	** whose fold failed, adding a constant each time, without end). */
	uint32_t n = g->n_ops;
	ir_op **ops = ir_alloc_array(g->ctx, (size_t)n + 1, sizeof *ops);
	memcpy(ops, g->ops, (size_t)n * sizeof *ops);
	for (uint32_t i = 0; i < n; i++)
		if (!ops[i]->dead)
			fold_op(&f, ops[i]);
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (!g->ops[i]->dead)
			drop_pair(&f, g->ops[i]);
	ir_graph_compact(g);
	st->changed += copies + f.annotated + f.folded + f.pairs;
	return 0;
}

/* ---- quant_unfold ------------------------------------------------------------------ */

/* Scale and zero-point constants of q, zero points of type zdt, inserted
** at the front of g (so they precede every use). */
static void param_consts(ir_graph *g, const ir_quant *q, ir_dtype zdt, ir_val *s, ir_val *z)
{
	ir_type st = {.dtype = IR_F32, .rank = q->axis >= 0, .dims = {q->n}};
	ir_type zt = st;
	zt.dtype = zdt;
	int64_t zb = 0;
	ir_type_bytes(&zt, &zb);
	uint8_t *zd = ir_alloc(g->ctx, (size_t)zb + 4);
	for (int32_t i = 0; i < q->n; i++)
		switch (zdt) {
		case IR_I8: ((int8_t *)zd)[i] = (int8_t)q->zero[i]; break;
		case IR_U8: zd[i] = (uint8_t)q->zero[i]; break;
		case IR_I16: ((int16_t *)zd)[i] = (int16_t)q->zero[i]; break;
		default: ((int32_t *)zd)[i] = q->zero[i]; break;
		}
	ir_op *cs = ir_op_insert(g, 0, IR_OP_CONST, NULL, 0, &st, 1);
	cs->blob = ir_blob_intern(g, q->scale, (int64_t)q->n * 4);
	ir_op *cz = ir_op_insert(g, 0, IR_OP_CONST, NULL, 0, &zt, 1);
	cz->blob = ir_blob_intern(g, zd, zb);
	*s = cs->out[0];
	*z = cz->out[0];
}

static uint32_t op_index(const ir_graph *g, const ir_op *op)
{
	uint32_t i = 0;
	while (i < g->n_ops && g->ops[i] != op)
		i++;
	return i;
}

/* Q/DQ op kind over a value of type t with parameters t->quant, inserted
** at pos; its result has type out. */
static ir_op *qdq_op(ir_graph *g, uint32_t pos, ir_opkind k, ir_val v, const ir_type *t, const ir_type *out)
{
	ir_val in[3];
	in[0] = v;
	param_consts(g, t->quant, t->dtype, &in[1], &in[2]);
	ir_op *op = ir_op_insert(g, pos + 2, k, in, 3, out, 1);
	if (t->quant->axis >= 0)
		ir_op_set_int(g, op, "axis", t->quant->axis);
	return op;
}

static void unfold_op(ir_graph *g, ir_op *op)
{
	for (int32_t i = 0; i < op->n_in; i++) {
		const ir_type *t = op->in[i] != IR_NOVAL ? ir_type_of(g, op->in[i]) : NULL;
		if (!t || !t->quant)
			continue;
		ir_type ft = *t;
		ft.dtype = IR_F32;
		ft.quant = NULL;
		ir_type copy = *t;
		op->in[i] = qdq_op(g, op_index(g, op), IR_OP_DEQUANTIZE, op->in[i], &copy, &ft)->out[0];
	}
	ir_val y = op->out[0];
	ir_type yt = *ir_type_of(g, y);
	if (!yt.quant)
		return;
	ir_type ft = yt;
	ft.dtype = IR_F32;
	ft.quant = NULL;
	g->vals[y].type = ft;
	ir_op *q = qdq_op(g, op_index(g, op) + 1, IR_OP_QUANTIZE, y, &yt, &yt);
	ir_replace_uses(g, y, q->out[0]);
	q->in[0] = y;
}

int64_t quant_unfold(ir_graph *g, quant_supported_fn supported)
{
	int64_t n = 0;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		if (op->n_out != 1 || !ir_op_is_quantized(g, op) || supported(g, op))
			continue;
		unfold_op(g, op);
		i = op_index(g, op);
		n++;
	}
	return n;
}
