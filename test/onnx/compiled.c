/*
** compiled.c - the compiled mode of condense-conformance (--compiled TARGET).
**
** Every test runs through the interpreter first, exactly as in the
** interpreter mode; a test the interpreter does not pass is reported as
** there.  For one that passes, each graph the interpreter ran (the test's
** graph, or the per-data-set import with constant inputs) goes through
** `condense compile`'s pipeline and cg_compile into TMP/J/PREFIX.o, with
** the prefix t0001 (t0001_N for data set N's own graph), and each data
** set's inputs and expected outputs are saved raw.  That part runs in a
** forked child per test (LLVM state and crashes stay in the child), which
** leaves a binary record TMP/J/record for the parent.
**
** Tests are then grouped in order into batches of about --batch models.  A
** batch child checks the objects' undefined symbols (only memcpy and
** memset are allowed), writes TMP/bB/models.c (the table of descriptors
** harness.c expects), links it with harness.o and the objects into
** TMP/bB/run with the target's GCC, and runs it, under qemu for a cross
** target, on TMP/bB/manifest.  The harness prints "ID ok" or "ID fail
** REASON" per entry into TMP/bB/out; when it dies (a crash, a time-out),
** the entry it was running fails with the signal and the run resumes after
** it.  Finally the parent compares each entry's outputs with the expected
** ones using compare(), the interpreter mode's comparison.
**
** The 32-bit embedded targets (thumbv7em-none-eabihf, riscv32-unknown-elf)
** are compile-only: there is no C library and no emulator to run them, so
** a batch child stops after the undefined-symbol check, and a test passes
** when every object compiled and references nothing but memcpy and memset.
** The summary is followed by a line saying that nothing ran.
**
** Up to --jobs children (test or batch; default: the number of CPUs) run at
** once; a batch starts as soon as the tests it holds are done.  Nothing a
** test or batch does can stop the whole run: a child that dies fails its
** tests only.
**
** Options: --batch N models per batch (100); --timeout S seconds per entry
** in the harness (60); --keep-temp keeps TMP (under $TMPDIR or /tmp) and
** prints its name; --src DIR, the source tree holding test/onnx/harness.c
** and runtime/condense_model.h; -v prints every command run.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "passes/pass.h"
#include "test/onnx/conformance.h"

#define TEST_TIMEOUT 300        /* seconds for one test's interpreting and compiling */
#define TMP_PATH_MAX 4400

typedef struct target {
	const char *name, *triple;
	const char *cc;         /* links and runs the batch; NULL: compile-only */
	const char *nm;
	const char *emu[4];     /* argv prefix of the emulator; {NULL} when native */
	bool static_link;
} target;

static const target targets[] = {
	{"host", NULL, "cc", "nm", {NULL}, false},
	{"x86_64-linux-gnu", "x86_64-linux-gnu", "cc", "nm", {NULL}, false},
	{"aarch64-linux-gnu", "aarch64-linux-gnu", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-nm",
	 {"qemu-aarch64", NULL}, true},
	{"riscv64-linux-gnu", "riscv64-linux-gnu", "riscv64-linux-gnu-gcc", "riscv64-linux-gnu-nm",
	 {"qemu-riscv64", "-cpu", "rv64,v=true,vext_spec=v1.0,vlen=128", NULL}, true},
	{"thumbv7em-none-eabihf", "thumbv7em-none-eabihf", NULL, "llvm-nm-19", {NULL}, false},
	{"riscv32-unknown-elf", "riscv32-unknown-elf", NULL, "llvm-nm-19", {NULL}, false},
};
#define N_TARGETS ((int)(sizeof targets / sizeof targets[0]))

const char cm_target_names[] = "host, x86_64-linux-gnu, aarch64-linux-gnu, riscv64-linux-gnu, "
			       "thumbv7em-none-eabihf, riscv32-unknown-elf (the last two compile-only)";

/* One data set to run: its files are J/dSET.inK, .wantK and .gotK. */
typedef struct cm_entry {
	int32_t set, n_in, n_out;
	char where[64];
	ir_type *types;         /* n_in inputs, n_out results, n_out expected */
	char *fail;             /* parent: the harness's complaint, NULL if none */
	bool reported;          /* parent: the harness (or its batch) said something */
} cm_entry;

typedef struct cm_run_state cm_run_state;

/* The compiled side of one test. */
struct cm_test {
	const cm_run_state *R;
	int index;              /* J, from 1 */
	int status;             /* PASS, or FAIL / NOCOMPILE from compiling */
	char reason[REASON_MAX];
	int n_models, n_entries, cap_entries;
	int32_t *model_set;     /* data set of each model, -1 for all */
	cm_entry *entries;
	bool done;
};

typedef struct batch {
	int first, end;         /* its tests */
	int n_models;
} batch;

typedef struct job {
	pid_t pid;
	int test, batch;        /* one of them is -1 */
} job;

