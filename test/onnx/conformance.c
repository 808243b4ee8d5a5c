/*
** conformance.c - condense-conformance, the ONNX backend test runner.
**
**   condense-conformance [--root DIR] [--filter TEXT] [--markdown FILE] [-v]
**       [--compiled TARGET [--jobs N] [--batch N] [--timeout SECONDS] [--strict]
**        [--keep-temp] [--src DIR]] [FOLDER...]
**
** Walks ROOT/FOLDER/test_NAME/ (ROOT defaults to Debian's libonnx-testdata,
** FOLDERs to node pytorch-converted pytorch-operator simple).  Each test
** directory holds model.onnx and test_data_set_N/ with input_K.pb and
** output_K.pb (serialized TensorProtos, inputs in graph-input order).  A
** test is imported into its own ir_ctx (arena limited to ARENA_LIMIT), run
** on every data set with the reference interpreter, and each output compared
** with the expected one: dtype and shape exactly, integers and bools
** exactly, floats with |got - want| <= atol + rtol*|want| (NaN matches only
** NaN, an infinity only itself), rtol and atol from the test's data.json
** when it has one, else the ONNX backend defaults.
**
** Node tests pass shapes and axes as graph inputs, which the importer needs
** constant ("must be a constant"); such a model is imported again for each
** data set with that set's integer and bool inputs as constants (through
** onnx_shape_pin.value) and, if that is not enough, with every input
** constant, which folds the whole graph at import.
**
** Output: one line per test,
**   PASS node/test_abs
**   FAIL node/test_x: output 0 element 17: got 1.5 expected 1.25 (3 of 24 differ)
**   SKIP node/test_loop: <the importer's reason>
** (a model the importer rejects as unsupported is skipped; one it finds
** malformed fails), a summary line per folder, and last exactly
**   N passed, M failed, K skipped
** The exit status is 1 if any test failed, 2 on a usage error, else 0.
** --filter runs only tests whose name contains TEXT; -v prints the
** importer's and interpreter's diagnostics; --markdown writes a report
** (counts per folder, skipped op types, failing tests) to FILE.
**
** --compiled TARGET (compiled.c) also compiles each test the interpreter
** passes for TARGET and runs it through the generic harness (harness.c,
** found under --src, by default the source tree of this build), natively
** or under qemu; the results are printed once all tests are done.  A test
** the code generator refuses is reported as
**   NOCOMPILE node/test_x: <the code generator's diagnostic>
** and the summaries end in ", C not compiled".  --strict makes NOCOMPILE
** count for the exit status; --jobs, --batch, --timeout and --keep-temp
** are described in compiled.c.
*/
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx.pb-c.h"

#include "frontend/onnx.h"
#include "interp/interp.h"
#include "ir/util.h"
#include "test/onnx/conformance.h"

#define DEFAULT_ROOT "/usr/share/libonnx-testdata/data"
#define ARENA_LIMIT ((size_t)2 << 30)
#define DEFAULT_RTOL 1e-3
#define DEFAULT_ATOL 1e-7
#define MAX_DATA_SETS 1000

static const char *const status_name[NSTATUS] = {"PASS", "FAIL", "SKIP", "NOCOMPILE"};

typedef struct result {
	char *folder, *test;
	int status;
	char *reason;           /* NULL for PASS */
} result;

typedef struct run {
	const options *o;
	result *res;
	size_t n_res, cap_res;
} run;

int failf(test *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof t->reason, fmt, ap);
	va_end(ap);
	t->status = FAIL;
	return -1;
}

static _Noreturn void out_of_memory(void)
{
	fputs("condense-conformance: out of memory\n", stderr);
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d == NULL)
		out_of_memory();
	return d;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

const char *diag_text(const ir_ctx *c, const char *file)
{
	const char *s = c->first_error;
	size_t n = strlen(file);
	if (strncmp(s, file, n) != 0)
		return s[0] ? s : "failed without a diagnostic";
	s += n;
	while (*s == ':' || (*s >= '0' && *s <= '9'))
		s++;
	return *s == ' ' ? s + 1 : s;
}

/* ---- tolerance (data.json) ------------------------------------------------- */

/* The number after "key": in text, or dflt. */
static double json_number(const char *text, const char *key, double dflt)
{
	char quoted[32];
	snprintf(quoted, sizeof quoted, "\"%s\"", key);
	const char *p = strstr(text, quoted);
	if (p == NULL)
		return dflt;
	p += strlen(quoted);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return dflt;
	char *end;
	double v = strtod(p, &end);
	return end == p || !isfinite(v) || v < 0 ? dflt : v;
}

