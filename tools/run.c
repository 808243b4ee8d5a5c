/*
** run.c - `condense run MODEL.onnx --input NAME=FILE.npy ... [--input-shape
** NAME=D0,...] [-o DIR]`.
**
** The model is imported (dynamic input dimensions pinned by --input-shape),
** every graph input is bound to the .npy file given for its name (NAME ends
** at the first '='), whose dtype and shape must equal the input's exactly,
** and the graph runs in the reference interpreter.  One line per graph
** output goes to stdout:
**
**   logits: f32[1,1000] min -3.21 max 4.56 mean 0.0012 argmax 281
**
** (argmax is a flat index; min, max and argmax skip NaNs, which are counted
** as "nans N" when there are any; min and max only for integer and bool
** outputs; "(empty)" for no elements).  With -o DIR each output
** is also saved as DIR/NAME.npy, NAME being the output's name with every
** byte outside [A-Za-z0-9_.-] and a leading '.' replaced by '_' (and "_I",
** I the output's index, appended when two names collide); i4 outputs are
** saved unpacked as int8.  Input .npy data is used in place, never copied.
*/
#include "tools/run.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/onnx.h"
#include "interp/interp.h"
#include "ir/util.h"
#include "runtime/npy.h"

#define RUN_EXIT_FAIL 1
#define RUN_EXIT_USAGE 2
#define FILE_NAME_MAX 200

typedef struct binding {
	const char *name;       /* graph input name (NUL-terminated in argv) */
	const char *file;
} binding;

typedef struct run_opts {
	const char *model, *outdir;
	binding *ins;
	int n_ins;
	onnx_shape_pin *pins;
	int n_pins;
} run_opts;

/* One run: arrays and in have an entry per graph input, out per output. */
typedef struct run_state {
	const ir_graph *g;
	npy_array *arrays;      /* inputs as read */
	interp_tensor *in, *out;
} run_state;

static const ir_dtype npy_to_ir[NPY_NDTYPES] = {
	[NPY_F32] = IR_F32, [NPY_F16] = IR_F16, [NPY_I8] = IR_I8, [NPY_U8] = IR_U8,
	[NPY_I16] = IR_I16, [NPY_I32] = IR_I32, [NPY_I64] = IR_I64, [NPY_BOOL] = IR_BOOL,
};

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("condense: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return RUN_EXIT_FAIL;
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("condense run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" RUN_USAGE, stderr);
	return RUN_EXIT_USAGE;
}

/* The npy dtype holding ir dtype dt, or -1 (i4 has none). */
static int ir_to_npy(ir_dtype dt)
{
	for (int i = 0; i < NPY_NDTYPES; i++)
		if (npy_to_ir[i] == dt)
			return i;
	return -1;
}

/* ---- arguments ------------------------------------------------------------ */

static int add_input(run_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg || eq[1] == '\0')
		return usage_error("--input wants NAME=FILE.npy, not '%s'", arg);
	*eq = '\0';
	for (int i = 0; i < o->n_ins; i++)
		if (strcmp(o->ins[i].name, arg) == 0)
			return usage_error("input '%s' given twice", arg);
	o->ins[o->n_ins++] = (binding){arg, eq + 1};
	return -1;
}

