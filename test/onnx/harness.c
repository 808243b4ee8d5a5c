/*
** harness.c - a generic driver of compiled models, for the compiled mode of
** condense-conformance (test/onnx/compiled.c builds it for the target).
**
**   run MANIFEST [FIRST [TIMEOUT]]
**
** It is linked with objects `condense compile` made and a generated table
**     const condense_model *const harness_models[] = {&t0001_model, ..., 0};
** and runs the entries of MANIFEST from line FIRST (0-based) on.  A line is
**     ID MODEL N_IN N_OUT TENSOR...
** with N_IN + N_OUT tensors "PATH DTYPE RANK DIM...": the raw bytes of an
** input are read from its PATH, an output's are written to its PATH.  For
** each entry it prints "ID ok" or "ID fail REASON" and flushes, so that the
** runner knows which entry was running when the process died.
**
** Beyond run returning CONDENSE_OK, it checks:
**   - the descriptor against the manifest: ABI version, tensor counts,
**     dtypes, shapes, element counts and bytes;
**   - guard bytes around every buffer (inputs, outputs, scratch): a write
**     outside the outputs and scratch fails, so does a change to an input;
**   - outputs and scratch hold garbage before each run, and the model runs
**     twice with different garbage: both runs must give the same bytes (an
**     output element left unwritten, a read of scratch before writing it
**     or state kept between runs shows as a difference);
**   - the second run passes scratch NULL when scratch_size is 0, as
**     runtime/condense_model.h allows.
** Each entry runs under alarm(TIMEOUT) (default 60 s): SIGALRM ends the
** process.  Exit status 0 when every line was handled; 2 on a usage or
** manifest error.
**
** For the runner's own tests, CONDENSE_HARNESS_FAULT=ID=segv (or =hang)
** makes the entry ID crash (or hang) instead of running.
*/
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "condense_model.h"

extern const condense_model *const harness_models[];

#define GUARD 64                /* bytes of guard on each side of a buffer */
#define GUARD_BYTE 0xCD
#define MAX_RANK 8
#define MAX_TENSORS 8192
#define REASON_MAX 600

/* Garbage for outputs and scratch before run 1 and run 2: all-ones is a
** NaN in f32 and f16, the second is large or NaN. */
static const unsigned char out_fill[2] = {0xFF, 0x7F};
static const unsigned char scratch_fill[2] = {0xA5, 0x5A};

typedef struct buf {
	unsigned char *mem;     /* [guard][n bytes at p][guard] */
	unsigned char *p;
	size_t n, guard;
} buf;

typedef struct spec {
	const char *path;
	int dtype, rank;
	int64_t dims[MAX_RANK];
} spec;

typedef struct entry {
	const char *id;
	const condense_model *m;
	int model, n_in, n_out;
	spec *t;                /* n_in inputs, then n_out outputs */
	buf *bufs;              /* the same order, then scratch */
	unsigned char **keep;   /* inputs: their bytes; outputs: run 1's */
	char reason[REASON_MAX];
} entry;

