/*
** int8_report.c - what int8 cost, measured: the float model and the int8
** program run side by side in the reference interpreter (which the
** compiled code matches bit for bit) on calibration samples.
**
** Per quantized layer, the SQNR of its result (dequantized) against the
** float model's value of the same name (quant-fold keeps the float op's
** result name on the integer op):
**     10 log10(sum f^2 / sum (f - s (q - z))^2)   over all samples;
** per float graph output, the mean cosine similarity of the int8 and
** float outputs and, for outputs with a class axis (last dim > 1), how
** often their argmax agrees; and the ops left computing in float.
*/
#include "tools/int8_report.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "interp/interp.h"
#include "ir/requant.h"
#include "passes/calibrate.h"

/* The samples the report runs at most (the interpreter is slow on large
** models; the figures are means). */
#define INT8_REPORT_MAX_SAMPLES 32

typedef int8_report_acc acc;

typedef struct rjob {
	ir_graph *f, *q;            /* float graph, int8 graph */
	calib_data *d;
	int64_t samples;
	ir_val *match;              /* per int8 value: the float value of its name, or 0 */
	acc *a;                     /* per int8 value (layers), per output index (outputs) */
	acc *out;
} rjob;

/* Element i of t as a real value: dequantized when t is quantized per tensor. */
static double real_at(const interp_tensor *t, int64_t i)
{
	const ir_quant *q = t->type.quant;
	if (q && q->n == 1)
		return (double)q->scale[0] * (double)(interp_get_i(t, i) - q->zero[0]);
	return interp_get_f(t, i);
}

static void add_layer(acc *a, const interp_tensor *f, const interp_tensor *q)
{
	int64_t n;
	ir_type_numel(&f->type, &n);
	for (int64_t i = 0; i < n; i++) {
		double x = interp_get_f(f, i), e = x - real_at(q, i);
		a->sig += x * x;
		a->noise += e * e;
	}
}

static void add_output(acc *a, const interp_tensor *f, const interp_tensor *q)
{
	int64_t n;
	ir_type_numel(&f->type, &n);
	double dot = 0, nf = 0, nq = 0;
	int64_t bf = 0, bq = 0;
	for (int64_t i = 0; i < n; i++) {
		double x = interp_get_f(f, i), y = real_at(q, i);
		dot += x * y;
		nf += x * x;
		nq += y * y;
		bf = x > interp_get_f(f, bf) ? i : bf;
		bq = y > real_at(q, bq) ? i : bq;
	}
	a->cos += nf > 0 && nq > 0 ? dot / sqrt(nf * nq) : (nf == nq ? 1.0 : 0.0);
	a->agree += bf == bq;
	a->n++;
}

typedef struct sjob {
	rjob *r;
	int64_t s;
} sjob;

static int sample_protected(ir_ctx *c, void *ud)
{
	sjob *j = ud;
	rjob *r = j->r;
	interp_tensor *in = ir_alloc_array(c, r->f->n_inputs + 1, sizeof *in);
	if (calib_data_get(r->d, j->s, in) < 0)
		return -1;
	interp_tensor *vf = interp_run_all(c, r->f, in), *vq = vf ? interp_run_all(c, r->q, in) : NULL;
	if (!vq)
		return -1;
	for (ir_val v = 1; v < r->q->n_vals; v++)
		if (r->match[v] && vq[v].data && vf[r->match[v]].data)
			add_layer(&r->a[v], &vf[r->match[v]], &vq[v]);
	for (uint32_t k = 0; k < r->q->n_outputs && k < r->f->n_outputs; k++)
		add_output(&r->out[k], &vf[r->f->outputs[k].val], &vq[r->q->outputs[k].val]);
	return 0;
}

/* One sample in a scratch context (the values of two full runs). */
static int run_sample(rjob *r, int64_t s)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return ir_error(r->q->ctx, r->q->loc, "int8 report: out of memory");
	c->diag_out = r->q->ctx->diag_out;
	sjob j = {r, s};
	int rc = ir_protect(c, sample_protected, &j);
	ir_ctx_free(c);
	return rc;
}