struct cm_run_state {
	const options *o;
	const target *tg;
	char tmp[TMP_PATH_MAX];
	test *tests;
	struct cm_test *cms;
	int n;
	batch *batches;
	int n_batches, placed;  /* tests [0, placed) are in batches */
	int open_first, open_models;  /* the batch being filled */
	job *jobs;
	int n_jobs, max_jobs;
};

static _Noreturn void out_of_memory(void)
{
	fputs("condense-conformance: out of memory\n", stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		out_of_memory();
	return p;
}

bool cm_known_target(const char *name)
{
	for (int i = 0; i < N_TARGETS; i++)
		if (strcmp(targets[i].name, name) == 0)
			return true;
	return false;
}

bool cm_compile_only(const char *name)
{
	for (int i = 0; i < N_TARGETS; i++)
		if (strcmp(targets[i].name, name) == 0)
			return targets[i].cc == NULL;
	return false;
}

/* ---- processes --------------------------------------------------------------- */

static void redirect(int fd, const char *path)
{
	int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (f >= 0 && f != fd) {
		dup2(f, fd);
		close(f);
	}
}

/*
** Run argv (argv[0] looked up in PATH) in dir, stdout appended to out and
** stderr to err (NULL: /dev/null).  Returns the wait status, or -1 when
** no process could be made.
*/
static int run_cmd(const char *const *argv, const char *dir, const char *out, const char *err, bool verbose)
{
	if (verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s%s", i ? " " : "+ ", argv[i]);
		fputc('\n', stderr);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dir && chdir(dir) < 0)
			_exit(127);
		redirect(1, out);
		redirect(2, err);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* How a process ended, for a reason: "signal 11 (Segmentation fault)". */
static void status_text(int st, int timeout, char *buf, size_t n)
{
	if (st == -1)
		snprintf(buf, n, "could not be started");
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(buf, n, "timed out after %d s", timeout);
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "crashed: signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
}

static bool exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The last non-empty line of a file (at most n - 1 bytes), or "". */
static void last_line(const char *path, char *buf, size_t n)
{
	char line[1024];
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(buf, n, "%.*s", (int)(n - 1), line);
	}
	if (f)
		fclose(f);
}

/* ---- the child of one test: hooks and its record ------------------------------ */

static int write_bytes(const char *path, const void *data, int64_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && (n == 0 || fwrite(data, 1, (size_t)n, f) == (size_t)n);
	if (f && fclose(f) != 0)
		ok = false;
	return ok ? 0 : -1;
}

static int save_tensor(test *t, const char *kind, int set, uint32_t k, const interp_tensor *x)
{
	char path[TMP_PATH_MAX + 100];
	int64_t bytes = 0;
	snprintf(path, sizeof path, "%s/%d/d%d.%s%u", t->cm->R->tmp, t->cm->index, set, kind, (unsigned)k);
	if (ir_type_bytes(&x->type, &bytes) < 0 || write_bytes(path, x->data, bytes) < 0)
		return failf(t, "compiled mode: cannot write '%s'", path);
	return 0;
}

static cm_entry *new_entry(struct cm_test *cm)
{
	if (cm->n_entries == cm->cap_entries) {
		cm->cap_entries = cm->cap_entries ? 2 * cm->cap_entries : 4;
		cm->entries = xrealloc(cm->entries, (size_t)cm->cap_entries * sizeof *cm->entries);
	}
	cm_entry *e = &cm->entries[cm->n_entries++];
	memset(e, 0, sizeof *e);
	return e;
}

/* t's type without its quantization (the record holds no pointers). */
static ir_type plain(ir_type t)
{
	t.quant = NULL;
	return t;
}

int cm_data_set(test *t, const ir_graph *g, const interp_tensor *in, const interp_tensor *got,
		const data_set *d)
{
	for (uint32_t k = 0; k < g->n_inputs; k++)
		if (save_tensor(t, "in", d->index, k, &in[k]) < 0)
			return -1;
	for (uint32_t k = 0; k < g->n_outputs; k++)
		if (save_tensor(t, "want", d->index, k, &d->want[k]) < 0)
			return -1;
	cm_entry *e = new_entry(t->cm);
	e->set = d->index;
	e->n_in = (int32_t)g->n_inputs;
	e->n_out = (int32_t)g->n_outputs;
	snprintf(e->where, sizeof e->where, "%s", d->where);
	e->types = xrealloc(NULL, (g->n_inputs + 2 * (size_t)g->n_outputs) * sizeof *e->types);
	for (int32_t k = 0; k < e->n_in; k++)
		e->types[k] = plain(in[k].type);
	for (int32_t k = 0; k < e->n_out; k++) {
		e->types[e->n_in + k] = plain(got[k].type);
		e->types[e->n_in + e->n_out + k] = plain(d->want[k].type);
	}
	return 0;
}

static void model_prefix(int index, int set, char *buf, size_t n)
{
	if (set < 0)
		snprintf(buf, n, "t%04d", index);
	else
		snprintf(buf, n, "t%04d_%d", index, set);
}

typedef struct compile_args {
	ir_graph *g;
	const cg_options *cg;
	FILE *out;
} compile_args;

static int compile_protected(ir_ctx *c, void *ud)
{
	compile_args *a = ud;
	pass_options po = {0};
	cg_result r;
	(void)c;
	if (ir_verify(a->g) < 0 || pass_run_pipeline(a->g, CG_PIPELINE, &po) < 0 || ir_verify(a->g) < 0)
		return -2;
	return cg_compile(a->g, a->cg, a->out, &r) < 0 ? -1 : 0;
}

void cm_compile(test *t, ir_graph *g, int set)
{
	struct cm_test *cm = t->cm;
	char prefix[64], path[TMP_PATH_MAX + 100];
	if (cm->status != PASS)
		return;
	model_prefix(cm->index, set, prefix, sizeof prefix);
	snprintf(path, sizeof path, "%s/%d/%s.o", cm->R->tmp, cm->index, prefix);
	cg_options o = {.triple = cm->R->tg->triple, .prefix = prefix, .opt_level = 2, .emit = CG_EMIT_OBJ};
	compile_args a = {g, &o, fopen(path, "wb")};
	if (a.out == NULL) {
		cm->status = FAIL;
		snprintf(cm->reason, sizeof cm->reason, "compiled mode: cannot write '%.400s'", path);
		return;
	}
	int rc = ir_protect(g->ctx, compile_protected, &a);
	if (fclose(a.out) != 0 && rc == 0)
		rc = -3;
	if (rc == 0) {
		cm->model_set = xrealloc(cm->model_set, (size_t)(cm->n_models + 1) * sizeof *cm->model_set);
		cm->model_set[cm->n_models++] = set;
		return;
	}
	const char *msg = rc == -3 ? "cannot write the object" : diag_text(g->ctx, t->model);
	bool refused = rc == -1 && strstr(msg, "does not support") != NULL;
	cm->status = refused ? NOCOMPILE : FAIL;
	snprintf(cm->reason, sizeof cm->reason, "%s%s", refused ? "" : rc == -2 ? "compile pipeline: " : "compile: ",
		 msg);
}

/*
** The record of a test, TMP/J/record: the head, the models' data sets,
** then per entry its head and types.
*/
typedef struct record_head {
	int32_t status, n_models, n_entries;
	char reason[REASON_MAX];
} record_head;

typedef struct entry_head {
	int32_t set, n_in, n_out;
	char where[64];
} entry_head;

static int write_record(const struct cm_test *cm, const test *t)
{
	char path[TMP_PATH_MAX + 100];
	snprintf(path, sizeof path, "%s/%d/record", cm->R->tmp, cm->index);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	record_head h = {t->status, cm->n_models, cm->n_entries, ""};
	snprintf(h.reason, sizeof h.reason, "%s", t->reason);
	bool ok = fwrite(&h, sizeof h, 1, f) == 1 &&
		  fwrite(cm->model_set, sizeof *cm->model_set, (size_t)cm->n_models, f) == (size_t)cm->n_models;
	for (int i = 0; i < cm->n_entries && ok; i++) {
		const cm_entry *e = &cm->entries[i];
		entry_head eh = {e->set, e->n_in, e->n_out, ""};
		size_t nt = (size_t)e->n_in + 2 * (size_t)e->n_out;
		memcpy(eh.where, e->where, sizeof eh.where);
		ok = fwrite(&eh, sizeof eh, 1, f) == 1 && fwrite(e->types, sizeof *e->types, nt, f) == nt;
	}
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The body of a test's child: interpret, compile, record; never returns. */
static _Noreturn void test_child(cm_run_state *R, int j)
{
	char dir[TMP_PATH_MAX + 20];
	test *t = &R->tests[j];
	struct cm_test cm = {.R = R, .index = j + 1, .status = PASS};
	alarm(TEST_TIMEOUT);
	snprintf(dir, sizeof dir, "%s/%d", R->tmp, j + 1);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		_exit(3);
	t->cm = &cm;
	run_test(t);
	if (t->status == PASS && cm.status != PASS) {
		t->status = cm.status;
		memcpy(t->reason, cm.reason, sizeof t->reason);
	}
	_exit(write_record(&cm, t) < 0 ? 4 : 0);
}

static bool read_exact(FILE *f, void *p, size_t size, size_t n)
{
	return n == 0 || fread(p, size, n, f) == n;
}

static int read_entries(FILE *f, struct cm_test *cm)
{
	for (int i = 0; i < cm->n_entries; i++) {
		entry_head eh;
		if (!read_exact(f, &eh, sizeof eh, 1) || eh.n_in < 0 || eh.n_out < 0 || eh.n_in > IR_MAX_IO ||
		    eh.n_out > IR_MAX_IO)
			return -1;
		cm_entry *e = &cm->entries[i];
		*e = (cm_entry){.set = eh.set, .n_in = eh.n_in, .n_out = eh.n_out};
		memcpy(e->where, eh.where, sizeof e->where);
		e->where[sizeof e->where - 1] = '\0';
		size_t nt = (size_t)e->n_in + 2 * (size_t)e->n_out;
		e->types = xrealloc(NULL, nt * sizeof *e->types);
		if (!read_exact(f, e->types, sizeof *e->types, nt))
			return -1;
	}
	return 0;
}

/* Read test j's record into its test and cm_test; -1 when it is unusable. */
static int read_record(cm_run_state *R, int j)
{
	char path[TMP_PATH_MAX + 100];
	struct cm_test *cm = &R->cms[j];
	test *t = &R->tests[j];
	record_head h;
	snprintf(path, sizeof path, "%s/%d/record", R->tmp, j + 1);
	FILE *f = fopen(path, "rb");
	int rc = f && read_exact(f, &h, sizeof h, 1) && h.status >= 0 && h.status < NSTATUS && h.n_models >= 0 &&
			 h.n_entries >= 0 && h.n_entries <= 100000 && h.n_models <= 100000 ? 0 : -1;
	if (rc == 0) {
		t->status = h.status;
		memcpy(t->reason, h.reason, sizeof t->reason);
		t->reason[sizeof t->reason - 1] = '\0';
		cm->n_models = h.n_models;
		cm->n_entries = cm->cap_entries = h.n_entries;
		cm->model_set = xrealloc(NULL, (size_t)h.n_models * sizeof *cm->model_set);
		cm->entries = xrealloc(NULL, (size_t)h.n_entries * sizeof *cm->entries);
		if (!read_exact(f, cm->model_set, sizeof *cm->model_set, (size_t)h.n_models) ||
		    read_entries(f, cm) < 0)
			rc = -1;
	}
	if (f)
		fclose(f);
	return rc;
}

/* ---- batches: link and run ------------------------------------------------------ */

/* Whether test j takes part in batch runs: passed so far, has models. */
static bool in_batch(const cm_run_state *R, int j)
{
	return R->tests[j].status == PASS && R->cms[j].n_models > 0;
}

/* The model objects of a batch, "J/PREFIX.o", and the test of each. */
typedef struct objects {
	int n;
	char (*path)[64];
	int *test;
} objects;

static void list_objects(const cm_run_state *R, const batch *b, objects *ob)
{
	ob->n = 0;
	ob->path = xrealloc(NULL, (size_t)b->n_models * sizeof *ob->path);
	ob->test = xrealloc(NULL, (size_t)b->n_models * sizeof *ob->test);
	for (int j = b->first; j < b->end; j++)
		for (int m = 0; in_batch(R, j) && m < R->cms[j].n_models; m++) {
			char prefix[32];
			model_prefix(j + 1, R->cms[j].model_set[m], prefix, sizeof prefix);
			snprintf(ob->path[ob->n], sizeof ob->path[ob->n], "%d/%s.o", j + 1, prefix);
			ob->test[ob->n++] = j;
		}
}

/* argv: head (NULL-terminated), the objects whose tests are not bad, tail. */
static const char **object_argv(const objects *ob, const batch *b, const bool *bad, const char *const *head,
				const char *tail)
{
	int n = 0;
	const char **argv = xrealloc(NULL, (size_t)(ob->n + 20) * sizeof *argv);
	while (*head)
		argv[n++] = *head++;
	for (int i = 0; i < ob->n; i++)
		if (!bad[ob->test[i] - b->first])
			argv[n++] = ob->path[i];
	argv[n++] = tail;
	argv[n] = NULL;
	return argv;
}

static bool allowed_symbol(const char *s)
{
	return strcmp(s, "memcpy") == 0 || strcmp(s, "memset") == 0 || strcmp(s, "_GLOBAL_OFFSET_TABLE_") == 0;
}

/* The verdict file of a batch: lines "J:E ok" or "J:E fail REASON". */
static void verdict_ok(FILE *out, int j, int e)
{
	fprintf(out, "%d:%d ok\n", j, e);
	fflush(out);
}

static void verdict(FILE *out, int j, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void verdict(FILE *out, int j, int e, const char *fmt, ...)
{
	va_list ap;
	fprintf(out, "%d:%d fail ", j, e);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static void fail_test_entries(FILE *out, const cm_run_state *R, int j, const char *reason)
{
	for (int e = 0; e < R->cms[j].n_entries; e++)
		verdict(out, j, e, "%s", reason);
}

/*
** Objects that call anything but memcpy and memset (nm -u -A --format=posix
** prints "J/PREFIX.o: SYMBOL U"): their tests fail and are marked in bad.
*/
static void check_symbols(const cm_run_state *R, const objects *ob, const batch *b, int bi, bool *bad,
			  FILE *out)
{
	char nm_out[64], line[2048];
	const char *head[] = {R->tg->nm, "-u", "-A", "--format=posix", NULL};
	const char **argv = object_argv(ob, b, bad, head, NULL);
	snprintf(nm_out, sizeof nm_out, "b%d/nm.txt", bi);
	int st = run_cmd(argv, NULL, nm_out, NULL, R->o->verbose);
	free(argv);
	FILE *f = fopen(nm_out, "r");
	while (exited_ok(st) && f && fgets(line, sizeof line, f)) {
		char obj[1024], sym[1024], why[1200];
		if (sscanf(line, "%1023[^:]: %1023s", obj, sym) != 2 || allowed_symbol(sym))
			continue;
		int j = atoi(obj) - 1;
		if (j < b->first || j >= b->end || bad[j - b->first])
			continue;
		bad[j - b->first] = true;
		snprintf(why, sizeof why, "the object calls '%s' (it may call only memcpy and memset)", sym);
		fail_test_entries(out, R, j, why);
	}
	if (f)
		fclose(f);
	if (!exited_ok(st))
		fprintf(stderr, "condense-conformance: %s failed; undefined symbols not checked\n", R->tg->nm);
}

/* TMP/bB/models.c: the descriptors of the batch's usable models. */
static int write_models_c(const cm_run_state *R, const batch *b, int bi, const bool *bad)
{
	char path[64], prefix[64];
	snprintf(path, sizeof path, "b%d/models.c", bi);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs("/* generated by condense-conformance --compiled */\n#include \"condense_model.h\"\n\n", f);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			fputs("\nconst condense_model *const harness_models[] = {\n", f);
		for (int j = b->first; j < b->end; j++)
			for (int m = 0; in_batch(R, j) && !bad[j - b->first] && m < R->cms[j].n_models; m++) {
				model_prefix(j + 1, R->cms[j].model_set[m], prefix, sizeof prefix);
				fprintf(f, pass ? "\t&%s_model,\n" : "extern const condense_model %s_model;\n", prefix);
			}
	}
	fputs("\t0\n};\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Link models.c, harness.o and the objects into TMP/bB/run. */
static int link_batch(const cm_run_state *R, const objects *ob, const batch *b, int bi, const bool *bad,
		      char *why, size_t n)
{
	char exe[64], src[64], err[64], inc[TMP_PATH_MAX + 20], text[400], last[600];
	snprintf(exe, sizeof exe, "b%d/run", bi);
	snprintf(src, sizeof src, "b%d/models.c", bi);
	snprintf(err, sizeof err, "b%d/link.txt", bi);
	snprintf(inc, sizeof inc, "-I%s/runtime", R->o->src_dir);
	const char *head[] = {R->tg->cc, "-std=c11", "-O1", "-o", exe, inc, src, "harness.o", NULL};
	const char **argv = object_argv(ob, b, bad, head, R->tg->static_link ? "-static" : NULL);
	int st = run_cmd(argv, NULL, NULL, err, R->o->verbose);
	free(argv);
	if (exited_ok(st))
		return 0;
	status_text(st, 0, text, sizeof text);
	last_line(err, last, sizeof last);
	snprintf(why, n, "linking the batch failed (%s %s): %s", R->tg->cc, text, last);
	return -1;
}

/* One manifest line per entry of the usable tests; ids in ids. */
static int write_manifest(const cm_run_state *R, const batch *b, int bi, const bool *bad, int (*ids)[2],
			  int *n_ids)
{
	char path[64];
	snprintf(path, sizeof path, "b%d/manifest", bi);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	int model = 0;
	*n_ids = 0;
	for (int j = b->first; j < b->end; j++) {
		const struct cm_test *cm = &R->cms[j];
		if (!in_batch(R, j) || bad[j - b->first])
			continue;
		for (int e = 0; e < cm->n_entries; e++) {
			const cm_entry *en = &cm->entries[e];
			int m = 0;
			while (m < cm->n_models && cm->model_set[m] != -1 && cm->model_set[m] != en->set)
				m++;
			fprintf(f, "%d:%d %d %d %d", j, e, m < cm->n_models ? model + m : -1, en->n_in, en->n_out);
			for (int k = 0; k < en->n_in + en->n_out; k++) {
				const ir_type *ty = &en->types[k];
				bool is_in = k < en->n_in;
				fprintf(f, " %d/d%d.%s%d %d %d", j + 1, en->set, is_in ? "in" : "got",
					is_in ? k : k - en->n_in, (int)ty->dtype, (int)ty->rank);
				for (int d = 0; d < ty->rank; d++)
					fprintf(f, " %lld", (long long)ty->dims[d]);
			}
			fputc('\n', f);
			ids[*n_ids][0] = j;
			ids[(*n_ids)++][1] = e;
		}
		model += cm->n_models;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, ch;
	while (f && (ch = fgetc(f)) != EOF)
		n += ch == '\n';
	if (f)
		fclose(f);
	return n;
}

/*
** Run the batch's executable on its manifest from line 0; when it dies,
** fail the line it was running and go on after it.
*/
static void run_manifest(const cm_run_state *R, int bi, int (*ids)[2], int n_ids, const char *out_path,
			 FILE *out)
{
	char exe[64], manifest[64], first[32], timeout[32], err[64];
	const char *argv[16];
	int na = 0, line = 0;
	snprintf(exe, sizeof exe, "b%d/run", bi);
	snprintf(manifest, sizeof manifest, "b%d/manifest", bi);
	snprintf(err, sizeof err, "b%d/err.txt", bi);
	snprintf(timeout, sizeof timeout, "%d", R->o->timeout);
	for (int i = 0; R->tg->emu[i]; i++)
		argv[na++] = R->tg->emu[i];
	argv[na++] = exe;
	argv[na++] = manifest;
	argv[na++] = first;
	argv[na++] = timeout;
	argv[na] = NULL;
	while (line < n_ids) {
		snprintf(first, sizeof first, "%d", line);
		fflush(out);
		remove(err);
		int before = count_lines(out_path);
		int st = run_cmd(argv, NULL, out_path, err, R->o->verbose);
		line += count_lines(out_path) - before;
		if (exited_ok(st) || line >= n_ids)
			break;
		char text[200], last[600];
		status_text(st, R->o->timeout, text, sizeof text);
		last_line(err, last, sizeof last);
		if (strncmp(last, "qemu: uncaught target signal", 28) == 0)
			last[0] = '\0'; /* says what text says */
		verdict(out, ids[line][0], ids[line][1], "the harness %s%s%s", text, last[0] ? ": " : "", last);
		line++;
	}
}

/* The body of a batch's child: check, link, run; never returns. */
static _Noreturn void batch_child(const cm_run_state *R, int bi)
{
	const batch *b = &R->batches[bi];
	char dir[64], out_path[64], why[1200];
	int n_ids = 0, n_entries = 0;
	snprintf(dir, sizeof dir, "b%d", bi);
	snprintf(out_path, sizeof out_path, "b%d/out", bi);
	if (b->n_models == 0)
		_exit(0);
	if (chdir(R->tmp) < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST))
		_exit(3);
	FILE *out = fopen(out_path, "a");
	bool *bad = xrealloc(NULL, (size_t)(b->end - b->first) * sizeof *bad);
	memset(bad, 0, (size_t)(b->end - b->first) * sizeof *bad);
	for (int j = b->first; j < b->end; j++)
		n_entries += in_batch(R, j) ? R->cms[j].n_entries : 0;
	int (*ids)[2] = xrealloc(NULL, (size_t)n_entries * sizeof *ids);
	if (out == NULL)
		_exit(3);
	objects ob;
	list_objects(R, b, &ob);
	check_symbols(R, &ob, b, bi, bad, out);
	if (R->tg->cc == NULL) {
		for (int j = b->first; j < b->end; j++)
			for (int e = 0; in_batch(R, j) && !bad[j - b->first] && e < R->cms[j].n_entries; e++)
				verdict_ok(out, j, e);
		_exit(fclose(out) == 0 ? 0 : 3);
	}
	if (write_models_c(R, b, bi, bad) < 0 || write_manifest(R, b, bi, bad, ids, &n_ids) < 0)
		snprintf(why, sizeof why, "compiled mode: cannot write the batch's files");
	else if (link_batch(R, &ob, b, bi, bad, why, sizeof why) == 0)
		why[0] = '\0';
	if (why[0])
		for (int i = 0; i < n_ids; i++)
			verdict(out, ids[i][0], ids[i][1], "%s", why);
	else
		run_manifest(R, bi, ids, n_ids, out_path, out);
	_exit(fclose(out) == 0 ? 0 : 3);
}

/* Apply TMP/bB/out to the entries of the batch's tests. */
static void read_verdicts(cm_run_state *R, int bi)
{
	char path[TMP_PATH_MAX + 40], line[4096];
	snprintf(path, sizeof path, "%s/b%d/out", R->tmp, bi);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		int j, e, off = 0;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%d:%d %n", &j, &e, &off) != 2 || j < R->batches[bi].first ||
		    j >= R->batches[bi].end || e < 0 || e >= R->cms[j].n_entries)
			continue;
		cm_entry *en = &R->cms[j].entries[e];
		if (en->reported)
			continue;
		en->reported = true;
		if (strncmp(line + off, "fail ", 5) == 0)
			en->fail = strdup(line + off + 5);
	}
	if (f)
		fclose(f);
}

/* ---- comparing ----------------------------------------------------------------- */

static void *read_all(const char *path, int64_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = xrealloc(NULL, (size_t)size + 1);
		if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
	}
	if (f)
		fclose(f);
	*n = size;
	return buf;
}

/* Output k of entry e of test j: the harness's bytes against the expected. */
static int compare_output(cm_run_state *R, int j, const cm_entry *e, int k, tolerance tol)
{
	test *t = &R->tests[j];
	char got_path[TMP_PATH_MAX + 100], want_path[TMP_PATH_MAX + 100], where[120];
	int64_t got_n = 0, want_n = 0, bytes = 0;
	interp_tensor got = {e->types[e->n_in + k], NULL}, want = {e->types[e->n_in + e->n_out + k], NULL};
	snprintf(got_path, sizeof got_path, "%s/%d/d%d.got%d", R->tmp, j + 1, e->set, k);
	snprintf(want_path, sizeof want_path, "%s/%d/d%d.want%d", R->tmp, j + 1, e->set, k);
	snprintf(where, sizeof where, "%scompiled ", e->where);
	got.data = read_all(got_path, &got_n);
	want.data = read_all(want_path, &want_n);
	int rc = 0;
	if (ir_type_bytes(&got.type, &bytes) < 0 || got.data == NULL || got_n != bytes)
		rc = failf(t, "%soutput %d: the harness wrote %lld bytes, expected %lld", where, k,
			   (long long)got_n, (long long)bytes);
	else if (want.data == NULL)
		rc = failf(t, "compiled mode: cannot read '%s'", want_path);
	else
		rc = compare(t, where, k, &got, &want, tol);
	free(got.data);
	free(want.data);
	return rc;
}

/* The final status of test j from its entries' verdicts and outputs. */
static void judge(cm_run_state *R, int j)
{
	test *t = &R->tests[j];
	const struct cm_test *cm = &R->cms[j];
	if (t->status == PASS && cm->n_models == 0)
		failf(t, "compiled mode: nothing was compiled");
	if (!in_batch(R, j))
		return;
	tolerance tol = read_tolerance(t->dir);
	for (int i = 0; i < cm->n_entries; i++) {
		const cm_entry *e = &cm->entries[i];
		if (!e->reported) {
			failf(t, "%scompiled: the harness reported nothing", e->where);
			return;
		}
		if (e->fail) {
			failf(t, "%scompiled run: %s", e->where, e->fail);
			return;
		}
		for (int k = 0; R->tg->cc && k < e->n_out; k++)
			if (compare_output(R, j, e, k, tol) < 0)
				return;
	}
}

/* ---- scheduling ---------------------------------------------------------------- */

static pid_t spawn(cm_run_state *R, int test_index, int batch_index)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		if (test_index >= 0)
			test_child(R, test_index);
		batch_child(R, batch_index);
	}
	if (pid < 0)
		return fprintf(stderr, "condense-conformance: fork: %s\n", strerror(errno)), -1;
	R->jobs[R->n_jobs++] = (job){pid, test_index, batch_index};
	return pid;
}