tolerance read_tolerance(const char *dir)
{
	tolerance tol = {DEFAULT_RTOL, DEFAULT_ATOL};
	char path[DIR_MAX + 320], text[65536];
	snprintf(path, sizeof path, "%s/data.json", dir);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return tol;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	tol.rtol = json_number(text, "rtol", tol.rtol);
	tol.atol = json_number(text, "atol", tol.atol);
	return tol;
}

/* ---- comparing outputs -------------------------------------------------- */

static bool close_enough(double got, double want, tolerance tol)
{
	if (isnan(got) || isnan(want))
		return isnan(got) && isnan(want);
	if (isinf(got) || isinf(want))
		return got == want;
	return fabs(got - want) <= tol.atol + tol.rtol * fabs(want);
}

static bool same_element(const interp_tensor *got, const interp_tensor *want, int64_t i, tolerance tol)
{
	if (ir_dtype_is_float(want->type.dtype))
		return close_enough(interp_get_f(got, i), interp_get_f(want, i), tol);
	return interp_get_i(got, i) == interp_get_i(want, i);
}

static void element_text(const interp_tensor *t, int64_t i, char *buf, size_t n)
{
	if (ir_dtype_is_float(t->type.dtype))
		snprintf(buf, n, "%.9g", interp_get_f(t, i));
	else
		snprintf(buf, n, "%lld", (long long)interp_get_i(t, i));
}

static bool same_shape(const ir_type *a, const ir_type *b)
{
	return a->dtype == b->dtype && a->rank == b->rank && memcmp(a->dims, b->dims, sizeof a->dims) == 0;
}

int compare(test *t, const char *where, int k, const interp_tensor *got, const interp_tensor *want,
	    tolerance tol)
{
	char g[300], w[300];
	int64_t n = 0, bad = 0, first = -1;
	if (!same_shape(&got->type, &want->type)) {
		ir_type_str(&got->type, g, sizeof g);
		ir_type_str(&want->type, w, sizeof w);
		return failf(t, "%soutput %d: got %s expected %s", where, k, g, w);
	}
	ir_type_numel(&want->type, &n);
	for (int64_t i = 0; i < n; i++) {
		if (same_element(got, want, i, tol))
			continue;
		first = first < 0 ? i : first;
		bad++;
	}
	if (bad == 0)
		return 0;
	element_text(got, first, g, sizeof g);
	element_text(want, first, w, sizeof w);
	return failf(t, "%soutput %d element %lld: got %s expected %s (%lld of %lld differ)", where, k,
		     (long long)first, g, w, (long long)bad, (long long)n);
}

/* ---- data sets ------------------------------------------------------------ */

/* dir/PREFIX_K.pb for K = 0.. while they exist, at most max. */
static uint32_t count_files(const char *dir, const char *prefix, uint32_t max)
{
	char path[DIR_MAX + 400];
	uint32_t k = 0;
	for (; k < max; k++) {
		snprintf(path, sizeof path, "%s/%s_%u.pb", dir, prefix, (unsigned)k);
		if (!exists(path))
			break;
	}
	return k;
}

static int load_files(test *t, ir_ctx *c, const char *dir, const char *prefix, uint32_t n, interp_tensor *ts)
{
	char path[DIR_MAX + 400];
	for (uint32_t k = 0; k < n; k++) {
		const char *name;
		snprintf(path, sizeof path, "%s/%s_%u.pb", dir, prefix, (unsigned)k);
		if (onnx_load_tensor_file(c, path, &ts[k], &name) < 0)
			return failf(t, "%s_%u.pb: %s", prefix, (unsigned)k, diag_text(c, path));
	}
	return 0;
}

/* Every input_K.pb and output_K.pb of test_data_set_INDEX into d. */
static int load_data_set(test *t, ir_ctx *c, int index, bool several, data_set *d)
{
	char dir[DIR_MAX + 340];
	snprintf(dir, sizeof dir, "%s/test_data_set_%d", t->dir, index);
	d->index = index;
	d->where[0] = '\0';
	if (several)
		snprintf(d->where, sizeof d->where, "data set %d: ", index);
	d->n_in = count_files(dir, "input", IR_MAX_IO);
	d->n_out = count_files(dir, "output", IR_MAX_IO);
	d->in = ir_alloc_array(c, d->n_in + 1, sizeof *d->in);
	d->want = ir_alloc_array(c, d->n_out + 1, sizeof *d->want);
	if (load_files(t, c, dir, "input", d->n_in, d->in) < 0)
		return -1;
	return load_files(t, c, dir, "output", d->n_out, d->want);
}

