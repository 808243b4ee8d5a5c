/*
** condense-opt - read the text IR, verify it, run passes, print it.
**
**   condense-opt IN.cir [--passes=a,b,c] [--verify-each] [--print-after-all]
**                [--split-input-file] [--stats] [--print-plan] [-o OUT.cir]
**                [--list-passes]
**                [--quantize-ranges RANGES.txt [--quantize-rounding nearest|stochastic]
**                 [--quantize-seed N] [--quantize-per-tensor] [--quantize-stats]
**                 [--quantize-bias-correct DATA]]
**                [--run-samples X.npy --samples-out Y.npy]
**   condense-opt IN.onnx [--input-shape NAME=D0,D1,...]... [same options]
**
** An input whose name ends in ".onnx" is imported (frontend/onnx.h) instead
** of parsed; --input-shape pins the dynamic dims of a graph input.
**
** The input is always verified after parsing and the output after the
** pipeline.  --check-numerics runs the input and the output graph in the
** interpreter on seeded random inputs and fails if they disagree
** (tools/numerics.h).  --print-plan prints the static memory plan the code generator
** would use (passes/plan.h) instead of the graph.  With --split-input-file the input is cut at lines that start
** with "// -----"; each piece is handled on its own (line numbers stay those
** of the whole file) and the outputs are joined with the same separator.
** --quantize-ranges runs the int8 QDQ insertion (passes/quantize.h) after
** the pipeline, with the ranges file read against the graph as the
** pipeline left it, and verifies the result; --quantize-stats prints its
** per-layer table to stderr; --quantize-bias-correct then corrects the
** biases of the QDQ graph on the calibration DATA (passes/bias_correct.h).
** --run-samples runs the final graph in the
** interpreter once per sample of X.npy (shape (N, *input) or, when the
** input's batch dimension is 1, (N, *input[1:])), bound to the graph's one
** f32 input, and writes the first output of every run, stacked as
** (N, *output), to Y.npy: how a quantized graph's accuracy is measured.
** Exit status: 0 on success, 1 when any input piece has an error (or the
** ONNX model is malformed), 2 on a usage error or an ONNX model that uses
** what condense does not support.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx.h"
#include "ir/ir.h"
#include "codegen/cg.h"
#include "passes/pass.h"
#include "passes/plan.h"
#include "passes/bias_correct.h"
#include "passes/quantize.h"
#include "interp/interp.h"
#include "runtime/npy.h"
#include "tools/numerics.h"

#define SPLIT_MARK "// -----"

typedef struct opts {
	const char *in, *out, *passes;
	bool verify_each, print_after_all, split, stats, print_plan, check_numerics;
	onnx_shape_pin pins[IR_MAX_IO];
	int32_t n_pins;
	const char *q_ranges;           /* --quantize-ranges */
	const char *q_bc;               /* --quantize-bias-correct DATA */
	quant_options q;
	bool q_stats, q_flags;          /* q_flags: a --quantize-* option besides the ranges */
	const char *samples_in, *samples_out;
} opts;

static int usage(FILE *f)
{
	fputs("usage: condense-opt IN.cir|IN.onnx|- [--passes=a,b,c] [--verify-each] [--print-after-all]\n"
	      "                    [--split-input-file] [--stats] [--print-plan] [--check-numerics]\n"
	      "                    [-o OUT.cir] [--list-passes]\n"
	      "                    [--input-shape NAME=D0,D1,...]...\n"
	      "                    [--quantize-ranges RANGES.txt [--quantize-rounding nearest|stochastic]\n"
	      "                     [--quantize-seed N] [--quantize-per-tensor] [--quantize-stats]\n"
	      "                     [--quantize-bias-correct DATA]]\n"
	      "                    [--run-samples X.npy --samples-out Y.npy]\n",
	      f);
	return 2;
}

static int list_passes(void)
{
	int n;
	const pass_info *p = pass_list(&n);
	for (int i = 0; i < n; i++)
		printf("  %-14s %s\n", p[i].name, p[i].summary);
	return 0;
}

static int add_pin(opts *o, const char *s)
{
	if (o->n_pins < IR_MAX_IO && onnx_parse_shape_pin(s, &o->pins[o->n_pins]) == 0)
		return o->n_pins++, 0;
	fprintf(stderr, "condense-opt: --input-shape wants NAME=D0,D1,..., not '%s'\n", s);
	return -1;
}