/* Close batches over the finished tests at the front, of about --batch
** models each; the last one when every test is done. */
static void form_batches(cm_run_state *R)
{
	while (R->placed < R->n && R->cms[R->placed].done) {
		int j = R->placed++;
		R->open_models += in_batch(R, j) ? R->cms[j].n_models : 0;
		if (R->open_models >= R->o->batch || R->placed == R->n) {
			R->batches[R->n_batches++] = (batch){R->open_first, R->placed, R->open_models};
			R->open_first = R->placed;
			R->open_models = 0;
		}
	}
}

static void test_done(cm_run_state *R, int j, int st)
{
	test *t = &R->tests[j];
	char text[200];
	R->cms[j].done = true;
	if (exited_ok(st) && read_record(R, j) == 0)
		return;
	status_text(st, TEST_TIMEOUT, text, sizeof text);
	R->cms[j].n_models = R->cms[j].n_entries = 0;
	failf(t, "compiled mode: interpreting or compiling %s", text);
}

static void batch_done(cm_run_state *R, int bi, int st)
{
	char text[200];
	read_verdicts(R, bi);
	if (exited_ok(st))
		return;
	status_text(st, 0, text, sizeof text);
	fprintf(stderr, "condense-conformance: batch %d %s\n", bi, text);
}