/* Inputs must have the graph input's dtype and shape; quant is the graph's. */
static int check_inputs(test *t, const ir_graph *g, interp_tensor *in)
{
	char a[300], b[300];
	for (uint32_t k = 0; k < g->n_inputs; k++) {
		const ir_type *want = ir_type_of(g, g->inputs[k]);
		if (!same_shape(&in[k].type, want)) {
			ir_type_str(&in[k].type, a, sizeof a);
			ir_type_str(want, b, sizeof b);
			return failf(t, "input %u: data is %s, the graph expects %s", (unsigned)k, a, b);
		}
		in[k].type.quant = want->quant;
	}
	return 0;
}

/* Run g (imported into gc) on in, g->n_inputs tensors; compare with d. */
static int check_run(test *t, ir_ctx *c, ir_ctx *gc, const ir_graph *g, interp_tensor *in, const data_set *d,
		     tolerance tol)
{
	if (d->n_out != g->n_outputs)
		return failf(t, "%soutput files: %u, graph outputs: %u", d->where,
			     (unsigned)d->n_out, (unsigned)g->n_outputs);
	if (check_inputs(t, g, in) < 0)
		return -1;
	interp_tensor *got = ir_alloc_array(c, g->n_outputs + 1, sizeof *got);
	if (interp_run(gc, g, in, got) < 0)
		return failf(t, "%s%s", d->where, diag_text(gc, t->model));
	for (uint32_t k = 0; k < g->n_outputs; k++)
		if (compare(t, d->where, (int)k, &got[k], &d->want[k], tol) < 0)
			return -1;
	return t->cm ? cm_data_set(t, g, in, got, d) : 0;
}

/* ---- inputs the importer needs constant ------------------------------------ */

/* Names of the graph inputs that no initializer sets, in order, into c. */
static const char **graph_input_names(test *t, ir_ctx *c, uint32_t *n)
{
	FILE *f = fopen(t->model, "rb");
	uint8_t *buf = NULL;
	long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (size > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size)) != NULL &&
	    fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	Onnx__ModelProto *m = buf ? onnx__model_proto__unpack(NULL, (size_t)size, buf) : NULL;
	free(buf);
	const char **names = NULL;
	*n = 0;
	if (m && m->graph) {
		const Onnx__GraphProto *gp = m->graph;
		names = ir_alloc_array(c, gp->n_input + 1, sizeof *names);
		for (size_t i = 0; i < gp->n_input; i++) {
			bool init = false;
			for (size_t j = 0; j < gp->n_initializer && !init; j++)
				init = strcmp(gp->initializer[j]->name, gp->input[i]->name) == 0;
			if (!init)
				names[(*n)++] = ir_strdup(c, gp->input[i]->name);
		}
	}
	if (m)
		onnx__model_proto__free_unpacked(m, NULL);
	return names;
}

static bool needs_consts(const ir_ctx *c, onnx_status st)
{
	return st == ONNX_UNSUPPORTED && strstr(c->first_error, "must be a constant") != NULL;
}

static int import_failed(test *t, const ir_ctx *c, onnx_status st)
{
	snprintf(t->reason, sizeof t->reason, "%s", diag_text(c, t->model));
	t->status = st == ONNX_UNSUPPORTED ? SKIP : FAIL;
	return -1;
}

/*
** Split d's inputs into constants k (level 1: integer and bool inputs;
** level 2: all) and the rest; returns the number of constants.
*/
static int32_t split_consts(const data_set *d, const char **names, int level, onnx_shape_pin *k,
			    interp_tensor *rest)
{
	int32_t nk = 0, nr = 0;
	for (uint32_t i = 0; i < d->n_in; i++) {
		if (level == 2 || !ir_dtype_is_float(d->in[i].type.dtype))
			k[nk++] = (onnx_shape_pin){.name = names[i], .value = &d->in[i]};
		else
			rest[nr++] = d->in[i];
	}
	return nk;
}

