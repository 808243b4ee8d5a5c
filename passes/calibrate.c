/*
** calibrate.c - the calibration run: statistics over every sample, the
** chosen method's ranges, auto's per-value choice, the -v table.
**
** Each sample runs the whole graph op by op (interp_op, as interp_run does)
** in a scratch context freed after the sample, keeping every value so that
** each float non-constant value can be measured; memory per sample is one
** float run of the graph, whatever the number of samples.
**
** auto: per value v, each distinct candidate range (minmax, percentile,
** entropy, mse) is judged by the error it causes at v's consumers: on K
** samples spread evenly over the data (o->auto_samples), v is
** quantize-dequantized with the candidate, every op reading v is run again
** with the other operands float, and the squared difference of its results
** from the float results is summed (for a graph output, or a value nobody
** reads, the difference of v itself).  The least total wins; ties go to
** CALIB_DEFAULT_METHOD, then to the candidates' order.  Cost bound: K float
** runs of the graph plus, per sample, at most 4 re-runs of every op per
** calibrated operand it has - at most K * (1 + 4 * A) graph runs, A the
** largest number of distinct calibrated operands of one op (1 for a chain
** of convolutions, 2 with residual Adds).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/util.h"
#include "passes/calibrate.h"

typedef struct calib_state {
	ir_graph *g;
	calib_data *d;
	const calib_options *o;
	calib_stats **stats;    /* [n_vals]; NULL for a value not calibrated */
	quant_range (*cand)[CALIB_NCANDIDATES]; /* [n_vals]: each method's range */
	double (*err)[CALIB_NCANDIDATES];       /* [n_vals]: auto's error sums */
	uint8_t *chosen;        /* [n_vals]: the method whose range is used */
	uint32_t *cons_start;   /* [n_vals + 1]: consumers of v are cons[start[v]..start[v+1]) */
	ir_op **cons;
	uint32_t *num;          /* value numbers for labels */
	int32_t max_in, max_out;
} calib_state;

/* Calibrate v: a float graph input or result of a non-const op of g (the
** value array also holds values of ops passes removed). */
static void mark(calib_state *st, ir_val v)
{
	if (!ir_dtype_is_float(ir_type_of(st->g, v)->dtype) || st->stats[v])
		return;
	st->stats[v] = ir_alloc(st->g->ctx, sizeof **st->stats);
	calib_stats_init(st->stats[v]);
}

/* Diagnostics of a scratch context count in the graph's context. */
static int absorb(ir_ctx *c, const ir_ctx *scratch)
{
	if (c->n_errors == 0 && scratch->n_errors)
		memcpy(c->first_error, scratch->first_error, sizeof c->first_error);
	c->n_errors += scratch->n_errors;
	return scratch->n_errors ? -1 : 0;
}

static ir_ctx *scratch_ctx(const ir_graph *g)
{
	ir_ctx *s = ir_ctx_new(0);
	if (s)
		s->diag_out = g->ctx->diag_out;
	else
		ir_error(g->ctx, g->loc, "out of memory for a calibration sample");
	return s;
}

/* ---- one float run ---------------------------------------------------------- */

/* Evaluate every op of g into vals (inputs bound); inside a boundary of c. */
static int eval_graph(ir_ctx *c, const calib_state *st, interp_tensor *vals)
{
	const ir_graph *g = st->g;
	const interp_tensor **in = ir_alloc_array(c, (size_t)st->max_in, sizeof *in);
	interp_tensor *out = ir_alloc_array(c, (size_t)st->max_out, sizeof *out);
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		if (op->kind == IR_OP_CONST) {
			const ir_blob *b = ir_const_of(g, op->out[0]);
			vals[op->out[0]] = (interp_tensor){*ir_type_of(g, op->out[0]), b ? (void *)b->data : NULL};
			continue;
		}
		for (int32_t j = 0; j < op->n_in; j++)
			in[j] = op->in[j] == IR_NOVAL ? NULL : &vals[op->in[j]];
		if (interp_op(c, g, op, in, out) < 0)
			return -1;
		for (int32_t j = 0; j < op->n_out; j++)
			vals[op->out[j]] = out[j];
	}
	return 0;
}

/* t's elements as floats: its own data for f32, a copy in c otherwise. */
static const float *as_floats(ir_ctx *c, const interp_tensor *t, int64_t *n)
{
	ir_type_numel(&t->type, n);
	if (t->type.dtype == IR_F32)
		return t->data;
	float *f = ir_alloc_array(c, (size_t)*n, sizeof *f);
	for (int64_t i = 0; i < *n; i++)
		f[i] = (float)interp_get_f(t, i);
	return f;
}