/* Wait for one child and account for it. */
static void reap(cm_run_state *R)
{
	int st = 0;
	pid_t pid;
	while ((pid = waitpid(-1, &st, 0)) < 0)
		if (errno != EINTR)
			return;
	for (int i = 0; i < R->n_jobs; i++) {
		if (R->jobs[i].pid != pid)
			continue;
		job jb = R->jobs[i];
		R->jobs[i] = R->jobs[--R->n_jobs];
		if (jb.test >= 0)
			test_done(R, jb.test, st);
		else
			batch_done(R, jb.batch, st);
		return;
	}
}

static void schedule(cm_run_state *R)
{
	int next_test = 0, next_batch = 0;
	for (;;) {
		form_batches(R);
		while (R->n_jobs < R->max_jobs && (next_batch < R->n_batches || next_test < R->n)) {
			if (next_batch < R->n_batches)
				spawn(R, -1, next_batch++);
			else if (spawn(R, next_test, -1) < 0)
				test_done(R, next_test++, -1);
			else
				next_test++;
		}
		if (R->n_jobs == 0)
			break;
		reap(R);
	}
}

/* ---- setup ----------------------------------------------------------------------- */

/* The harness compiled once for the target: TMP/harness.o. */
static int build_harness(const cm_run_state *R)
{
	char inc[TMP_PATH_MAX + 20], src[TMP_PATH_MAX + 40], text[200], last[600];
	snprintf(inc, sizeof inc, "-I%s/runtime", R->o->src_dir);
	snprintf(src, sizeof src, "%s/test/onnx/harness.c", R->o->src_dir);
	const char *argv[] = {R->tg->cc, "-std=c11", "-O2", "-Wall", inc, "-c", src, "-o", "harness.o", NULL};
	int st = run_cmd(argv, R->tmp, "harness.txt", "harness.txt", R->o->verbose);
	if (exited_ok(st))
		return 0;
	char path[TMP_PATH_MAX + 20];
	snprintf(path, sizeof path, "%s/harness.txt", R->tmp);
	status_text(st, 0, text, sizeof text);
	last_line(path, last, sizeof last);
	fprintf(stderr, "condense-conformance: compiling %s with %s: %s%s%s\n", src, R->tg->cc, text,
		last[0] ? ": " : "", last);
	return -1;
}