/*
** Data set d of a model that needs some inputs constant: import it with
** the integer inputs constant and, if that is not enough, with all.
*/
static int run_with_consts(test *t, ir_ctx *c, const char **names, const data_set *d, tolerance tol)
{
	onnx_shape_pin *k = ir_alloc_array(c, d->n_in + 1, sizeof *k);
	interp_tensor *rest = ir_alloc_array(c, d->n_in + 1, sizeof *rest);
	for (int level = 1; level <= 2; level++) {
		onnx_options o = {.pins = k, .n_pins = split_consts(d, names, level, k, rest)};
		if (level == 1 && o.n_pins == 0)
			continue;
		ir_ctx *gc = ir_ctx_new(ARENA_LIMIT);
		if (gc == NULL)
			return failf(t, "out of memory");
		gc->diag_out = c->diag_out;
		onnx_status st = ONNX_OK;
		ir_graph *g = onnx_import_file(gc, t->model, &o, &st);
		bool again = g == NULL && level == 1 && needs_consts(gc, st);
		int rc = g ? check_run(t, c, gc, g, rest, d, tol) : again ? 0 : import_failed(t, gc, st);
		if (rc == 0 && g && t->cm)
			cm_compile(t, g, d->index);
		ir_ctx_free(gc);
		if (!again)
			return rc;
	}
	return -1;
}

/* ---- one test ---------------------------------------------------------------- */

static int count_data_sets(const test *t)
{
	char set[DIR_MAX + 340];
	int n = 0;
	for (; n < MAX_DATA_SETS; n++) {
		snprintf(set, sizeof set, "%s/test_data_set_%d", t->dir, n);
		if (!exists(set))
			break;
	}
	return n;
}

/* Data set i on g, or on a fresh import with constant inputs if g is NULL. */
static int run_data_set(test *t, ir_ctx *c, const ir_graph *g, int i, int n, tolerance tol)
{
	data_set d;
	uint32_t n_names = 0;
	const char **names = g ? NULL : graph_input_names(t, c, &n_names);
	if (load_data_set(t, c, i, n > 1, &d) < 0)
		return -1;
	uint32_t want = g ? g->n_inputs : n_names;
	if (d.n_in != want)
		return failf(t, "%sinput files: %u, graph inputs: %u", d.where,
			     (unsigned)d.n_in, (unsigned)want);
	return g ? check_run(t, c, c, g, d.in, &d, tol) : run_with_consts(t, c, names, &d, tol);
}

static int test_protected(ir_ctx *c, void *ud)
{
	test *t = ud;
	onnx_status st = ONNX_OK;
	ir_graph *g = onnx_import_file(c, t->model, NULL, &st);
	if (g == NULL && !needs_consts(c, st))
		return import_failed(t, c, st);
	int n = count_data_sets(t);
	if (n == 0)
		return failf(t, "no test_data_set_0");
	tolerance tol = read_tolerance(t->dir);
	for (int i = 0; i < n; i++)
		if (run_data_set(t, c, g, i, n, tol) < 0)
			return -1;
	if (g && t->cm)
		cm_compile(t, g, -1);
	return 0;
}

void run_test(test *t)
{
	ir_ctx *c = ir_ctx_new(ARENA_LIMIT);
	if (c == NULL) {
		failf(t, "out of memory");
		return;
	}
	c->diag_out = t->o->verbose ? stderr : NULL;
	t->status = PASS;
	t->reason[0] = '\0';
	if (ir_protect(c, test_protected, t) < 0 && t->status == PASS)
		failf(t, "%s", diag_text(c, t->model));
	ir_ctx_free(c);
}

/* ---- folders ------------------------------------------------------------- */

static void record(run *r, const char *folder, const char *name, const test *t)
{
	if (r->n_res == r->cap_res) {
		r->cap_res = r->cap_res ? 2 * r->cap_res : 256;
		r->res = realloc(r->res, r->cap_res * sizeof *r->res);
		if (r->res == NULL)
			out_of_memory();
	}
	r->res[r->n_res++] = (result){xstrdup(folder), xstrdup(name), t->status,
				      t->status == PASS ? NULL : xstrdup(t->reason)};
}

static int is_test_dir(const struct dirent *e)
{
	return strncmp(e->d_name, "test_", 5) == 0;
}

static void tally(const run *r, const char *folder, int count[NSTATUS])
{
	memset(count, 0, NSTATUS * sizeof *count);
	for (size_t i = 0; i < r->n_res; i++)
		if (folder == NULL || strcmp(r->res[i].folder, folder) == 0)
			count[r->res[i].status]++;
}

/* "FOLDER: " (unless folder is NULL) and the counts; the compiled mode
** adds the tests it could not compile. */
static void print_summary(const run *r, const char *folder)
{
	int count[NSTATUS];
	tally(r, folder, count);
	if (folder)
		printf("%s: ", folder);
	printf("%d passed, %d failed, %d skipped", count[PASS], count[FAIL], count[SKIP]);
	if (r->o->compiled)
		printf(", %d not compiled", count[NOCOMPILE]);
	putchar('\n');
}