typedef struct sample_call {
	calib_state *st;
	int64_t s;
	interp_tensor *vals;
} sample_call;

/* Bind sample s and run the graph into a fresh vals. */
static int run_sample(ir_ctx *c, sample_call *a)
{
	const ir_graph *g = a->st->g;
	interp_tensor *in = ir_alloc_array(c, g->n_inputs, sizeof *in);
	a->vals = ir_alloc_array(c, g->n_vals, sizeof *a->vals);
	if (calib_data_get(a->st->d, a->s, in) < 0)
		return -1;
	for (uint32_t i = 0; i < g->n_inputs; i++)
		a->vals[g->inputs[i]] = in[i];
	return eval_graph(c, a->st, a->vals);
}

/* A failure whose diagnostic names the sample already (no note needed). */
#define FAIL_NAMED (-2)

/* "DATA: error: calibration sample S: value V holds ..." */
static int non_finite(calib_state *st, int64_t s, ir_val v)
{
	char label[512];
	ir_value_label(st->g, st->num, v, label, sizeof label);
	ir_error(st->g->ctx, (ir_loc){calib_data_source(st->d, s), 0, 0},
		 "calibration sample %lld: value %s holds a NaN or an infinity; ranges must be finite",
		 (long long)s, label);
	return FAIL_NAMED;
}

static int stats_protected(ir_ctx *c, void *ud)
{
	sample_call *a = ud;
	calib_state *st = a->st;
	if (run_sample(c, a) < 0)
		return -1;
	for (ir_val v = 1; v < st->g->n_vals; v++) {
		int64_t n;
		if (!st->stats[v])
			continue;
		const float *x = as_floats(c, &a->vals[v], &n);
		if (calib_stats_add(st->stats[v], x, n) < 0)
			return non_finite(st, a->s, v);
	}
	return 0;
}

/* Which sample a failure (already reported) happened on; returns -1. */
static int sample_note(calib_state *st, int64_t s)
{
	ir_note(st->g->ctx, (ir_loc){calib_data_source(st->d, s), 0, 0}, "while running calibration sample %lld",
		(long long)s);
	return -1;
}

static int collect_stats(calib_state *st)
{
	int64_t n = calib_data_count(st->d);
	for (int64_t s = 0; s < n; s++) {
		ir_ctx *c = scratch_ctx(st->g);
		if (!c)
			return -1;
		sample_call a = {st, s, NULL};
		int rc = ir_protect(c, stats_protected, &a);
		rc = absorb(st->g->ctx, c) < 0 && rc == 0 ? -1 : rc;
		ir_ctx_free(c);
		if (rc == FAIL_NAMED)
			return -1;
		if (rc < 0)
			return sample_note(st, s);
	}
	return 0;
}

/* ---- auto --------------------------------------------------------------------- */

/* Squared difference of a and b, elementwise over the same type. */
static double sq_diff(const interp_tensor *a, const interp_tensor *b)
{
	int64_t n = 0;
	double sum = 0;
	ir_type_numel(&a->type, &n);
	for (int64_t i = 0; i < n; i++) {
		double e = interp_get_f(a, i) - interp_get_f(b, i);
		sum += e * e;
	}
	return sum;
}

/* A copy of t quantize-dequantized with range r, in c. */
static interp_tensor fake_quant(ir_ctx *c, const interp_tensor *t, quant_range r)
{
	int64_t n = 0, bytes = 0;
	ir_type_numel(&t->type, &n);
	ir_type_bytes(&t->type, &bytes);
	interp_tensor q = {t->type, ir_alloc(c, (size_t)bytes)};
	for (int64_t i = 0; i < n; i++)
		interp_set_f(&q, i, calib_qdq((float)interp_get_f(t, i), r));
	return q;
}

/* The error range r causes at v's consumers on the sample in vals. */
static int consumer_error(ir_ctx *c, const calib_state *st, const interp_tensor *vals, ir_val v,
			  quant_range r, double *err)
{
	const ir_graph *g = st->g;
	const interp_tensor **in = ir_alloc_array(c, (size_t)st->max_in, sizeof *in);
	interp_tensor *out = ir_alloc_array(c, (size_t)st->max_out, sizeof *out);
	interp_tensor q = fake_quant(c, &vals[v], r);
	bool is_output = false;
	*err = 0;
	for (uint32_t k = st->cons_start[v]; k < st->cons_start[v + 1]; k++) {
		const ir_op *op = st->cons[k];
		for (int32_t j = 0; j < op->n_in; j++)
			in[j] = op->in[j] == IR_NOVAL ? NULL : op->in[j] == v ? &q : &vals[op->in[j]];
		if (interp_op(c, g, op, in, out) < 0)
			return -1;
		for (int32_t j = 0; j < op->n_out; j++)
			*err += sq_diff(&out[j], &vals[op->out[j]]);
	}
	for (uint32_t k = 0; k < g->n_outputs; k++)
		is_output |= g->outputs[k].val == v;
	if (is_output || st->cons_start[v] == st->cons_start[v + 1])
		*err += sq_diff(&q, &vals[v]);
	return 0;
}