/* The float value named like each quantized op result of q. */
static void match_names(rjob *r)
{
	r->match = ir_alloc_array(r->q->ctx, r->q->n_vals, sizeof *r->match);
	for (uint32_t i = 0; i < r->q->n_ops; i++) {
		const ir_op *op = r->q->ops[i];
		ir_val v = op->n_out ? op->out[0] : IR_NOVAL;
		if (op->kind == IR_OP_CONST || !v || !ir_type_of(r->q, v)->quant || !r->q->vals[v].name)
			continue;
		for (ir_val w = 1; w < r->f->n_vals; w++) {
			const char *n = r->f->vals[w].name;
			if (n && !strcmp(n, r->q->vals[v].name) && r->f->vals[w].def &&
			    r->f->vals[w].def->kind != IR_OP_CONST &&
			    ir_type_of(r->f, w)->rank == ir_type_of(r->q, v)->rank) {
				r->match[v] = w;
				break;
			}
		}
	}
}

int int8_report_measure(int8_report *rep, ir_graph *fg, ir_graph *qg, const char *data, int64_t max_samples)
{
	rjob r = {.f = fg, .q = qg};
	int64_t cap = max_samples > 0 && max_samples < INT8_REPORT_MAX_SAMPLES ? max_samples
										 : INT8_REPORT_MAX_SAMPLES;
	r.d = calib_data_open(fg, data, cap);
	if (!r.d)
		return -1;
	r.samples = calib_data_count(r.d);
	r.samples = r.samples < cap ? r.samples : cap;
	match_names(&r);
	r.a = ir_alloc_array(qg->ctx, qg->n_vals, sizeof *r.a);
	r.out = ir_alloc_array(qg->ctx, qg->n_outputs + 1, sizeof *r.out);
	int rc = 0;
	for (int64_t s = 0; s < r.samples && rc == 0; s++)
		rc = run_sample(&r, s);
	calib_data_close(r.d);
	rep->q = qg;
	rep->samples = r.samples;
	rep->match = r.match;
	rep->layer = r.a;
	rep->out = r.out;
	return rc;
}

/* ---- printing ------------------------------------------------------------------ */

static double sqnr_db(const int8_report_acc *a)
{
	return a->noise > 0 ? 10 * log10(a->sig / a->noise) : INFINITY;
}

static bool computes_float(const ir_graph *g, const ir_op *op)
{
	if (op->kind == IR_OP_CONST || op->kind == IR_OP_QUANTIZE || op->kind == IR_OP_DEQUANTIZE ||
	    op->n_out < 1)
		return false;
	const ir_type *t = ir_type_of(g, op->out[0]);
	return ir_dtype_is_float(t->dtype) && !t->quant;
}

/* Multiply-accumulates of a Conv, Gemm or MatMul (result elements times
** the reduction depth); 0 for other ops. */
static int64_t op_macs(const ir_graph *g, const ir_op *op)
{
	int64_t n, k = 1;
	const ir_type *w = op->n_in > 1 && op->in[1] != IR_NOVAL ? ir_type_of(g, op->in[1]) : NULL;
	if (!w || ir_type_numel(ir_type_of(g, op->out[0]), &n) < 0)
		return 0;
	if (op->kind == IR_OP_CONV)
		for (int32_t i = 1; i < w->rank; i++)
			k *= w->dims[i];
	else if (op->kind == IR_OP_GEMM)
		k = w->dims[ir_op_int(op, "transB", 0) ? 1 : 0];
	else if (op->kind == IR_OP_MATMUL)
		k = w->dims[w->rank > 1 ? w->rank - 2 : 0];
	else
		return 0;
	return n * k;
}

static const char *op_label(const ir_op *op)
{
	return op->name ? op->name : ir_op_name(op->kind);
}

/* v's shape as "1x16x112x112" into buf (truncated to n bytes). */
static const char *shape_text(const ir_graph *g, ir_val v, char *buf, size_t n)
{
	const ir_type *t = ir_type_of(g, v);
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < t->rank && at < n; i++) {
		int w = snprintf(buf + at, n - at, "%s%lld", i ? "x" : "", (long long)t->dims[i]);
		at += w > 0 ? (size_t)w : 0;
	}
	return t->rank ? buf : "scalar";
}

/* Bytes of v's activation in the int8 program, and as f32 in the float model. */
static void act_bytes(const ir_graph *g, ir_val v, int64_t *f32, int64_t *q)
{
	const ir_type *t = ir_type_of(g, v);
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n = t->dims[i] > 0 && n <= INT64_MAX / 4 / t->dims[i] ? n * t->dims[i] : 0;
	*f32 = 4 * n;
	*q = ir_type_bytes(t, q) < 0 ? 0 : *q;
}