static void print_result(run *r, const char *folder, const char *name, const test *t)
{
	printf("%s %s/%s%s%s\n", status_name[t->status], folder, name, t->reason[0] ? ": " : "", t->reason);
	fflush(stdout);
	record(r, folder, name, t);
}

static void init_test(test *t, const options *o, const char *dir, const char *name)
{
	t->o = o;
	snprintf(t->dir, sizeof t->dir, "%s/%s", dir, name);
	snprintf(t->model, sizeof t->model, "%s/model.onnx", t->dir);
}

/* The tests of ROOT/folder that pass the filter, sorted, into *names and
** dir; -1 after a message when the folder cannot be read. */
static int list_folder(const options *o, const char *folder, char dir[DIR_MAX], char ***names)
{
	struct dirent **ents;
	snprintf(dir, DIR_MAX, "%s/%s", o->root, folder);
	int n = scandir(dir, &ents, is_test_dir, alphasort), k = 0;
	if (n < 0)
		return fprintf(stderr, "condense-conformance: cannot read '%s'\n", dir), -1;
	*names = calloc((size_t)n + 1, sizeof **names);
	for (int i = 0; i < n; i++) {
		if (*names && (o->filter == NULL || strstr(ents[i]->d_name, o->filter)))
			(*names)[k++] = xstrdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	if (*names == NULL)
		out_of_memory();
	return k;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The interpreter mode: each test of folder in turn, printed as it ends. */
static int run_folder(run *r, const char *folder)
{
	char dir[DIR_MAX], **names;
	int n = list_folder(r->o, folder, dir, &names);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		test *t = calloc(1, sizeof *t);
		if (t != NULL) {
			init_test(t, r->o, dir, names[i]);
			run_test(t);
			print_result(r, folder, names[i], t);
		}
		free(t);
	}
	free_names(names, n);
	print_summary(r, folder);
	return 0;
}

/* The tests of every folder, for the compiled mode, which runs them all
** at once; n_tests[f] is -1 for a folder that cannot be read. */
typedef struct test_list {
	test *tests;
	int n, *n_tests;
	char ***names;
} test_list;

static int list_all(const options *o, test_list *l)
{
	int rc = 0;
	l->n_tests = calloc((size_t)o->n_folders + 1, sizeof *l->n_tests);
	l->names = calloc((size_t)o->n_folders + 1, sizeof *l->names);
	if (l->n_tests == NULL || l->names == NULL)
		out_of_memory();
	for (int f = 0; f < o->n_folders; f++) {
		char dir[DIR_MAX];
		l->n_tests[f] = list_folder(o, o->folders[f], dir, &l->names[f]);
		rc |= l->n_tests[f] < 0;
		l->n += l->n_tests[f] > 0 ? l->n_tests[f] : 0;
	}
	l->tests = calloc((size_t)l->n + 1, sizeof *l->tests);
	if (l->tests == NULL)
		out_of_memory();
	for (int f = 0, k = 0; f < o->n_folders; f++)
		for (int i = 0; i < l->n_tests[f]; i++) {
			char dir[DIR_MAX];
			snprintf(dir, sizeof dir, "%s/%s", o->root, o->folders[f]);
			init_test(&l->tests[k++], o, dir, l->names[f][i]);
		}
	return rc ? -1 : 0;
}

/* The compiled mode: every test of every folder, then the report in the
** interpreter mode's order.  Returns -1 when a folder could not be read,
** -2 when the compiled mode cannot run at all. */
static int run_compiled(run *r)
{
	test_list l = {0};
	int rc = list_all(r->o, &l);
	if (cm_run(r->o, l.tests, l.n) < 0)
		rc = -2;
	for (int f = 0, k = 0; f < r->o->n_folders && rc != -2; f++) {
		for (int i = 0; i < l.n_tests[f]; i++)
			print_result(r, r->o->folders[f], l.names[f][i], &l.tests[k++]);
		if (l.n_tests[f] >= 0)
			print_summary(r, r->o->folders[f]);
	}
	for (int f = 0; f < r->o->n_folders; f++)
		if (l.n_tests[f] >= 0)
			free_names(l.names[f], l.n_tests[f]);
	free(l.names);
	free(l.n_tests);
	free(l.tests);
	return rc;
}

/* ---- the markdown report ------------------------------------------------- */

typedef struct counter {
	char *key;
	int n;
} counter;

static void bump(counter **v, int *n, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0) {
			(*v)[i].n++;
			return;
		}
	*v = realloc(*v, (size_t)(*n + 1) * sizeof **v);
	if (*v == NULL)
		out_of_memory();
	(*v)[(*n)++] = (counter){xstrdup(key), 1};
}

