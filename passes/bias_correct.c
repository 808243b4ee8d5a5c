/*
** bias_correct.c - empirical bias correction of the QDQ graph
** (`--bias-correction on`; docs/quantization.md).
**
** Quantizing a layer's weights (and its input) shifts the mean of its
** output per channel: E[y_q - y] is not 0 (Nagel et al. 2019, "Data-Free
** Quantization", section 4.2, the empirical form).  On the graph
** quant_insert_qdq wrote, before quant-fold, every Conv and Gemm whose bias
** is DequantizeLinear(int32 constant) is run twice per calibration sample,
** without its fused activation (the bias acts before it): in the float
** model, and with its own quantization only: the float model's input to
** the layer rounded through the layer's input QuantizeLinear parameters,
** the dequantized int8 weights.  The mean difference per output channel,
** over samples and positions, is taken off the int32 bias in units of its
** scale s_x s_w[c], rounded, saturated.  Measuring each layer on float
** inputs isolates the shift its own quantization causes, so one pass
** corrects every layer without counting an earlier layer's shift twice
** (measured on the QDQ graph's own values, the corrections of a deep
** network compound: MobileNetV2 lost 2 dB that way).
*/
#include <math.h>
#include <string.h>

#include "interp/interp.h"
#include "passes/bias_correct.h"

/* A layer to correct: an op of the QDQ graph and the float op of its name. */
typedef struct bc_layer {
	ir_op *op;                  /* Conv or Gemm in the QDQ graph */
	const ir_op *fop;           /* the float model's op */
	ir_op *bias_dq;             /* DequantizeLinear of the int32 bias */
	int64_t ch, axis;           /* output channels, and their axis in the result */
	double *sum;                /* [ch] sum of y_q - y */
	int64_t per_ch;             /* positions summed per channel */
} bc_layer;

typedef struct bc_job {
	ir_graph *q;
	const ir_graph *f;
	calib_data *d;
	bc_layer *l;
	int32_t n;
} bc_job;

static const ir_op *float_op(const ir_graph *f, const ir_op *op)
{
	for (uint32_t i = 0; op->name && i < f->n_ops; i++)
		if (f->ops[i]->kind == op->kind && f->ops[i]->name && !strcmp(f->ops[i]->name, op->name))
			return f->ops[i];
	return NULL;
}

/* The DequantizeLinear of a constant int32 per-channel bias feeding op, or NULL. */
static ir_op *bias_dq_of(ir_graph *q, const ir_op *op)
{
	if (op->n_in < 3 || op->in[2] == IR_NOVAL)
		return NULL;
	ir_op *d = q->vals[op->in[2]].def;
	if (!d || d->kind != IR_OP_DEQUANTIZE || d->n_in < 2 || ir_type_of(q, d->in[0])->dtype != IR_I32 ||
	    !ir_const_of(q, d->in[0]) || !ir_const_of(q, d->in[1]))
		return NULL;
	return d;
}

static void find_layers(bc_job *j)
{
	j->l = ir_alloc_array(j->q->ctx, j->q->n_ops + 1, sizeof *j->l);
	for (uint32_t i = 0; i < j->q->n_ops; i++) {
		ir_op *op = j->q->ops[i];
		if (op->kind != IR_OP_CONV && !(op->kind == IR_OP_GEMM && !ir_op_int(op, "transA", 0)))
			continue;
		const ir_op *fop = float_op(j->f, op);
		ir_op *bdq = bias_dq_of(j->q, op);
		const ir_type *y = ir_type_of(j->q, op->out[0]);
		if (!fop || !bdq || y->rank < 2)
			continue;
		bc_layer *l = &j->l[j->n++];
		*l = (bc_layer){op, fop, bdq, y->dims[1], 1, NULL, 0};
		l->sum = ir_alloc_array(j->q->ctx, (size_t)l->ch, sizeof *l->sum);
	}
}

/* op without its fused activation: the value the bias acts on. */
static ir_op strip_activation(ir_ctx *c, const ir_op *op)
{
	ir_op s = *op;
	s.attrs = ir_alloc_array(c, (size_t)op->n_attrs + 1, sizeof *s.attrs);
	s.n_attrs = 0;
	for (int32_t i = 0; i < op->n_attrs; i++)
		if (strncmp(op->attrs[i].name, "activation", 10))
			s.attrs[s.n_attrs++] = op->attrs[i];
	return s;
}

/* The pre-activation result of op (of graph g) on the values vals, its
** first operand replaced by x0 when not NULL. */
static int pre_activation(ir_ctx *c, const ir_graph *g, const ir_op *op, interp_tensor *vals,
			  const interp_tensor *x0, interp_tensor *out)
{
	const interp_tensor *in[3] = {NULL, NULL, NULL};
	ir_op s = strip_activation(c, op);
	for (int32_t k = 0; k < op->n_in && k < 3; k++)
		in[k] = op->in[k] == IR_NOVAL ? NULL : &vals[op->in[k]];
	if (x0)
		in[0] = x0;
	return interp_op(c, g, &s, in, out);
}