/* The --quantize-* and --run-samples options at argv[*i]: 1 when taken, 0
** when a is not one of them, -1 on a bad value. */
static int parse_quant_arg(int argc, char **argv, int *i, opts *o)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	char *end;
	if (strcmp(a, "--quantize-stats") == 0)
		return o->q_flags = o->q_stats = true, 1;
	if (strcmp(a, "--quantize-per-tensor") == 0)
		return o->q_flags = o->q.per_tensor = true, 1;
	const char **path = strcmp(a, "--quantize-ranges") == 0 ? &o->q_ranges
			  : strcmp(a, "--quantize-bias-correct") == 0 ? &o->q_bc
			  : strcmp(a, "--run-samples") == 0   ? &o->samples_in
			  : strcmp(a, "--samples-out") == 0   ? &o->samples_out
							      : NULL;
	bool seed = strcmp(a, "--quantize-seed") == 0, rounding = strcmp(a, "--quantize-rounding") == 0;
	if (!v || (!path && !seed && !rounding))
		return 0;
	++*i;
	if (path)
		return *path = v, 1;
	o->q_flags = true;
	if (seed) {
		o->q.seed = strtoull(v, &end, 10);
		return *v && *end == '\0' && v[0] != '-' ? 1 : -1;
	}
	o->q.rounding = strcmp(v, "stochastic") == 0 ? QUANT_ROUND_STOCHASTIC : QUANT_ROUND_NEAREST;
	return strcmp(v, "stochastic") == 0 || strcmp(v, "nearest") == 0 ? 1 : -1;
}

/* Options that need another: 0, or the usage exit status. */
static int check_quant_args(const opts *o)
{
	if ((o->q_flags || o->q_bc) && !o->q_ranges)
		return fprintf(stderr, "condense-opt: --quantize-* options need --quantize-ranges\n"), usage(stderr);
	if (!o->samples_in != !o->samples_out)
		return fprintf(stderr, "condense-opt: --run-samples and --samples-out go together\n"), usage(stderr);
	return 0;
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, opts *o)
{
	bool bad_pin = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int q = parse_quant_arg(argc, argv, &i, o);
		if (q < 0)
			return fprintf(stderr, "condense-opt: bad value for '%s'\n", a), usage(stderr);
		if (q > 0)
			continue;
		if (strncmp(a, "--passes=", 9) == 0)
			o->passes = a + 9;
		else if (strcmp(a, "--verify-each") == 0)
			o->verify_each = true;
		else if (strcmp(a, "--print-after-all") == 0)
			o->print_after_all = true;
		else if (strcmp(a, "--split-input-file") == 0)
			o->split = true;
		else if (strcmp(a, "--stats") == 0)
			o->stats = true;
		else if (strcmp(a, "--print-plan") == 0)
			o->print_plan = true;
		else if (strcmp(a, "--check-numerics") == 0)
			o->check_numerics = true;
		else if (strcmp(a, "--list-passes") == 0)
			return list_passes();
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return usage(stdout) & 0;
		else if (strcmp(a, "-o") == 0 && i + 1 < argc)
			o->out = argv[++i];
		else if (strcmp(a, "--input-shape") == 0 && i + 1 < argc)
			bad_pin |= add_pin(o, argv[++i]) < 0;
		else if (a[0] == '-' && a[1] && !o->in)
			return fprintf(stderr, "condense-opt: unknown option '%s'\n", a), usage(stderr);
		else if (!o->in)
			o->in = a;
		else
			return fprintf(stderr, "condense-opt: more than one input ('%s')\n", a), usage(stderr);
	}
	if (!o->in)
		return fprintf(stderr, "condense-opt: no input file\n"), usage(stderr);
	if (check_quant_args(o))
		return 2;
	return bad_pin ? usage(stderr) : -1;
}

/* Whole file (or stdin) into a malloc'd buffer; NULL after a message. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "condense-opt: cannot open '%s'\n", path);
		return NULL;
	}
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && n <= IR_MAX_TEXT_BYTES) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (!buf || n > IR_MAX_TEXT_BYTES) {
		fprintf(stderr, "condense-opt: '%s' is too large or memory ran out\n", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

typedef struct ranges_job {
	ir_graph *g;
	const char *path;
	quant_ranges *r;
} ranges_job;

static int read_ranges(ir_ctx *c, void *ud)
{
	(void)c;
	ranges_job *j = ud;
	j->r = quant_ranges_read(j->g, j->path);
	return j->r ? 0 : -1;
}

/* --quantize-ranges: Q/DQ insertion on g as the pipeline left it, then
** the statistics and the verifier; -1 after a diagnostic. */
/* A copy of g (through the text form, which round-trips), or NULL. */
static ir_graph *copy_graph(ir_graph *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = ir_print(g, f);
	ir_graph *c = fclose(f) == 0 && rc == 0 ? ir_parse(g->ctx, "<float copy>", text, len, 1) : NULL;
	free(text);
	return c;
}

