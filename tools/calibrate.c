/*
** calibrate.c - `condense calibrate MODEL --calibration DATA [-o RANGES.txt]
** [-v] [--calib-method M] [--calib-percentile P] [--calib-samples N]
** [--calib-auto-samples K] [--input-shape NAME=D0,...]`.
**
** The model goes through the compile pipeline (CG_PIPELINE) first, so the
** ranges are those of the graph `condense compile` quantizes and its value
** labels match.  The ranges file is written only when everything succeeded
** (to stdout without -o); -v prints the per-value table to stderr.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "frontend/onnx.h"
#include "passes/calibrate.h"
#include "passes/pass.h"
#include "tools/calibrate.h"

#define CAL_EXIT_FAIL 1
#define CAL_EXIT_USAGE 2

typedef struct cal_opts {
	const char *model, *data, *out;
	bool verbose;
	calib_options co;
	onnx_shape_pin pins[IR_MAX_IO];
	int32_t n_pins;
} cal_opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: condense calibrate MODEL.onnx|MODEL.cir --calibration DATA [-o RANGES.txt] [-v]\n"
		"           [--calib-method minmax|percentile|entropy|mse|auto] [--calib-percentile P]\n"
		"           [--calib-samples N] [--calib-auto-samples K] [--input-shape NAME=D0,...]\n"
		"\n"
		"  --calibration DATA      a .npy file of N samples, shaped (N, *input_shape) or, when\n"
		"                          the batch dimension is 1, (N, *input_shape[1:]); or a\n"
		"                          directory: for one input, its .npy files in name order; for\n"
		"                          several, NAME.npy per input or a subdirectory per sample\n"
		"  --calib-method M        how each range is chosen (default %s)\n"
		"  --calib-percentile P    two-sided percentile, 0 < P <= 100 (default %g)\n"
		"  --calib-samples N       use the first N samples (default all)\n"
		"  --calib-auto-samples K  samples auto judges the candidates on (default %d)\n"
		"  --input-shape NAME=D0,...  pin a dynamic input shape\n"
		"  -o RANGES.txt           write the ranges there (default stdout)\n"
		"  -v                      print every method's range per value to stderr\n"
		"See docs/quantization.md.\n",
		calib_method_name(CALIB_DEFAULT_METHOD), CALIB_DEFAULT_PERCENTILE, CALIB_DEFAULT_AUTO_SAMPLES);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "condense calibrate: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	usage(stderr);
	return CAL_EXIT_USAGE;
}

/* ---- arguments ------------------------------------------------------------------ */

static bool parse_count(const char *s, int64_t *n)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < 1)
		return false;
	*n = v;
	return true;
}

static int number_option(cal_opts *o, const char *a, const char *v)
{
	int64_t n;
	if (!strcmp(a, "--calib-percentile")) {
		char *end;
		double p = strtod(v, &end);
		if (end == v || *end || !(p > 0 && p <= 100))
			return usage_error("--calib-percentile wants a number in (0, 100]", v);
		o->co.percentile = p;
		return 0;
	}
	if (!parse_count(v, &n))
		return usage_error("wants a positive integer", a);
	if (!strcmp(a, "--calib-samples"))
		o->co.max_samples = n;
	else
		o->co.auto_samples = (int32_t)(n > INT32_MAX ? INT32_MAX : n);
	return 0;
}

/* An option with a value: 0 when taken, 1 when a is not one, else the
** exit status of a usage error. */
static int value_option(cal_opts *o, const char *a, const char *v)
{
	const char **slot = !strcmp(a, "-o") ? &o->out : !strcmp(a, "--calibration") ? &o->data : NULL;
	if (slot) {
		*slot = v;
		return 0;
	}
	if (!strcmp(a, "--calib-method")) {
		int m = calib_method_from_name(v);
		if (m < 0)
			return usage_error("unknown --calib-method (minmax, percentile, entropy, mse, auto)", v);
		o->co.method = (calib_method)m;
		return 0;
	}
	if (!strcmp(a, "--calib-percentile") || !strcmp(a, "--calib-samples") ||
	    !strcmp(a, "--calib-auto-samples"))
		return number_option(o, a, v);
	if (!strcmp(a, "--input-shape")) {
		if (o->n_pins >= IR_MAX_IO || onnx_parse_shape_pin(v, &o->pins[o->n_pins]) < 0)
			return usage_error("bad --input-shape (NAME=D0,D1,...)", v);
		o->n_pins++;
		return 0;
	}
	return 1;
}