static int by_count(const void *a, const void *b)
{
	const counter *x = a, *y = b;
	return x->n != y->n ? y->n - x->n : strcmp(x->key, y->key);
}

/*
** Op types named in the importer's "N unsupported ops: 'A' (node 'a',
** opset 13), 'B' (node #4 and 2 more, domain 'ai.onnx.ml'), and K more":
** bump each (B as "B (ai.onnx.ml)"); returns how many it found.
*/
static int skip_ops(const char *reason, counter **v, int *n)
{
	const char *p = strstr(reason, "unsupported op");
	int found = 0;
	p = p ? strstr(p, ": '") : NULL;
	for (p = p ? p + 2 : NULL; p && *p == '\''; found++) {
		const char *end = strstr(p + 1, "' (");
		const char *close = end ? strchr(end, ')') : NULL;
		const char *dom = end ? strstr(end, ", domain '") : NULL;
		char key[200];
		if (close == NULL)
			break;
		if (dom && dom < close)
			snprintf(key, sizeof key, "%.*s (%.*s)", (int)(end - p - 1), p + 1,
				 (int)(close - dom - 11), dom + 10);
		else
			snprintf(key, sizeof key, "%.*s", (int)(end - p - 1), p + 1);
		bump(v, n, key);
		p = strncmp(close, "), '", 4) == 0 ? close + 3 : NULL;
	}
	return found;
}

/* s with '|' escaped and newlines as spaces, for a table cell. */
static void put_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

/* One row of the counts; the compiled mode has a "not compiled" column. */
static void md_count_row(FILE *f, const run *r, const char *folder)
{
	int c[NSTATUS];
	tally(r, folder, c);
	fprintf(f, "| %s | %d | %d | %d | %d |", folder ? folder : "**total**",
		c[PASS] + c[FAIL] + c[SKIP] + c[NOCOMPILE], c[PASS], c[FAIL], c[SKIP]);
	if (r->o->compiled)
		fprintf(f, " %d |", c[NOCOMPILE]);
	fputc('\n', f);
}

static void md_counts(FILE *f, const run *r)
{
	if (r->o->compiled)
		fputs("| folder | tests | passed | failed | skipped | not compiled |\n"
		      "|---|--:|--:|--:|--:|--:|\n", f);
	else
		fputs("| folder | tests | passed | failed | skipped |\n|---|--:|--:|--:|--:|\n", f);
	for (int i = 0; i < r->o->n_folders; i++)
		md_count_row(f, r, r->o->folders[i]);
	md_count_row(f, r, NULL);
	fputc('\n', f);
}

static void md_table(FILE *f, const char *head, counter *v, int n)
{
	if (n > 0)
		qsort(v, (size_t)n, sizeof *v, by_count);
	fprintf(f, "| %s | tests |\n|---|--:|\n", head);
	for (int i = 0; i < n; i++) {
		fputs("| ", f);
		put_cell(f, v[i].key);
		fprintf(f, " | %d |\n", v[i].n);
		free(v[i].key);
	}
	if (n == 0)
		fputs("| (none) | |\n", f);
	fputc('\n', f);
	free(v);
}

/* reason with the names after "input ", "output " and "node " as '_'. */
static void generic_reason(const char *reason, char *buf, size_t n)
{
	static const char *const kinds[] = {"input '", "output '", "node '"};
	size_t k = 0;
	while (*reason && k + 1 < n) {
		size_t skip = 0;
		for (int i = 0; i < 3 && !skip; i++)
			if (strncmp(reason, kinds[i], strlen(kinds[i])) == 0 && strchr(reason + strlen(kinds[i]), '\''))
				skip = strlen(kinds[i]);
		if (!skip) {
			buf[k++] = *reason++;
			continue;
		}
		k += (size_t)snprintf(buf + k, n - k, "%.*s_'", (int)skip, reason);
		k = k < n ? k : n - 1;
		reason = strchr(reason + skip, '\'') + 1;
	}
	buf[k] = '\0';
}

static void md_skips(FILE *f, const run *r)
{
	counter *ops = NULL, *other = NULL;
	int n_ops = 0, n_other = 0;
	char generic[REASON_MAX];
	for (size_t i = 0; i < r->n_res; i++) {
		if (r->res[i].status != SKIP || skip_ops(r->res[i].reason, &ops, &n_ops) > 0)
			continue;
		generic_reason(r->res[i].reason, generic, sizeof generic);
		bump(&other, &n_other, generic);
	}
	fputs("## Skipped: unsupported op types\n\nTests that use each op type condense does not "
	      "support (a test using several counts under each).\n\n", f);
	md_table(f, "op type", ops, n_ops);
	fputs("## Skipped for other reasons\n\nNames of inputs, outputs and nodes are shown as `'_'`.\n\n", f);
	md_table(f, "reason", other, n_other);
}