/* The emulator must start: a missing qemu would fail every test. */
static int check_emulator(const cm_run_state *R)
{
	if (R->tg->emu[0] == NULL)
		return 0;
	const char *argv[] = {R->tg->emu[0], "--version", NULL};
	int st = run_cmd(argv, NULL, NULL, NULL, R->o->verbose);
	if (exited_ok(st))
		return 0;
	fprintf(stderr, "condense-conformance: cannot run %s (install qemu-user)\n", R->tg->emu[0]);
	return -1;
}

static int make_temp(cm_run_state *R)
{
	const char *base = getenv("TMPDIR");
	snprintf(R->tmp, sizeof R->tmp, "%s/condense-conformance-XXXXXX", base && base[0] == '/' ? base : "/tmp");
	if (mkdtemp(R->tmp) != NULL)
		return 0;
	fprintf(stderr, "condense-conformance: cannot create a temporary directory in %s: %s\n",
		base ? base : "/tmp", strerror(errno));
	return -1;
}

static void remove_temp(const cm_run_state *R)
{
	if (R->o->keep_temp) {
		fprintf(stderr, "condense-conformance: temporary files kept in %s\n", R->tmp);
		return;
	}
	const char *argv[] = {"rm", "-rf", R->tmp, NULL};
	run_cmd(argv, NULL, NULL, NULL, false);
}

