/*
** compile.c - `condense compile`: a model into an object file and header.
**
**   condense compile MODEL.onnx|MODEL.cir -o OUT [--header OUT.h] [--name PREFIX]
**       [--target TRIPLE] [--cpu NAME] [--features +a,-b] [--input-shape NAME=D0,...]
**       [--emit obj|asm|llvm|cir] [-O0|-O1|-O2|-O3] [--report FILE.json]
**       [--weights-section NAME] [-v]
**       [--quantize int8 (--calibration DATA | --ranges FILE) [--calib-method M]
**        [--calib-samples N] [--rounding nearest|stochastic] [--seed N]]
**       [--quantized-onnx OUT.onnx]
**   condense export MODEL --quantize int8 ... --quantized-onnx OUT.onnx
**
** The graph goes through the optimization pipeline (CG_PIPELINE), is
** verified, then compiled.  A graph with QuantizeLinear/DequantizeLinear
** ops (a QDQ model) becomes an integer program first (int8_fold_qdq), as
** --quantize int8's own output does.  OUT "-" writes to stdout.  On failure nothing
** is left at OUT or the header path.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "frontend/onnx.h"
#include "frontend/onnx_export.h"
#include "passes/pass.h"
#include "tools/compile.h"
#include "tools/int8.h"
#include "tools/int8_report.h"


typedef struct compile_opts {
	const char *model, *out, *header, *report, *emit;
	const char *qonnx;        /* --quantized-onnx */
	bool export_only;         /* condense export */
	int8_result qres;         /* what quantization left for the report */
	int8_report rep;          /* measured when -v or --report (rep.q set) */
	cg_options cg;
	onnx_shape_pin pins[IR_MAX_IO];
	int32_t n_pins;
	int8_opts q;
} compile_opts;

static bool export_mode;   /* the command is export: its name and usage in messages */

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "condense %s: %s%s%s\n%s", export_mode ? "export" : "compile", msg, arg ? ": " : "",
		arg ? arg : "", export_mode ? EXPORT_USAGE : COMPILE_USAGE);
	return 2;
}

static int parse_emit(compile_opts *o, const char *s)
{
	static const char *const names[] = {"obj", "asm", "llvm"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i]))
			return o->cg.emit = (cg_emit_kind)i, 0;
	if (!strcmp(s, "cir"))
		return o->emit = s, 0;
	return -1;
}

/* An option with a value; 1 when arg is not one of them, -1 on error. */
static int value_option(compile_opts *o, const char *a, const char *v)
{
	const char **slot = !strcmp(a, "-o") ? &o->out : !strcmp(a, "--header") ? &o->header
		: !strcmp(a, "--report") ? &o->report : !strcmp(a, "--quantized-onnx") ? &o->qonnx : !strcmp(a, "--name") ? &o->cg.prefix
		: !strcmp(a, "--target") ? &o->cg.triple : !strcmp(a, "--cpu") ? &o->cg.cpu
		: !strcmp(a, "--features") ? &o->cg.features
		: !strcmp(a, "--weights-section") ? &o->cg.weights_section : NULL;
	if (slot) {
		*slot = v;
		return 0;
	}
	int q = int8_option(&o->q, a, v);
	if (q <= 0)
		return q;
	if (!strcmp(a, "--emit"))
		return parse_emit(o, v) < 0 ? usage_error("unknown --emit kind", v), -1 : 0;
	if (!strcmp(a, "--input-shape")) {
		if (o->n_pins >= IR_MAX_IO || onnx_parse_shape_pin(v, &o->pins[o->n_pins]) < 0)
			return usage_error("bad --input-shape (NAME=D0,D1,...)", v), -1;
		o->n_pins++;
		return 0;
	}
	return 1;
}

static int parse_args(int argc, char **argv, compile_opts *o)
{
	o->cg.opt_level = 2;
	o->q.co = calib_default_options();
	o->q.bias_correct = -1;
	o->q.equalize = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return fputs(o->export_only ? EXPORT_USAGE : COMPILE_USAGE, stdout), -1;
		if (!strcmp(a, "-v")) {
			o->q.verbose = true;
			continue;
		}
		if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
			o->cg.opt_level = a[2] - '0';
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			if (o->model)
				return usage_error("more than one model", a);
			o->model = a;
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("option needs a value (or is unknown)", a);
		int rc = value_option(o, a, argv[i + 1]);
		if (rc < 0)
			return 2;
		if (rc > 0)
			return usage_error("unknown option", a);
		i++;
	}
	if (!o->model)
		return usage_error("no model given", NULL);
	if (o->export_only && !o->qonnx)
		return usage_error("no output given (--quantized-onnx OUT.onnx)", NULL);
	if (o->export_only && !o->q.on)
		return usage_error("export writes a quantized model: give --quantize int8", NULL);
	if (!o->out && !o->export_only)
		return usage_error("no output given (-o OUT)", NULL);
	if (int8_check(&o->q) < 0)
		return 2;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* The default symbol prefix: the model file's name without directory and
