/*
** int8.c - `condense compile --quantize int8`: calibration, the QDQ scheme,
** quant-fold and the float fallback, in that order (docs/quantization.md).
*/
#include "tools/int8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "passes/pass.h"
#include "passes/bias_correct.h"
#include "passes/equalize.h"
#include "passes/quant_fold.h"

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "condense compile: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return -1;
}

static int parse_count(const char *v, int64_t *n)
{
	char *end;
	long long x = strtoll(v, &end, 10);
	if (end == v || *end || x < 1)
		return -1;
	*n = x;
	return 0;
}

int int8_option(int8_opts *o, const char *a, const char *v)
{
	if (!strcmp(a, "--quantize")) {
		if (strcmp(v, "int8"))
			return usage("--quantize takes int8", v);
		o->on = true;
	} else if (!strcmp(a, "--calibration")) {
		o->calibration = v;
	} else if (!strcmp(a, "--ranges")) {
		o->ranges = v;
	} else if (!strcmp(a, "--calib-method")) {
		int m = calib_method_from_name(v);
		if (m < 0)
			return usage("unknown --calib-method (minmax, percentile, entropy, mse, auto)", v);
		o->co.method = (calib_method)m;
	} else if (!strcmp(a, "--calib-samples")) {
		if (parse_count(v, &o->co.max_samples) < 0)
			return usage("--calib-samples wants a positive count", v);
	} else if (!strcmp(a, "--io")) {
		if (strcmp(v, "int8") && strcmp(v, "float"))
			return usage("--io takes int8 or float", v);
		o->io_int8 = !strcmp(v, "int8");
	} else if (!strcmp(a, "--bias-correction")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return usage("--bias-correction takes on or off", v);
		o->bias_correct = !strcmp(v, "on") ? 1 : 0;
	} else if (!strcmp(a, "--equalize")) {
		if (strcmp(v, "off") && strcmp(v, "on") && strcmp(v, "relu6"))
			return usage("--equalize takes off, on or relu6", v);
		o->equalize = !strcmp(v, "off") ? 0 : !strcmp(v, "on") ? 1 : 2;
	} else if (!strcmp(a, "--rounding")) {
		if (strcmp(v, "nearest") && strcmp(v, "stochastic"))
			return usage("--rounding takes nearest or stochastic", v);
		o->qo.rounding = strcmp(v, "nearest") ? QUANT_ROUND_STOCHASTIC : QUANT_ROUND_NEAREST;
	} else if (!strcmp(a, "--seed")) {
		int64_t s;
		if (parse_count(v, &s) < 0)
			return usage("--seed wants a positive integer", v);
		o->qo.seed = (uint64_t)s;
	} else {
		return 1;
	}
	return 0;
}

int int8_check(const int8_opts *o)
{
	bool data = o->calibration || o->ranges;
	if (o->on && !data)
		return usage("--quantize int8 needs --calibration DATA or --ranges FILE", NULL);
	if (o->calibration && o->ranges)
		return usage("give --calibration or --ranges, not both", NULL);
	if (!o->on && data)
		return usage("--calibration and --ranges need --quantize int8", NULL);
	if (o->bias_correct == 1 && !o->calibration)
		return usage("--bias-correction on measures on calibration data: give --calibration DATA", NULL);
	if (o->equalize > 0 && o->ranges)
		return usage("--equalize rescales the activations --ranges was measured on: give --calibration DATA",
			     NULL);
	return 0;
}

typedef struct ranges_job {
	ir_graph *g;
	const int8_opts *o;
	quant_ranges *r;
} ranges_job;

static int get_ranges(ir_ctx *c, void *ud)
{
	(void)c;
	ranges_job *j = ud;
	if (j->o->ranges)
		return (j->r = quant_ranges_read(j->g, j->o->ranges)) ? 0 : -1;
	calib_data *d = calib_data_open(j->g, j->o->calibration, j->o->co.max_samples);
	if (!d)
		return -1;
	j->r = calib_run(j->g, d, &j->o->co);
	calib_data_close(d);
	return j->r ? 0 : -1;
}

/* g's text form into res (the float model the report compares with). */
static int keep_float(const ir_graph *g, int8_result *res)
{
	FILE *f = open_memstream(&res->float_text, &res->float_len);
	if (!f)
		return -1;
	int rc = ir_print(g, f);
	return fclose(f) || rc < 0 ? -1 : 0;
}