static void free_state(cm_run_state *R)
{
	for (int j = 0; j < R->n; j++) {
		for (int i = 0; i < R->cms[j].n_entries; i++) {
			free(R->cms[j].entries[i].types);
			free(R->cms[j].entries[i].fail);
		}
		free(R->cms[j].entries);
		free(R->cms[j].model_set);
	}
	free(R->cms);
	free(R->batches);
	free(R->jobs);
}

int cm_run(const options *o, test *tests, int n)
{
	cm_run_state R = {.o = o, .tests = tests, .n = n};
	for (int i = 0; i < N_TARGETS; i++)
		if (strcmp(targets[i].name, o->compiled) == 0)
			R.tg = &targets[i];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	R.max_jobs = o->jobs > 0 ? o->jobs : cpus > 0 ? (int)cpus : 1;
	if (R.tg == NULL || make_temp(&R) < 0)
		return -1;
	if (check_emulator(&R) < 0 || (R.tg->cc && build_harness(&R) < 0)) {
		remove_temp(&R);
		return -1;
	}
	R.cms = xrealloc(NULL, (size_t)n * sizeof *R.cms);
	memset(R.cms, 0, (size_t)n * sizeof *R.cms);
	R.batches = xrealloc(NULL, (size_t)(n + 1) * sizeof *R.batches);
	R.jobs = xrealloc(NULL, (size_t)R.max_jobs * sizeof *R.jobs);
	schedule(&R);
	for (int j = 0; j < n; j++)
		judge(&R, j);
	free_state(&R);
	remove_temp(&R);
	return 0;
}