/* x (f32) through op's input quantization: the DequantizeLinear feeding
** op's operand 0 and its QuantizeLinear's per-tensor parameters; x itself
** when the operand has no such pair. */
static int fake_quant_input(ir_ctx *c, const ir_graph *q, const ir_op *op, const interp_tensor *x,
			    interp_tensor *out)
{
	const ir_op *dq = q->vals[op->in[0]].def;
	*out = *x;
	if (!dq || dq->kind != IR_OP_DEQUANTIZE || dq->n_in < 2)
		return 0;
	const ir_op *qq = q->vals[dq->in[0]].def;
	if (!qq || qq->kind != IR_OP_QUANTIZE)
		return 0;
	/* Q and DQ run as ops of q on their constant parameters. */
	const interp_tensor *qin[3] = {x, NULL, NULL};
	interp_tensor mid, prm[2];
	for (int32_t k = 1; k < qq->n_in && k < 3; k++) {
		const ir_blob *b = ir_const_of(q, qq->in[k]);
		if (!b)
			return 0;
		prm[k - 1] = (interp_tensor){*ir_type_of(q, qq->in[k]), (void *)b->data};
		qin[k] = &prm[k - 1];
	}
	if (interp_op(c, q, qq, qin, &mid) < 0)
		return -1;
	const interp_tensor *din[3] = {&mid, qin[1], qin[2]};
	return interp_op(c, q, dq, din, out);
}

static void accumulate(bc_layer *l, const interp_tensor *yq, const interp_tensor *yf)
{
	int64_t n, inner = 1;
	ir_type_numel(&yq->type, &n);
	for (int32_t i = 2; i < yq->type.rank; i++)
		inner *= yq->type.dims[i];
	for (int64_t e = 0; e < n; e++)
		l->sum[(e / inner) % l->ch] += interp_get_f(yq, e) - interp_get_f(yf, e);
	l->per_ch += n / l->ch;
}

typedef struct bc_sample {
	bc_job *j;
	int64_t s;
} bc_sample;

static int sample_protected(ir_ctx *c, void *ud)
{
	bc_sample *a = ud;
	bc_job *j = a->j;
	interp_tensor *in = ir_alloc_array(c, j->f->n_inputs + 1, sizeof *in);
	if (calib_data_get(j->d, a->s, in) < 0)
		return -1;
	interp_tensor *vf = interp_run_all(c, j->f, in), *vq = vf ? interp_run_all(c, j->q, in) : NULL;
	if (!vq)
		return -1;
	for (int32_t i = 0; i < j->n; i++) {
		interp_tensor yq, yf, xq;
		if (fake_quant_input(c, j->q, j->l[i].op, &vf[j->l[i].fop->in[0]], &xq) < 0 ||
		    pre_activation(c, j->q, j->l[i].op, vq, &xq, &yq) < 0 ||
		    pre_activation(c, j->f, j->l[i].fop, vf, NULL, &yf) < 0)
			return -1;
		accumulate(&j->l[i], &yq, &yf);
	}
	return 0;
}

static int run_sample(bc_job *j, int64_t s)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return ir_error(j->q->ctx, j->q->loc, "bias correction: out of memory");
	c->diag_out = j->q->ctx->diag_out;
	bc_sample a = {j, s};
	int rc = ir_protect(c, sample_protected, &a);
	ir_ctx_free(c);
	return rc;
}

/* The bias minus the mean error in its own units; |shift| summed into *abs. */
static void apply(ir_graph *q, bc_layer *l, double *abs)
{
	ir_op *d = l->bias_dq;
	const ir_blob *b = ir_const_of(q, d->in[0]), *s = ir_const_of(q, d->in[1]);
	int64_t ns = s->size / 4;
	int32_t *nb = ir_alloc_array(q->ctx, (size_t)l->ch, sizeof *nb);
	for (int64_t c = 0; c < l->ch; c++) {
		int32_t old;
		float sc;
		memcpy(&old, b->data + 4 * c, 4);
		memcpy(&sc, s->data + 4 * (ns > 1 ? c : 0), 4);
		double shift = l->per_ch && sc > 0 ? nearbyint(l->sum[c] / (double)l->per_ch / (double)sc) : 0;
		double v = (double)old - shift;
		nb[c] = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
		*abs += fabs(shift);
	}
	uint32_t pos = 0;
	while (q->ops[pos] != d)
		pos++;
	ir_type t = *ir_type_of(q, d->in[0]);
	ir_op *k = ir_op_insert(q, pos, IR_OP_CONST, NULL, 0, &t, 1);
	k->blob = ir_blob_intern(q, nb, l->ch * 4);
	d->in[0] = k->out[0];
}

int quant_bias_correct(ir_graph *q, const ir_graph *f, calib_data *d, int64_t samples, bias_correct_stats *st)
{
	bc_job j = {q, f, d, NULL, 0};
	find_layers(&j);
	int64_t n = calib_data_count(d);
	n = samples > 0 && samples < n ? samples : n;
	for (int64_t s = 0; s < n; s++)
		if (run_sample(&j, s) < 0)
			return -1;
	double abs = 0;
	int64_t chans = 0;
	for (int32_t i = 0; i < j.n; i++) {
		apply(q, &j.l[i], &abs);
		chans += j.l[i].ch;
	}
	if (st)
		*st = (bias_correct_stats){j.n, n, chans ? abs / (double)chans : 0};
	return 0;
}