/* Bias correction measures on at most this many calibration samples (two
** interpreter runs each): the means it needs settle long before. */
#define INT8_BIAS_CORRECT_SAMPLES 64

/* Bias correction of the QDQ graph g against the float model (res's text)
** on the calibration data. */
static int correct_biases(ir_graph *g, const int8_opts *o, const int8_result *res)
{
	ir_graph *f = ir_parse(g->ctx, "<float model>", res->float_text, res->float_len, 1);
	calib_data *d = f ? calib_data_open(f, o->calibration, o->co.max_samples) : NULL;
	if (!d)
		return -1;
	bias_correct_stats bs;
	int64_t n = o->co.max_samples > 0 && o->co.max_samples < INT8_BIAS_CORRECT_SAMPLES ? o->co.max_samples
											    : INT8_BIAS_CORRECT_SAMPLES;
	int rc = quant_bias_correct(g, f, d, n, &bs);
	calib_data_close(d);
	if (rc == 0 && o->verbose)
		fprintf(stderr, "bias correction: %d layer(s) on %lld sample(s), mean |shift| %.2f bias units\n",
			bs.layers, (long long)bs.samples, bs.mean_shift);
	return rc;
}

/* Whether g has a depthwise Conv (one input channel per group, several groups). */
static bool has_depthwise(const ir_graph *g)
{
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		if (op->kind != IR_OP_CONV || op->n_in < 2)
			continue;
		const ir_type *w = ir_type_of(g, op->in[1]);
		if (ir_op_int(op, "group", 1) > 1 && w->rank >= 3 && w->dims[1] == 1)
			return true;
	}
	return false;
}

/* Cross-layer equalization before calibration: the float model the report
** and bias correction compare with is the equalized one (the same function
** up to f32 rounding, unless relu6 turned Relu6 into Relu). */
static int equalize(ir_graph *g, const int8_opts *o)
{
	/* The default: on where it measurably helps (depthwise-separable
	** networks, docs/quantization.md), and only with calibration data,
	** since ranges from a file were measured on the unequalized model. */
	int mode = o->equalize >= 0 ? o->equalize : o->calibration && has_depthwise(g) ? 1 : 0;
	if (mode == 0)
		return 0;
	quant_equalize_options eo = {mode == 2, 0};
	quant_equalize_stats es;
	if (quant_equalize_with(g, &eo, &es) < 0)
		return -1;
	if (o->verbose)
		fprintf(stderr, "equalize: %d pair(s) in %d sweep(s), largest channel factor %.3g, %d blocked by a "
			"bounded activation, %d Relu6 made Relu\n", es.pairs, es.sweeps, es.max_scale, es.blocked,
			es.relaxed);
	return ir_verify(g);
}

int int8_quantize(ir_graph *g, const int8_opts *o, int8_result *res)
{
	ranges_job j = {g, o, NULL};
	int8_result own = {0};
	bool bc = o->bias_correct != 0 && o->calibration;
	res = res ? res : bc ? &own : NULL;
	quant_stats tmp, *st = res ? &res->st : &tmp;
	if (equalize(g, o) < 0)
		return -1;
	if (res && keep_float(g, res) < 0)
		return ir_error(g->ctx, g->loc, "out of memory keeping the float model for the report");
	int rc = -1;
	if (ir_protect(g->ctx, get_ranges, &j) == 0 && quant_insert_qdq(g, j.r, &o->qo, st) == 0 &&
	    (!o->verbose || quant_stats_print(g, st, stderr) == 0) && (!bc || correct_biases(g, o, res) == 0))
		rc = ir_verify(g) < 0 ? -1 : int8_fold_qdq(g, o->verbose);
	free(own.float_text);
	return rc;
}

bool int8_has_qdq(const ir_graph *g)
{
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_opkind k = g->ops[i]->kind;
		if (k == IR_OP_QUANTIZE || k == IR_OP_DEQUANTIZE)
			return true;
	}
	return false;
}

int int8_fold_qdq(ir_graph *g, bool verbose)
{
	pass_options po = {0};
	if (pass_run_pipeline(g, "quant-fold,dce", &po) < 0 || ir_verify(g) < 0)
		return -1;
	int64_t n = quant_unfold(g, cg_supports_quantized);
	if (verbose)
		fprintf(stderr, "int8: %lld quantized op(s) without an int8 kernel run in float\n",
			(long long)n);
	return ir_verify(g) < 0 || pass_run_pipeline(g, "cse,dce", &po) < 0 ? -1 : 0;
}