static bool takes_value(const char *a)
{
	static const char *const names[] = {"-o", "--calibration", "--calib-method", "--calib-percentile",
					    "--calib-samples", "--calib-auto-samples", "--input-shape"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (!strcmp(a, names[k]))
			return true;
	return false;
}

/* -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, cal_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return usage(stdout), 0;
		if (!strcmp(a, "-v")) {
			o->verbose = true;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			if (o->model)
				return usage_error("more than one model", a);
			o->model = a;
			continue;
		}
		if (!takes_value(a))
			return usage_error("unknown option", a);
		if (i + 1 >= argc)
			return usage_error("option needs a value", a);
		int rc = value_option(o, a, argv[++i]);
		if (rc != 0)
			return rc;
	}
	if (!o->model)
		return usage_error("no model given", NULL);
	if (!o->data)
		return usage_error("no calibration data given (--calibration DATA)", NULL);
	return -1;
}

/* ---- the command -------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (size_t)n <= IR_MAX_TEXT_BYTES &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else
		free(buf), buf = NULL;
	fclose(f);
	return buf;
}

/* MODEL (.onnx or .cir) through the compile pipeline; NULL with *rc set. */
static ir_graph *load_model(ir_ctx *c, const cal_opts *o, int *rc)
{
	ir_graph *g = NULL;
	*rc = CAL_EXIT_FAIL;
	if (ends_with(o->model, ".cir")) {
		size_t len = 0;
		char *text = slurp(o->model, &len);
		if (!text) {
			fprintf(stderr, "condense calibrate: cannot read '%s'\n", o->model);
			return NULL;
		}
		g = ir_parse(c, o->model, text, len, 1);
		free(text);
	} else {
		onnx_options oo = {o->pins, o->n_pins};
		onnx_status st;
		g = onnx_import_file(c, o->model, &oo, &st);
		if (!g && st == ONNX_UNSUPPORTED)
			*rc = CAL_EXIT_USAGE;
	}
	pass_options po = {0};
	if (!g || ir_verify(g) < 0 || pass_run_pipeline(g, CG_PIPELINE, &po) < 0 || ir_verify(g) < 0)
		return NULL;
	return g;
}

static int write_ranges(const cal_opts *o, ir_graph *g, const quant_ranges *q)
{
	FILE *f = o->out ? fopen(o->out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "condense calibrate: cannot write '%s': %s\n", o->out, strerror(errno));
		return CAL_EXIT_FAIL;
	}
	int bad = quant_ranges_write(g, q, f) < 0;
	if (f != stdout)
		bad |= fclose(f) != 0;
	if (bad && o->out) {
		fprintf(stderr, "condense calibrate: cannot write '%s'\n", o->out);
		remove(o->out);
	}
	return bad ? CAL_EXIT_FAIL : 0;
}

static int calibrate_model(ir_ctx *c, cal_opts *o)
{
	int rc;
	ir_graph *g = load_model(c, o, &rc);
	if (!g)
		return rc;
	calib_data *d = calib_data_open(g, o->data, o->co.max_samples);
	if (!d)
		return CAL_EXIT_FAIL;
	o->co.table = o->verbose ? stderr : NULL;
	quant_ranges *q = calib_run(g, d, &o->co);
	calib_data_close(d);
	return q ? write_ranges(o, g, q) : CAL_EXIT_FAIL;
}

int calibrate_command(int argc, char **argv)
{
	static cal_opts o;
	memset(&o, 0, sizeof o);
	o.co = calib_default_options();
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense calibrate: out of memory\n"), CAL_EXIT_FAIL;
	c->diag_out = stderr;
	rc = calibrate_model(c, &o);
	ir_ctx_free(c);
	return rc;
}