/* --quantize-bias-correct: the QDQ graph g against the float graph f. */
static int bias_correct(const opts *o, ir_graph *g, ir_graph *f)
{
	calib_data *d = f ? calib_data_open(f, o->q_bc, 0) : NULL;
	if (!d)
		return -1;
	bias_correct_stats bs;
	int rc = quant_bias_correct(g, f, d, 0, &bs);
	calib_data_close(d);
	if (rc == 0 && o->q_stats)
		fprintf(stderr, "bias correction: %d layer(s) on %lld sample(s)\n", bs.layers, (long long)bs.samples);
	return rc;
}

static int quantize(const opts *o, ir_graph *g)
{
	ranges_job j = {g, o->q_ranges, NULL};
	quant_stats st;
	ir_graph *f = o->q_bc ? copy_graph(g) : NULL;
	if (ir_protect(g->ctx, read_ranges, &j) < 0 || quant_insert_qdq(g, j.r, &o->q, &st) < 0)
		return -1;
	if (o->q_stats && quant_stats_print(g, &st, stderr) < 0)
		return -1;
	if (o->q_bc && (ir_verify(g) < 0 || bias_correct(o, g, f) < 0))
		return -1;
	return ir_verify(g);
}

/* The samples in x fit input type t: (N, *t) or, when t's batch dim is 1,
** (N, *t[1:]). */
static bool samples_fit(const npy_array *x, const ir_type *t)
{
	int skip = x->rank == t->rank && t->rank >= 1 && t->dims[0] == 1;
	if (x->dtype != NPY_F32 || t->dtype != IR_F32 || x->rank < 1 || x->rank != t->rank + 1 - skip)
		return false;
	for (int d = skip; d < t->rank; d++)
		if (x->dims[d + 1 - skip] != t->dims[d])
			return false;
	return true;
}

/* Run g on sample i of x; its first output (f32, n_out elements) into y. */
static int run_sample(const ir_graph *g, const npy_array *x, int64_t i, float *y, int64_t n_out)
{
	ir_ctx *c = ir_ctx_new(0);
	interp_tensor *outs = calloc(g->n_outputs, sizeof *outs);
	const ir_type *t = ir_type_of(g, g->inputs[0]);
	int64_t n_in = 0;
	ir_type_numel(t, &n_in);
	interp_tensor in = {*t, (float *)x->data + i * n_in};
	int rc = c && outs ? interp_run(c, g, &in, outs) : -1;
	if (rc == 0 && (outs[0].type.dtype != IR_F32 || ir_type_numel(&outs[0].type, &n_in) < 0 || n_in != n_out))
		rc = -1;
	if (rc == 0)
		memcpy(y + i * n_out, outs[0].data, (size_t)n_out * 4);
	free(outs);
	ir_ctx_free(c);
	return rc;
}

/* --run-samples: the first output of g for every sample, into --samples-out. */
static int run_samples(const opts *o, const ir_graph *g)
{
	char err[256];
	npy_array x = {0}, y = {0};
	const ir_type *out = g->n_outputs ? ir_type_of(g, g->outputs[0].val) : NULL;
	if (g->n_inputs != 1 || !out || out->rank + 1 > NPY_MAX_RANK)
		return fprintf(stderr, "condense-opt: --run-samples needs a graph with one input and an output\n"), -1;
	if (npy_read(o->samples_in, &x, err, sizeof err) < 0)
		return fprintf(stderr, "condense-opt: %s: %s\n", o->samples_in, err), -1;
	int rc = samples_fit(&x, ir_type_of(g, g->inputs[0])) ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "condense-opt: %s: expected f32 samples of the input's shape\n", o->samples_in);
	int64_t n_out = 0;
	ir_type_numel(out, &n_out);
	y = (npy_array){.dtype = NPY_F32, .rank = out->rank + 1, .dims = {x.dims[0]}};
	memcpy(&y.dims[1], out->dims, (size_t)out->rank * sizeof *out->dims);
	y.nbytes = (size_t)(x.dims[0] * n_out) * 4;
	y.data = rc == 0 ? malloc(y.nbytes ? y.nbytes : 1) : NULL;
	for (int64_t i = 0; rc == 0 && i < x.dims[0]; i++)
		if ((rc = y.data ? run_sample(g, &x, i, y.data, n_out) : -1) < 0)
			fprintf(stderr, "condense-opt: --run-samples: sample %lld failed\n", (long long)i);
	if (rc == 0 && npy_write(o->samples_out, &y, err, sizeof err) < 0) {
		fprintf(stderr, "condense-opt: %s: %s\n", o->samples_out, err);
		rc = -1;
	}
	npy_free(&x);
	free(y.data);
	return rc;
}