/* Add each distinct candidate's error for v on this sample to st->err[v]. */
static int judge_value(ir_ctx *c, calib_state *st, const interp_tensor *vals, ir_val v)
{
	double e[CALIB_NCANDIDATES];
	for (int m = 0; m < CALIB_NCANDIDATES; m++) {
		int same = 0;
		while (same < m && memcmp(&st->cand[v][same], &st->cand[v][m], sizeof(quant_range)) != 0)
			same++;
		if (same < m)
			e[m] = e[same];
		else if (consumer_error(c, st, vals, v, st->cand[v][m], &e[m]) < 0)
			return -1;
		st->err[v][m] += e[m];
	}
	return 0;
}

static int judge_protected(ir_ctx *c, void *ud)
{
	sample_call *a = ud;
	calib_state *st = a->st;
	if (run_sample(c, a) < 0)
		return -1;
	for (ir_val v = 1; v < st->g->n_vals; v++) {
		if (!st->stats[v])
			continue;
		ir_ctx *cv = scratch_ctx(st->g);
		if (!cv)
			return -1;
		int rc = judge_value(cv, st, a->vals, v);
		rc = absorb(c, cv) < 0 ? -1 : rc;
		ir_ctx_free(cv);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The method of least error for v; ties to the default, then in order. */
static calib_method least_error(const calib_state *st, ir_val v)
{
	calib_method best = CALIB_DEFAULT_METHOD;
	for (int m = 0; m < CALIB_NCANDIDATES; m++)
		if (st->err[v][m] < st->err[v][best])
			best = (calib_method)m;
	return best;
}

static int choose_auto(calib_state *st)
{
	int64_t n = calib_data_count(st->d);
	int64_t k = st->o->auto_samples < 1 ? 1 : st->o->auto_samples;
	k = k < n ? k : n;
	st->err = ir_alloc_array(st->g->ctx, st->g->n_vals, sizeof *st->err);
	for (int64_t j = 0; j < k; j++) {
		ir_ctx *c = scratch_ctx(st->g);
		if (!c)
			return -1;
		sample_call a = {st, j * n / k, NULL};
		int rc = ir_protect(c, judge_protected, &a);
		rc = absorb(st->g->ctx, c) < 0 ? -1 : rc;
		ir_ctx_free(c);
		if (rc < 0)
			return sample_note(st, a.s);
	}
	for (ir_val v = 1; v < st->g->n_vals; v++)
		if (st->stats[v])
			st->chosen[v] = (uint8_t)least_error(st, v);
	return 0;
}

/* ---- setup, table, result ------------------------------------------------------- */

/* Consumers of every value (each op once per value it reads), CSR. */
static void index_consumers(calib_state *st)
{
	ir_graph *g = st->g;
	uint32_t total = 0;
	st->cons_start = ir_alloc_array(g->ctx, (size_t)g->n_vals + 1, sizeof *st->cons_start);
	for (int pass = 0; pass < 2; pass++) {
		uint32_t *fill = pass ? ir_alloc_array(g->ctx, g->n_vals, sizeof *fill) : NULL;
		for (uint32_t i = 0; i < g->n_ops; i++) {
			ir_op *op = g->ops[i];
			for (int32_t j = 0; j < op->n_in; j++) {
				ir_val v = op->in[j];
				bool seen = false;
				for (int32_t k = 0; k < j; k++)
					seen |= op->in[k] == v;
				if (v == IR_NOVAL || seen)
					continue;
				if (pass == 0)
					st->cons_start[v + 1]++, total++;
				else
					st->cons[st->cons_start[v] + fill[v]++] = op;
			}
		}
		if (pass == 0) {
			for (ir_val v = 1; v <= g->n_vals - 1; v++)
				st->cons_start[v + 1] += st->cons_start[v];
			st->cons = ir_alloc_array(g->ctx, (size_t)total + 1, sizeof *st->cons);
		}
	}
}

static void setup(calib_state *st)
{
	ir_graph *g = st->g;
	st->max_in = st->max_out = 1;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		st->max_in = g->ops[i]->n_in > st->max_in ? g->ops[i]->n_in : st->max_in;
		st->max_out = g->ops[i]->n_out > st->max_out ? g->ops[i]->n_out : st->max_out;
	}
	st->stats = ir_alloc_array(g->ctx, g->n_vals, sizeof *st->stats);
	st->cand = ir_alloc_array(g->ctx, g->n_vals, sizeof *st->cand);
	st->chosen = ir_alloc_array(g->ctx, g->n_vals, sizeof *st->chosen);
	st->num = ir_number_values(g);
	for (uint32_t i = 0; i < g->n_inputs; i++)
		mark(st, g->inputs[i]);
	for (uint32_t i = 0; i < g->n_ops; i++)
		for (int32_t j = 0; g->ops[i]->kind != IR_OP_CONST && j < g->ops[i]->n_out; j++)
			mark(st, g->ops[i]->out[j]);
	index_consumers(st);
}

static void print_table(const calib_state *st, FILE *f)
{
	char label[512];
	fprintf(f, "# calibration: %lld samples, method %s", (long long)calib_data_count(st->d),
		calib_method_name(st->o->method));
	if (st->o->method == CALIB_PERCENTILE || st->o->method == CALIB_AUTO)
		fprintf(f, ", percentile %g", st->o->percentile);
	fprintf(f, "\n# %-30s %8s %12s %12s", "value", "samples", "min", "max");
	for (int m = 0; m < CALIB_NCANDIDATES; m++)
		fprintf(f, " %26s", calib_method_name((calib_method)m));
	fprintf(f, "  chosen\n");
	for (ir_val v = 1; v < st->g->n_vals; v++) {
		const calib_stats *s = st->stats[v];
		if (!s)
			continue;
		ir_value_label(st->g, st->num, v, label, sizeof label);
		fprintf(f, "%-32s %8lld %12.6g %12.6g", label, (long long)s->samples, s->hist.min, s->hist.max);
		for (int m = 0; m < CALIB_NCANDIDATES; m++)
			fprintf(f, "  %12.6g %12.6g", (double)st->cand[v][m].lo, (double)st->cand[v][m].hi);
		fprintf(f, "  %s\n", calib_method_name((calib_method)st->chosen[v]));
	}
}

static quant_ranges *result(calib_state *st)
{
	quant_ranges *q = quant_ranges_new(st->g);
	q->method = calib_method_name(st->o->method);
	q->samples = (int32_t)(calib_data_count(st->d) > INT32_MAX ? INT32_MAX : calib_data_count(st->d));
	for (ir_val v = 1; v < st->g->n_vals; v++)
		if (st->stats[v]) {
			q->r[v] = st->cand[v][st->chosen[v]];
			q->has[v] = true;
		}
	return q;
}

typedef struct run_call {
	calib_state *st;
	quant_ranges *q;
} run_call;

static int run_protected(ir_ctx *c, void *ud)
{
	run_call *a = ud;
	calib_state *st = a->st;
	(void)c;
	setup(st);
	if (collect_stats(st) < 0)
		return -1;
	/* every method's range when auto or the table needs them */
	bool all = st->o->method == CALIB_AUTO || st->o->table;
	for (ir_val v = 1; v < st->g->n_vals; v++) {
		if (!st->stats[v])
			continue;
		st->chosen[v] = (uint8_t)(st->o->method == CALIB_AUTO ? CALIB_DEFAULT_METHOD : st->o->method);
		for (int m = 0; m < CALIB_NCANDIDATES; m++)
			if (all || m == st->chosen[v])
				st->cand[v][m] = calib_range(st->stats[v], (calib_method)m, st->o->percentile);
	}
	if (st->o->method == CALIB_AUTO && choose_auto(st) < 0)
		return -1;
	if (st->o->table)
		print_table(st, st->o->table);
	a->q = result(st);
	return 0;
}

quant_ranges *calib_run(ir_graph *g, calib_data *d, const calib_options *o)
{
	if ((unsigned)o->method >= CALIB_NMETHODS || !(o->percentile > 0 && o->percentile <= 100)) {
		ir_error(g->ctx, g->loc, "calibration: invalid method or percentile");
		return NULL;
	}
	calib_state st = {.g = g, .d = d, .o = o};
	run_call a = {&st, NULL};
	return ir_protect(g->ctx, run_protected, &a) < 0 ? NULL : a.q;
}