** extension. */
static const char *default_prefix(ir_ctx *c, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	return cg_prefix_from_name(c, ir_strndup(c, base, n));
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && (size_t)n <= IR_MAX_TEXT_BYTES && fseek(f, 0, SEEK_SET) == 0 &&
		    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
			*len = (size_t)n;
		else
			free(buf), buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Load MODEL (.onnx or .cir); NULL with *rc set (1 malformed, 2 unsupported). */
static ir_graph *load_model(ir_ctx *c, const compile_opts *o, int *rc)
{
	*rc = 1;
	if (ends_with(o->model, ".cir")) {
		size_t len = 0;
		char *text = read_file(o->model, &len);
		if (!text) {
			fprintf(stderr, "condense compile: cannot read '%s'\n", o->model);
			return NULL;
		}
		ir_graph *g = ir_parse(c, o->model, text, len, 1);
		free(text);
		return g;
	}
	onnx_options oo = {o->pins, o->n_pins};
	onnx_status st;
	ir_graph *g = onnx_import_file(c, o->model, &oo, &st);
	if (!g && st == ONNX_UNSUPPORTED)
		*rc = 2;
	return g;
}

static FILE *open_out(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f)
		fprintf(stderr, "condense compile: cannot write '%s'\n", path);
	return f;
}

static int close_out(FILE *f, const char *path, int rc)
{
	if (f && f != stdout && fclose(f) && !rc) {
		fprintf(stderr, "condense compile: cannot write '%s'\n", path);
		rc = 1;
	}
	if (rc && f && f != stdout)
		remove(path);
	return rc;
}

static int quant_json(FILE *f, void *ud)
{
	const compile_opts *o = ud;
	return int8_report_json(&o->rep, &o->qres.st, f);
}

/* Header and report beside the object. */
static int write_extras(const compile_opts *o, ir_graph *g, const cg_result *r)
{
	int rc = 0;
	if (o->header) {
		FILE *f = open_out(o->header);
		rc = !f || cg_write_header(g, r, f) < 0;
		rc = close_out(f, o->header, rc);
	}
	if (!rc && o->report) {
		FILE *f = open_out(o->report);
		rc = !f || cg_write_report_ex(g, r, f, o->rep.q ? quant_json : NULL, (void *)o) < 0;
		rc = close_out(f, o->report, rc);
	}
	return rc;
}

/* g as QDQ ONNX at o->qonnx, through a copy (the text form round-trips
** exactly), since the export unfolds what it writes. */
static int export_copy(const compile_opts *o, ir_graph *g)
{
	if (onnx_export_check(g) < 0)
		return -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return fprintf(stderr, "condense: out of memory\n"), -1;
	int rc = ir_print(g, f);
	if (fclose(f) || rc < 0) {
		free(text);
		return -1;
	}
	ir_graph *copy = ir_parse(g->ctx, "<export>", text, len, 1);
	free(text);
	return copy ? onnx_export_file(copy, o->qonnx) : -1;
}

/*
** The int8 report (-v, --report): the float model (kept by int8_quantize)
** against the int8 program on the calibration samples; with --ranges there
** are no samples, and only the ops left in float and the bytes are
** reported.
*/
static int measure_int8(compile_opts *o, ir_graph *g)
{
	o->rep = (int8_report){.q = g};
	if (o->q.calibration) {
		ir_graph *fg = ir_parse(g->ctx, "<float model>", o->qres.float_text, o->qres.float_len, 1);
		if (!fg || int8_report_measure(&o->rep, fg, g, o->q.calibration, o->q.co.max_samples) < 0)
			return -1;
	}
	if (o->q.verbose)
		int8_report_print(&o->rep, stderr);
	return 0;
}

/* --io int8: the quant-io pass; a note when it found nothing to do. */
static int int8_io(ir_graph *g)
{
	pass_options po = {0};
	pass_stats st = {0};
	if (pass_quant_io(g, &st) < 0 || pass_run_pipeline(g, "dce", &po) < 0 || ir_verify(g) < 0)
		return -1;
	if (st.changed == 0)
		fprintf(stderr, "condense compile: note: --io int8: no input or output of '%s' is quantized at the "
			"boundary; they stay float\n", g->name ? g->name : "");
	return 0;
}

static int compile_graph(compile_opts *o, ir_graph *g)
{
	pass_options po = {0};
	if (ir_verify(g) < 0 || pass_run_pipeline(g, CG_PIPELINE, &po) < 0 || ir_verify(g) < 0)
		return 1;
	if (o->q.on && int8_quantize(g, &o->q, &o->qres) < 0)
		return 1;
	if (o->q.on && (o->q.verbose || o->report) && measure_int8(o, g) < 0)
		return 1;
	if (!o->q.on && int8_has_qdq(g) && int8_fold_qdq(g, o->q.verbose) < 0)
		return 1;
	if (o->q.io_int8 && int8_io(g) < 0)
		return 1;
	if (o->qonnx && export_copy(o, g) < 0)
		return 1;
	if (o->export_only)
		return 0;
	if (o->emit) {
		FILE *f = open_out(o->out);
		return close_out(f, o->out, !f || ir_print(g, f) < 0);
	}
	if (!o->cg.prefix)
		o->cg.prefix = default_prefix(g->ctx, o->model);
	FILE *f = open_out(o->out);
	cg_result r;
	int rc = !f || cg_compile(g, &o->cg, f, &r) < 0;
	rc = close_out(f, o->out, rc);
	if (!rc && write_extras(o, g, &r)) {
		if (strcmp(o->out, "-"))
			remove(o->out);
		rc = 1;
	}
	return rc;
}

static int run_command_of(int argc, char **argv, bool export_only)
{
	static compile_opts o;
	memset(&o, 0, sizeof o);
	o.export_only = export_mode = export_only;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense compile: out of memory\n"), 1;
	c->diag_out = stderr;
	ir_graph *g = load_model(c, &o, &rc);
	if (g)
		rc = compile_graph(&o, g);
	free(o.qres.float_text);
	ir_ctx_free(c);
	return rc;
}

int compile_command(int argc, char **argv)
{
	return run_command_of(argc, argv, false);
}

int export_command(int argc, char **argv)
{
	return run_command_of(argc, argv, true);
}