/* Verify, run the pipeline and print g; 0 or 1.  before, when not NULL,
** is a second copy of the input for --check-numerics. */
static int run_graph(const opts *o, ir_graph *g, ir_graph *before, FILE *out)
{
	pass_options po = {o->verify_each, o->print_after_all ? stderr : NULL, o->stats ? stderr : NULL};
	int rc = ir_verify(g) < 0;
	if (!rc && o->passes && pass_run_pipeline(g, o->passes, &po) < 0)
		rc = 1;
	if (!rc && o->passes && !o->verify_each && ir_verify(g) < 0)
		rc = 1;
	if (!rc && o->q_ranges && quantize(o, g) < 0)
		rc = 1;
	if (!rc && o->samples_in && run_samples(o, g) < 0)
		rc = 1;
	if (!rc && before && numerics_check(before, g, stderr) < 0)
		rc = 1;
	if (!rc && o->print_plan) {
		plan_result plan;
		rc = plan_graph(g, cg_workspace, NULL, &plan) < 0 || plan_print(g, &plan, out) < 0;
	} else if (!rc && ir_print(g, out) < 0) {
		rc = 1;
	}
	return rc;
}

/* Parse one piece and run it; 0 or 1. */
static int run_piece(const opts *o, const char *text, size_t len, int first_line, FILE *out)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense-opt: out of memory\n"), 1;
	ir_graph *g = ir_parse(c, o->in, text, len, first_line);
	ir_graph *before = g && o->check_numerics ? ir_parse(c, o->in, text, len, first_line) : NULL;
	int rc = !g || run_graph(o, g, before, out);
	ir_ctx_free(c);
	return rc;
}

static bool is_onnx(const char *path)
{
	size_t n = strlen(path);
	return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

/* Import the model and run it; 0, 1 (malformed) or 2 (unsupported). */
static int run_onnx(const opts *o, FILE *out)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense-opt: out of memory\n"), 1;
	onnx_options oo = {o->pins, o->n_pins};
	onnx_status st;
	ir_graph *g = onnx_import_file(c, o->in, &oo, &st);
	ir_graph *before = g && o->check_numerics ? onnx_import_file(c, o->in, &oo, &st) : NULL;
	int rc = g ? run_graph(o, g, before, out) : st == ONNX_UNSUPPORTED ? 2 : 1;
	ir_ctx_free(c);
	return rc;
}

/* Start of the next split marker line at or after p, or end. */
static const char *next_mark(const char *p, const char *end)
{
	size_t m = strlen(SPLIT_MARK);
	for (const char *q = p; q < end; q++)
		if ((q == p || q[-1] == '\n') && (size_t)(end - q) >= m && memcmp(q, SPLIT_MARK, m) == 0)
			return q;
	return end;
}

static int run_split(const opts *o, const char *text, size_t len, FILE *out)
{
	const char *p = text, *end = text + len;
	int line = 1, rc = 0;
	while (p <= end) {
		const char *m = o->split ? next_mark(p, end) : end;
		rc |= run_piece(o, p, (size_t)(m - p), line, out);
		for (const char *q = p; q < m; q++)
			line += *q == '\n';
		if (m == end)
			break;
		fputs(SPLIT_MARK "\n", out);
		p = m;
		while (p < end && *p != '\n')
			p++;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	size_t len = 0;
	char *text = is_onnx(o.in) ? NULL : read_all(o.in, &len);
	if (!text && !is_onnx(o.in))
		return 1;
	FILE *out = o.out ? fopen(o.out, "w") : stdout;
	if (!out) {
		fprintf(stderr, "condense-opt: cannot write '%s'\n", o.out);
		free(text);
		return 1;
	}
	rc = text ? run_split(&o, text, len, out) : run_onnx(&o, out);
	if (fflush(out) != 0 || ferror(out) || (o.out && fclose(out) != 0)) {
		fprintf(stderr, "condense-opt: error writing '%s'\n", o.out ? o.out : "standard output");
		rc = 1;
	}
	free(text);
	return rc;
}