__attribute__((format(printf, 2, 3)))
static int fail(entry *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- buffers ---------------------------------------------------------------- */

static int buf_new(buf *b, size_t n, size_t align)
{
	void *mem = NULL;
	b->guard = align > GUARD ? align : GUARD;
	b->n = n;
	if (posix_memalign(&mem, b->guard, 2 * b->guard + n) != 0)
		return -1;
	b->mem = mem;
	b->p = b->mem + b->guard;
	memset(b->mem, GUARD_BYTE, b->guard);
	memset(b->p + n, GUARD_BYTE, b->guard);
	return 0;
}

/* "before the start" or "past the end" when a guard changed, else NULL. */
static const char *buf_damage(const buf *b)
{
	for (size_t i = 0; i < b->guard; i++)
		if (b->mem[i] != GUARD_BYTE)
			return "before the start";
	for (size_t i = 0; i < b->guard; i++)
		if (b->p[b->n + i] != GUARD_BYTE)
			return "past the end";
	return NULL;
}

/* ---- the manifest and the descriptor ------------------------------------- */

static bool parse_int(char **save, long long lo, long long hi, long long *v)
{
	char *tok = strtok_r(NULL, " \t\n", save), *end;
	if (tok == NULL)
		return false;
	*v = strtoll(tok, &end, 10);
	return *end == '\0' && *v >= lo && *v <= hi;
}

static int parse_spec(entry *e, char **save, spec *s)
{
	long long v;
	s->path = strtok_r(NULL, " \t\n", save);
	if (s->path == NULL || !parse_int(save, 0, 64, &v))
		return fail(e, "a tensor needs PATH DTYPE RANK DIM...");
	s->dtype = (int)v;
	if (!parse_int(save, 0, MAX_RANK, &v))
		return fail(e, "bad rank");
	s->rank = (int)v;
	for (int d = 0; d < s->rank; d++)
		if (!parse_int(save, 0, INT64_MAX, &v))
			return fail(e, "bad dimension");
		else
			s->dims[d] = v;
	return 0;
}

/* Fill e from a manifest line (which it keeps pointers into). */
static int parse_line(entry *e, char *line)
{
	char *save = NULL;
	long long model, n_in, n_out;
	e->id = strtok_r(line, " \t\n", &save);
	if (e->id == NULL || !parse_int(&save, -1, INT32_MAX, &model) ||
	    !parse_int(&save, 0, MAX_TENSORS / 2, &n_in) || !parse_int(&save, 0, MAX_TENSORS / 2, &n_out))
		return fail(e, "expected ID MODEL N_IN N_OUT");
	e->model = (int)model;
	e->n_in = (int)n_in;
	e->n_out = (int)n_out;
	e->t = calloc((size_t)(n_in + n_out) + 1, sizeof *e->t);
	e->bufs = calloc((size_t)(n_in + n_out) + 1, sizeof *e->bufs);
	e->keep = calloc((size_t)(n_in + n_out) + 1, sizeof *e->keep);
	if (e->t == NULL || e->bufs == NULL || e->keep == NULL)
		return fail(e, "out of memory");
	for (int k = 0; k < e->n_in + e->n_out; k++)
		if (parse_spec(e, &save, &e->t[k]) < 0)
			return -1;
	return strtok_r(NULL, " \t\n", &save) ? fail(e, "extra text after the tensors") : 0;
}

static void free_entry(entry *e)
{
	for (int k = 0; e->bufs && k <= e->n_in + e->n_out; k++)
		free(e->bufs[k].mem);
	for (int k = 0; e->keep && k < e->n_in + e->n_out; k++)
		free(e->keep[k]);
	free(e->t);
	free(e->bufs);
	free(e->keep);
}

/* Bytes of count elements of dtype; -1 for an unknown dtype. */
static int64_t dtype_bytes(int dtype, int64_t count)
{
	switch (dtype) {
	case CONDENSE_F32: case CONDENSE_I32: return 4 * count;
	case CONDENSE_F16: case CONDENSE_I16: return 2 * count;
	case CONDENSE_I8: case CONDENSE_U8: case CONDENSE_BOOL: return count;
	case CONDENSE_I64: return 8 * count;
	case CONDENSE_I4: return (count + 1) / 2;
	default: return -1;
	}
}

static int check_tensor(entry *e, const char *kind, int k, const condense_tensor *d, const spec *s)
{
	int64_t count = 1;
	if (d->dtype != s->dtype || d->rank != s->rank)
		return fail(e, "descriptor %s %d: dtype %d rank %d, the graph has dtype %d rank %d", kind, k,
			    (int)d->dtype, (int)d->rank, s->dtype, s->rank);
	for (int i = 0; i < s->rank; i++) {
		if (d->dims == NULL || d->dims[i] != s->dims[i])
			return fail(e, "descriptor %s %d: dimension %d differs from the graph's", kind, k, i);
		count *= s->dims[i];
	}
	if (d->count != count || d->bytes != dtype_bytes(s->dtype, count))
		return fail(e, "descriptor %s %d: count %lld bytes %lld, expected %lld and %lld", kind, k,
			    (long long)d->count, (long long)d->bytes, (long long)count,
			    (long long)dtype_bytes(s->dtype, count));
	return 0;
}

static int check_descriptor(entry *e, int n_models)
{
	if (e->model < 0 || e->model >= n_models)
		return fail(e, "no model %d in this executable", e->model);
	const condense_model *m = e->m = harness_models[e->model];
	if (m->abi_version != CONDENSE_ABI_VERSION)
		return fail(e, "descriptor ABI version %u, expected %d", (unsigned)m->abi_version,
			    CONDENSE_ABI_VERSION);
	if (m->n_inputs != e->n_in || m->n_outputs != e->n_out)
		return fail(e, "descriptor has %d inputs and %d outputs, the graph %d and %d", (int)m->n_inputs,
			    (int)m->n_outputs, e->n_in, e->n_out);
	if (m->run == NULL || m->scratch_align == 0 || (m->scratch_align & (m->scratch_align - 1)))
		return fail(e, "descriptor has no run function or a bad scratch_align %llu",
			    (unsigned long long)m->scratch_align);
	for (int k = 0; k < e->n_in; k++)
		if (check_tensor(e, "input", k, &m->inputs[k], &e->t[k]) < 0)
			return -1;
	for (int k = 0; k < e->n_out; k++)
		if (check_tensor(e, "output", k, &m->outputs[k], &e->t[e->n_in + k]) < 0)
			return -1;
	return 0;
}

/* ---- running ------------------------------------------------------------------- */

static int read_input(entry *e, int k)
{
	buf *b = &e->bufs[k];
	FILE *f = fopen(e->t[k].path, "rb");
	if (f == NULL)
		return fail(e, "cannot read '%s'", e->t[k].path);
	size_t got = b->n ? fread(b->p, 1, b->n, f) : 0;
	bool more = fgetc(f) != EOF;
	fclose(f);
	if (got != b->n || more)
		return fail(e, "input %d: '%s' does not hold %zu bytes", k, e->t[k].path, b->n);
	e->keep[k] = malloc(b->n + 1);
	if (e->keep[k] == NULL)
		return fail(e, "out of memory");
	memcpy(e->keep[k], b->p, b->n);
	return 0;
}

static int setup(entry *e)
{
	const condense_model *m = e->m;
	for (int k = 0; k < e->n_in + e->n_out; k++) {
		const condense_tensor *d = k < e->n_in ? &m->inputs[k] : &m->outputs[k - e->n_in];
		if (buf_new(&e->bufs[k], (size_t)d->bytes, GUARD) < 0)
			return fail(e, "out of memory");
		if (k < e->n_in && read_input(e, k) < 0)
			return -1;
	}
	if (buf_new(&e->bufs[e->n_in + e->n_out], (size_t)m->scratch_size, (size_t)m->scratch_align) < 0)
		return fail(e, "out of memory (scratch of %llu bytes)", (unsigned long long)m->scratch_size);
	return 0;
}

/* After a run: guards intact and inputs unchanged. */
static int check_buffers(entry *e, int run)
{
	const char *where;
	int n = e->n_in + e->n_out;
	for (int k = 0; k < n; k++) {
		bool in = k < e->n_in;
		if ((where = buf_damage(&e->bufs[k])) != NULL)
			return fail(e, "run %d wrote %s of %s %d", run + 1, where, in ? "input" : "output",
				    in ? k : k - e->n_in);
		if (in && memcmp(e->bufs[k].p, e->keep[k], e->bufs[k].n) != 0)
			return fail(e, "run %d changed input %d", run + 1, k);
	}
	if ((where = buf_damage(&e->bufs[n])) != NULL)
		return fail(e, "run %d wrote %s of scratch (%llu bytes)", run + 1, where,
			    (unsigned long long)e->m->scratch_size);
	return 0;
}

static int run_once(entry *e, int run, const void **ins, void **outs)
{
	buf *scratch = &e->bufs[e->n_in + e->n_out];
	for (int k = 0; k < e->n_out; k++)
		memset(e->bufs[e->n_in + k].p, out_fill[run], e->bufs[e->n_in + k].n);
	memset(scratch->p, scratch_fill[run], scratch->n);
	void *s = run == 1 && scratch->n == 0 ? NULL : scratch->p;
	int rc = e->m->run(ins, outs, s);
	if (rc != CONDENSE_OK)
		return fail(e, "run %d returned %d", run + 1, rc);
	return check_buffers(e, run);
}

/* Run 1's outputs kept, run 2's compared with them. */
static int same_outputs(entry *e, int run)
{
	for (int k = 0; k < e->n_out; k++) {
		const buf *b = &e->bufs[e->n_in + k];
		unsigned char **keep = &e->keep[e->n_in + k];
		if (run == 0) {
			if ((*keep = malloc(b->n + 1)) == NULL)
				return fail(e, "out of memory");
			memcpy(*keep, b->p, b->n);
			continue;
		}
		for (size_t i = 0; i < b->n; i++)
			if (b->p[i] != (*keep)[i])
				return fail(e, "output %d byte %zu differs between two runs (an element left "
					    "unwritten, a read of unset scratch, or state kept)", k, i);
	}
	return 0;
}

static int write_outputs(entry *e)
{
	for (int k = 0; k < e->n_out; k++) {
		const buf *b = &e->bufs[e->n_in + k];
		const char *path = e->t[e->n_in + k].path;
		FILE *f = fopen(path, "wb");
		bool ok = f && (b->n == 0 || fwrite(b->p, 1, b->n, f) == b->n);
		if ((f && fclose(f) != 0) || !ok)
			return fail(e, "cannot write '%s'", path);
	}
	return 0;
}

/* The fault CONDENSE_HARNESS_FAULT asks of entry id, if any. */
static void inject_fault(const char *id)
{
	const char *f = getenv("CONDENSE_HARNESS_FAULT");
	size_t n = strlen(id);
	if (f == NULL || strncmp(f, id, n) != 0 || f[n] != '=')
		return;
	if (strcmp(f + n + 1, "segv") == 0)
		raise(SIGSEGV);
	while (strcmp(f + n + 1, "hang") == 0)
		pause();
}

static int run_entry(entry *e, int n_models)
{
	inject_fault(e->id);
	if (check_descriptor(e, n_models) < 0 || setup(e) < 0)
		return -1;
	int n = e->n_in + e->n_out;
	const void **ins = calloc((size_t)n + 1, sizeof *ins);
	void **outs = calloc((size_t)n + 1, sizeof *outs);
	int rc = ins && outs ? 0 : fail(e, "out of memory");
	for (int k = 0; rc == 0 && k < e->n_in; k++)
		ins[k] = e->bufs[k].p;
	for (int k = 0; rc == 0 && k < e->n_out; k++)
		outs[k] = e->bufs[e->n_in + k].p;
	for (int run = 0; run < 2 && rc == 0; run++)
		rc = run_once(e, run, ins, outs) < 0 || same_outputs(e, run) < 0 ? -1 : 0;
	free(ins);
	free(outs);
	return rc == 0 ? write_outputs(e) : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4)
		return fputs("usage: run MANIFEST [FIRST [TIMEOUT]]\n", stderr), 2;
	long first = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	unsigned timeout = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 60;
	int n_models = 0;
	while (harness_models[n_models])
		n_models++;
	FILE *f = fopen(argv[1], "r");
	if (f == NULL)
		return fprintf(stderr, "harness: cannot read '%s'\n", argv[1]), 2;
	char *line = NULL;
	size_t cap = 0;
	for (long no = 0; getline(&line, &cap, f) > 0; no++) {
		entry e = {0};
		if (no < first)
			continue;
		if (parse_line(&e, line) < 0) {
			fprintf(stderr, "harness: %s line %ld: %s\n", argv[1], no + 1, e.reason);
			return 2;
		}
		alarm(timeout);
		int rc = run_entry(&e, n_models);
		alarm(0);
		if (rc == 0)
			printf("%s ok\n", e.id);
		else
			printf("%s fail %s\n", e.id, e.reason);
		fflush(stdout);
		free_entry(&e);
	}
	free(line);
	fclose(f);
	return 0;
}