/* The compiled mode's tests the code generator refused, by reason. */
static void md_nocompile(FILE *f, const run *r)
{
	counter *v = NULL;
	int n = 0;
	char generic[REASON_MAX];
	for (size_t i = 0; i < r->n_res; i++) {
		if (r->res[i].status != NOCOMPILE)
			continue;
		generic_reason(r->res[i].reason, generic, sizeof generic);
		bump(&v, &n, generic);
	}
	fputs("## Not compiled\n\nTests the interpreter passes but the code generator refuses, by its "
	      "first diagnostic.\n\n", f);
	md_table(f, "reason", v, n);
}

static void md_failures(FILE *f, const run *r)
{
	int n = 0;
	fputs("## Failing tests\n\n| test | first difference or error |\n|---|---|\n", f);
	for (size_t i = 0; i < r->n_res; i++) {
		if (r->res[i].status != FAIL)
			continue;
		fprintf(f, "| %s/%s | ", r->res[i].folder, r->res[i].test);
		put_cell(f, r->res[i].reason);
		fputs(" |\n", f);
		n++;
	}
	if (n == 0)
		fputs("| (none) | |\n", f);
}

static void md_compiled_mode(FILE *f)
{
	fputs("\n## Compiled mode\n\n"
	      "`condense-conformance --compiled TARGET` (TARGET `host`, `x86_64-linux-gnu`,\n"
	      "`aarch64-linux-gnu`, `riscv64-linux-gnu`, or compile-only, see below) also\n"
	      "compiles every test the\n"
	      "interpreter passes: the same imported graph (the per-data-set constant\n"
	      "imports included) goes through `condense compile`'s pass pipeline and code\n"
	      "generator into an object, and a generic harness (`test/onnx/harness.c`)\n"
	      "drives it through its `condense_model` descriptor: inputs from the data set,\n"
	      "outputs compared with the expected ones exactly as above. Up to `--batch`\n"
	      "objects (100) link with the harness into one executable, built by the\n"
	      "target's GCC (`-static` for the cross targets) and run natively or under\n"
	      "`qemu-aarch64` / `qemu-riscv64 -cpu rv64,v=true,vlen=128`; `--jobs N`\n"
	      "compiles and runs N at a time.\n\n"
	      "The harness surrounds every buffer with guard bytes (a write outside the\n"
	      "outputs and scratch fails the test, as does a change to an input), fills\n"
	      "outputs and scratch with garbage before each run, runs each model twice with\n"
	      "different garbage and requires identical outputs, and requires run to\n"
	      "return 0. An object that calls anything but `memcpy` or `memset` fails. A\n"
	      "crash or a time-out (`--timeout`, 60 s) fails that test only. A test the\n"
	      "code generator refuses is `NOCOMPILE`, counted apart (`--strict`: as a\n"
	      "failure); the last line is `N passed, M failed, K skipped, C not compiled`.\n\n"
	      "The 32-bit embedded targets `thumbv7em-none-eabihf` (Cortex-M4F) and\n"
	      "`riscv32-unknown-elf` are compile-only (no C library, no emulator): a test\n"
	      "passes when its objects compile and reference only `memcpy` and `memset`,\n"
	      "and a line before the total says that nothing ran.\n",
	      f);
}