void int8_report_print(const int8_report *rep, FILE *f)
{
	const ir_graph *q = rep->q;
	char shape[64];
	fprintf(f, "int8 report: %lld calibration sample(s), the int8 program against the float model\n",
		(long long)rep->samples);
	fprintf(f, "  %-40s %-18s %12s %12s  %-18s %10s    %s\n", "layer", "op", "MACs", "SQNR dB", "result",
		"bytes f32", "int8");
	for (uint32_t i = 0; rep->samples && i < q->n_ops; i++) {
		const ir_op *op = q->ops[i];
		ir_val v = op->n_out ? op->out[0] : IR_NOVAL;
		int64_t bf, bq;
		if (!v || !rep->match[v])
			continue;
		act_bytes(q, v, &bf, &bq);
		fprintf(f, "  %-40.40s %-18s %12lld %12.2f  %-18s %10lld -> %lld\n", op_label(op), ir_op_name(op->kind),
			(long long)op_macs(q, op), sqnr_db(&rep->layer[v]), shape_text(q, v, shape, sizeof shape),
			(long long)bf, (long long)bq);
	}
	for (uint32_t k = 0; rep->samples && k < q->n_outputs; k++) {
		const int8_report_acc *a = &rep->out[k];
		fprintf(f, "  output \"%s\": cosine %.5f, top-1 agreement %lld/%lld (%.1f%%)\n", q->outputs[k].name,
			a->n ? a->cos / (double)a->n : 0.0, (long long)a->agree, (long long)a->n,
			a->n ? 100.0 * (double)a->agree / (double)a->n : 0.0);
	}
	int n = 0;
	for (uint32_t i = 0; i < q->n_ops; i++)
		if (computes_float(q, q->ops[i]))
			fprintf(f, "%s%s (%s)", n++ ? ", " : "  layers left in float: ", op_label(q->ops[i]),
				ir_op_name(q->ops[i]->kind));
	fprintf(f, "%s\n", n ? "" : "  layers left in float: none");
}

static void json_name(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.4f", v);
	else
		fputs("null", f);
}

int int8_report_json(const int8_report *rep, const quant_stats *st, FILE *f)
{
	const ir_graph *q = rep->q;
	fprintf(f, ",\n  \"quantization\": {\"samples\": %lld, \"weight_bytes_float\": %lld, "
		"\"weight_bytes_int8\": %lld,\n    \"layers\": [", (long long)rep->samples,
		(long long)(st ? st->bytes_f32 : 0), (long long)(st ? st->bytes_q : 0));
	bool first = true;
	for (uint32_t i = 0; rep->samples && i < q->n_ops; i++) {
		const ir_op *op = q->ops[i];
		ir_val v = op->n_out ? op->out[0] : IR_NOVAL;
		if (!v || !rep->match[v])
			continue;
		fputs(first ? "\n      {\"name\": " : ",\n      {\"name\": ", f);
		json_name(f, op_label(op));
		int64_t bf, bq;
		act_bytes(q, v, &bf, &bq);
		const ir_type *t = ir_type_of(q, v);
		fputs(", \"shape\": [", f);
		for (int d = 0; d < t->rank; d++)
			fprintf(f, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
		fprintf(f, "], \"bytes_float\": %lld, \"bytes_int8\": %lld", (long long)bf, (long long)bq);
		fprintf(f, ", \"op\": \"%s\", \"macs\": %lld, \"sqnr_db\": ", ir_op_name(op->kind),
			(long long)op_macs(q, op));
		json_num(f, sqnr_db(&rep->layer[v]));
		fputc('}', f);
		first = false;
	}
	fputs("],\n    \"outputs\": [", f);
	for (uint32_t k = 0; rep->samples && k < q->n_outputs; k++) {
		const int8_report_acc *a = &rep->out[k];
		fputs(k ? ", {\"name\": " : "{\"name\": ", f);
		json_name(f, q->outputs[k].name);
		fputs(", \"cosine\": ", f);
		if (a->n)
			fprintf(f, "%.6f", a->cos / (double)a->n);
		else
			fputs("null", f);
		fprintf(f, ", \"top1_agree\": %lld, \"samples\": %lld}", (long long)a->agree, (long long)a->n);
	}
	fputs("],\n    \"float_ops\": [", f);
	int n = 0;
	for (uint32_t i = 0; i < q->n_ops; i++)
		if (computes_float(q, q->ops[i])) {
			fputs(n++ ? ", " : "", f);
			json_name(f, op_label(q->ops[i]));
		}
	fputs("]}", f);
	return ferror(f) ? -1 : 0;
}