static int add_pin(run_opts *o, char *arg)
{
	onnx_shape_pin *p = &o->pins[o->n_pins];
	if (onnx_parse_shape_pin(arg, p) < 0)
		return usage_error("--input-shape wants NAME=D0,D1,..., not '%s'", arg);
	o->n_pins++;
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(run_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	bool takes_value = strcmp(a, "--input") == 0 || strcmp(a, "--input-shape") == 0 ||
			   strcmp(a, "-o") == 0;
	if (!takes_value)
		return usage_error("unknown option '%s'", a);
	if (*i + 1 >= argc)
		return usage_error("%s needs a value", a);
	char *v = argv[++*i];
	if (strcmp(a, "--input") == 0)
		return add_input(o, v);
	if (strcmp(a, "--input-shape") == 0)
		return add_pin(o, v);
	o->outdir = v;
	return -1;
}

static int parse_args(int argc, char **argv, run_opts *o)
{
	for (int i = 1; i < argc; i++) {
		int st = -1;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return fputs(RUN_USAGE, stdout), 0;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			st = parse_option(o, argc, argv, &i);
		else if (o->model == NULL)
			o->model = argv[i];
		else
			st = usage_error("more than one model ('%s')", argv[i]);
		if (st >= 0)
			return st;
	}
	if (o->model == NULL)
		return usage_error("no model given");
	return -1;
}

/* ---- inputs ---------------------------------------------------------------- */

static const char *input_name(const ir_graph *g, uint32_t i)
{
	const char *n = g->vals[g->inputs[i]].name;
	return n ? n : "";
}

static int unknown_input(const ir_graph *g, const char *name)
{
	fprintf(stderr, "condense: the model has no input '%s'; its inputs are:", name);
	for (uint32_t i = 0; i < g->n_inputs; i++)
		fprintf(stderr, "%s '%s'", i ? "," : "", input_name(g, i));
	fputs(g->n_inputs ? "\n" : " (none)\n", stderr);
	return RUN_EXIT_FAIL;
}

/* The binding for the graph input called name, or NULL. */
static binding *find_binding(const run_opts *o, const char *name)
{
	for (int j = 0; j < o->n_ins; j++)
		if (strcmp(o->ins[j].name, name) == 0)
			return &o->ins[j];
	return NULL;
}

/* Read b's file as input i of s->g into s->arrays[i] and s->in[i]. */
static int load_input(run_state *s, uint32_t i, const binding *b)
{
	const ir_type *want = ir_type_of(s->g, s->g->inputs[i]);
	npy_array *a = &s->arrays[i];
	char err[300], have_s[300], want_s[300];
	ir_type_str(want, want_s, sizeof want_s);
	if (ir_to_npy(want->dtype) < 0)
		return fail("input '%s': the model expects %s, which a .npy file cannot hold", b->name, want_s);
	if (npy_read(b->file, a, err, sizeof err) < 0)
		return fail("input '%s': cannot read '%s': %s", b->name, b->file, err);
	ir_type have = {.dtype = npy_to_ir[a->dtype], .rank = a->rank};
	memcpy(have.dims, a->dims, sizeof have.dims);
	if (have.dtype != want->dtype || have.rank != want->rank ||
	    memcmp(have.dims, want->dims, sizeof have.dims) != 0) {
		ir_type_str(&have, have_s, sizeof have_s);
		return fail("input '%s': '%s' holds %s, the model expects %s", b->name, b->file, have_s, want_s);
	}
	s->in[i] = (interp_tensor){*want, a->data};
	return 0;
}

static int bind_inputs(run_state *s, const run_opts *o)
{
	const ir_graph *g = s->g;
	int rc = 0;
	for (int j = 0; j < o->n_ins; j++) {
		uint32_t i = 0;
		while (i < g->n_inputs && strcmp(input_name(g, i), o->ins[j].name) != 0)
			i++;
		if (i == g->n_inputs)
			return unknown_input(g, o->ins[j].name);
	}
	for (uint32_t i = 0; i < g->n_inputs; i++) {
		char ty[300];
		binding *b = find_binding(o, input_name(g, i));
		ir_type_str(ir_type_of(g, g->inputs[i]), ty, sizeof ty);
		if (b == NULL)
			rc = fail("missing input '%s' (%s): give it with --input %s=FILE.npy", input_name(g, i), ty,
				  input_name(g, i));
		else if (rc == 0 && load_input(s, i, b) != 0)
			rc = RUN_EXIT_FAIL;
	}
	return rc;
}

/* ---- outputs ----------------------------------------------------------------- */

static void print_float_stats(const interp_tensor *t, int64_t n)
{
	double lo = INFINITY, hi = -INFINITY, sum = 0;
	int64_t argmax = -1, nans = 0;
	for (int64_t i = 0; i < n; i++) {
		double v = interp_get_f(t, i);
		sum += v;
		if (isnan(v)) {
			nans++;
			continue;
		}
		lo = v < lo ? v : lo;
		if (v > hi || argmax < 0) {
			hi = v;
			argmax = i;
		}
	}
	if (nans == n)
		lo = hi = NAN;
	printf(" min %g max %g mean %g argmax %lld", lo, hi, sum / (double)n, (long long)argmax);
	if (nans)
		printf(" nans %lld", (long long)nans);
}

static void print_int_stats(const interp_tensor *t, int64_t n)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (int64_t i = 0; i < n; i++) {
		int64_t v = interp_get_i(t, i);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	printf(" min %lld max %lld", (long long)lo, (long long)hi);
}

static void print_summary(const char *name, const interp_tensor *t)
{
	char ty[300];
	int64_t n = 0;
	ir_type_str(&t->type, ty, sizeof ty);
	printf("%s: %s", name, ty);
	if (ir_type_numel(&t->type, &n) < 0 || n == 0)
		fputs(" (empty)", stdout);
	else if (ir_dtype_is_float(t->type.dtype))
		print_float_stats(t, n);
	else
		print_int_stats(t, n);
	putchar('\n');
}

static bool taken(char (*names)[FILE_NAME_MAX + 32], uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (strcmp(names[j], names[i]) == 0)
			return true;
	return false;
}

/* names[i]: output i's file name (without .npy), unique among names[0..i]. */
static void file_name(const ir_graph *g, uint32_t i, char (*names)[FILE_NAME_MAX + 32])
{
	const char *s = g->outputs[i].name ? g->outputs[i].name : "";
	char base[FILE_NAME_MAX + 1];
	size_t n = 0;
	for (; s[n] && n < FILE_NAME_MAX; n++) {
		char ch = s[n];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '_' || ch == '-' || (ch == '.' && n > 0);
		base[n] = ok ? ch : '_';
	}
	base[n] = '\0';
	if (n == 0)
		snprintf(base, sizeof base, "output%u", (unsigned)i);
	strcpy(names[i], base);
	for (unsigned k = 1; taken(names, i); k++)
		snprintf(names[i], sizeof names[i], k == 1 ? "%s_%u" : "%s_%u_%u", base, (unsigned)i, k);
}

/* Save t as path; i4 is widened to int8. */
static int save_output(const char *path, const interp_tensor *t)
{
	int64_t n = 0;
	char err[300];
	int dt = ir_to_npy(t->type.dtype);
	npy_array a = {.dtype = dt < 0 ? NPY_I8 : (npy_dtype)dt, .rank = t->type.rank, .data = t->data};
	memcpy(a.dims, t->type.dims, sizeof a.dims);
	ir_type_numel(&t->type, &n);
	a.nbytes = (size_t)n * npy_dtype_size(a.dtype);
	if (dt < 0) {
		int8_t *w = malloc(n ? (size_t)n : 1);
		if (w == NULL)
			return fail("out of memory writing '%s'", path);
		for (int64_t i = 0; i < n; i++)
			w[i] = (int8_t)interp_get_i(t, i);
		a.data = w;
	}
	int rc = npy_write(path, &a, err, sizeof err);
	if (dt < 0)
		free(a.data);
	return rc < 0 ? fail("cannot write '%s': %s", path, err) : 0;
}

static int save_outputs(const run_state *s, const char *dir)
{
	const ir_graph *g = s->g;
	char(*names)[FILE_NAME_MAX + 32] = calloc(g->n_outputs + 1, sizeof *names);
	size_t cap = strlen(dir) + FILE_NAME_MAX + 32;
	char *path = malloc(cap);
	int rc = 0;
	if (names == NULL || path == NULL)
		rc = fail("out of memory");
	else if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		rc = fail("cannot create directory '%s': %s", dir, strerror(errno));
	for (uint32_t i = 0; rc == 0 && i < g->n_outputs; i++) {
		file_name(g, i, names);
		snprintf(path, cap, "%s/%s.npy", dir, names[i]);
		rc = save_output(path, &s->out[i]);
	}
	free(names);
	free(path);
	return rc;
}

/* ---- the command ----------------------------------------------------------- */

static int run_graph(run_state *s, const run_opts *o)
{
	int rc = bind_inputs(s, o);
	if (rc != 0)
		return rc;
	if (interp_run(s->g->ctx, s->g, s->in, s->out) < 0)
		return RUN_EXIT_FAIL;
	for (uint32_t i = 0; i < s->g->n_outputs; i++)
		print_summary(s->g->outputs[i].name ? s->g->outputs[i].name : "", &s->out[i]);
	return o->outdir ? save_outputs(s, o->outdir) : 0;
}

static int run_model(ir_ctx *c, const run_opts *o)
{
	onnx_options opt = {.pins = o->pins, .n_pins = o->n_pins};
	onnx_status st = ONNX_OK;
	ir_graph *g = onnx_import_file(c, o->model, &opt, &st);
	if (g == NULL)
		return st == ONNX_UNSUPPORTED ? RUN_EXIT_USAGE : RUN_EXIT_FAIL;
	run_state s = {g, calloc(g->n_inputs + 1, sizeof *s.arrays), calloc(g->n_inputs + 1, sizeof *s.in),
		       calloc(g->n_outputs + 1, sizeof *s.out)};
	int rc = s.arrays && s.in && s.out ? run_graph(&s, o) : fail("out of memory");
	for (uint32_t i = 0; s.arrays && i < g->n_inputs; i++)
		npy_free(&s.arrays[i]);
	free(s.arrays);
	free(s.in);
	free(s.out);
	return rc;
}

int run_command(int argc, char **argv)
{
	run_opts o = {0};
	o.ins = calloc((size_t)argc, sizeof *o.ins);
	o.pins = calloc((size_t)argc, sizeof *o.pins);
	ir_ctx *c = o.ins && o.pins ? ir_ctx_new(IR_DEFAULT_ARENA_LIMIT) : NULL;
	int rc = c ? parse_args(argc, argv, &o) : fail("out of memory");
	if (rc < 0) {
		c->diag_out = stderr;
		rc = run_model(c, &o);
	}
	if (c)
		ir_ctx_free(c);
	free(o.ins);
	free(o.pins);
	return rc;
}