static int write_markdown(const run *r)
{
	FILE *f = fopen(r->o->markdown, "w");
	if (f == NULL)
		return fprintf(stderr, "condense-conformance: cannot create '%s'\n", r->o->markdown), -1;
	fputs("# ONNX conformance\n\n"
	      "condense's importer and reference interpreter against the ONNX backend test\n"
	      "data of Debian's `libonnx-testdata` (ONNX 1.12 in Debian 12). Generated by\n"
	      "`build/bin/condense-conformance --markdown docs/conformance.md`; do not edit.\n\n"
	      "A test passes when every output of every data set has the expected dtype and\n"
	      "shape and its elements match (integers exactly; floats within\n"
	      "`atol + rtol*|expected|`, rtol 1e-3 and atol 1e-7 unless the test's\n"
	      "`data.json` says otherwise; NaN matches NaN). It is skipped when the importer\n"
	      "reports the model as unsupported, and fails otherwise. A model that needs a\n"
	      "graph input constant (a Reshape shape, Slice starts) is imported again with\n"
	      "the data set's integer inputs, then all its inputs, as constants.\n\n",
	      f);
	if (r->o->compiled)
		fprintf(f, "This report is of the compiled mode for target `%s` (see the last section).\n\n",
			r->o->compiled);
	fputs("## Counts\n\n", f);
	md_counts(f, r);
	md_skips(f, r);
	if (r->o->compiled)
		md_nocompile(f, r);
	md_failures(f, r);
	md_compiled_mode(f);
	if (fclose(f) != 0)
		return fprintf(stderr, "condense-conformance: error writing '%s'\n", r->o->markdown), -1;
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

static const char *const default_folders[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: condense-conformance [--root DIR] [--filter TEXT] [--markdown FILE] [-v]\n"
		"           [--compiled TARGET [--jobs N] [--batch N] [--timeout SECONDS] [--strict]\n"
		"            [--keep-temp] [--src DIR]] [FOLDER...]\n"
		"TARGET: %s\n",
		cm_target_names);
	return status;
}

/* The number after option a, in [lo, hi]; -1 when it is not one. */
static int int_value(const char *a, const char *v, int lo, int hi)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (end == v || *end || n < lo || n > hi)
		return fprintf(stderr, "condense-conformance: bad %s '%s'\n", a, v), -1;
	return (int)n;
}

/* An option with a value at argv[*i]; 1 when a is not one, -1 on error. */
static int value_option(options *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **slot = strcmp(a, "--root") == 0       ? &o->root
			    : strcmp(a, "--filter") == 0   ? &o->filter
			    : strcmp(a, "--markdown") == 0 ? &o->markdown
			    : strcmp(a, "--compiled") == 0 ? &o->compiled
			    : strcmp(a, "--src") == 0      ? &o->src_dir : NULL;
	int *num = strcmp(a, "--jobs") == 0 ? &o->jobs : strcmp(a, "--batch") == 0 ? &o->batch
		   : strcmp(a, "--timeout") == 0 ? &o->timeout : NULL;
	if ((!slot && !num) || *i + 1 >= argc)
		return 1;
	const char *v = argv[++*i];
	if (slot)
		*slot = v;
	else if ((*num = int_value(a, v, 1, 100000)) < 0)
		return -1;
	if (slot == &o->compiled && !cm_known_target(v))
		return fprintf(stderr, "condense-conformance: unknown target '%s'\n", v), -1;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = value_option(o, argc, argv, &i);
		if (rc < 0)
			return usage(stderr, 2);
		if (rc == 0)
			continue;
		if (strcmp(a, "-v") == 0)
			o->verbose = true;
		else if (strcmp(a, "--strict") == 0)
			o->strict = true;
		else if (strcmp(a, "--keep-temp") == 0)
			o->keep_temp = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(stdout, 0);
		else if (a[0] == '-')
			return fprintf(stderr, "condense-conformance: bad option '%s'\n", a), usage(stderr, 2);
		else
			o->folders[o->n_folders++] = a;
	}
	if (o->n_folders == 0) {
		memcpy(o->folders, default_folders, sizeof default_folders);
		o->n_folders = 4;
	}
	return -1;
}

int main(int argc, char **argv)
{
	options o = {.root = DEFAULT_ROOT, .folders = calloc((size_t)argc + 4, sizeof(char *)),
		     .src_dir = CONDENSE_SOURCE_DIR, .batch = 100, .timeout = 60};
	run r = {.o = &o};
	int count[NSTATUS], rc = o.folders ? parse_args(argc, argv, &o) : 1;
	if (rc >= 0)
		return rc;
	rc = 0;
	if (o.compiled) {
		int crc = run_compiled(&r);
		if (crc == -2)
			return free(o.folders), 2;
		rc = crc < 0;
	} else {
		for (int i = 0; i < o.n_folders; i++)
			rc |= run_folder(&r, o.folders[i]) < 0;
	}
	if (o.markdown && write_markdown(&r) < 0)
		rc = 1;
	tally(&r, NULL, count);
	if (o.compiled && cm_compile_only(o.compiled))
		printf("%s is compile-only: a passed test's objects compiled and reference only "
		       "memcpy and memset; nothing ran\n", o.compiled);
	print_summary(&r, NULL);
	for (size_t i = 0; i < r.n_res; i++) {
		free(r.res[i].folder);
		free(r.res[i].test);
		free(r.res[i].reason);
	}
	free(r.res);
	free(o.folders);
	return rc || count[FAIL] || (o.strict && count[NOCOMPILE]) ? 1 : 0;
}
