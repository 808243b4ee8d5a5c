/*
** npy_run.c - run compiled models on .npy files, several models in one
** executable.
**
**   cc -DMODELS='X(a) X(b)' npy_run.c runtime/npy.c a.o b.o -o npy_run
**   npy_run MODEL [--scratch-short N] IN.npy... -o DIR
**
** MODELS lists the prefixes of the linked objects (`condense compile
** --name P` defines P_model); MODEL picks one.  The inputs, in graph order,
** must match the descriptor's element types and counts.  Every output is
** written as DIR/NAME.npy with the descriptor's shape, NAME being the
** output's name with bytes outside [A-Za-z0-9_.-] replaced by '_'.
**
** Each buffer (input, output, scratch) is its own heap block of exactly the
** descriptor's size, so valgrind reports any access outside them.  As the
** negative control for that check, --scratch-short N allocates N bytes less
** scratch than the model declares.  Exit status: 0 success, 1 a model or
** I/O error, 2 a usage error.
*/
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/condense_model.h"
#include "runtime/npy.h"

#define X(p) extern const condense_model p##_model;
MODELS
#undef X

static const condense_model *const models[] = {
#define X(p) &p##_model,
	MODELS
#undef X
};

#define MAX_TENSORS 64

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "npy_run: %s: %s\n", what, detail);
	return 1;
}

static const condense_model *find_model(const char *name)
{
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

/* A heap copy of the .npy at path, checked against tensor t. */
static void *load_input(const char *path, const condense_tensor *t)
{
	npy_array a;
	char err[256];
	if (npy_read(path, &a, err, sizeof err) < 0)
		return fail(path, err), NULL;
	void *p = NULL;
	if ((int)a.dtype != t->dtype || npy_numel(&a) != t->count)
		fail(path, "element type or count differs from the model's input");
	else if ((p = malloc(t->bytes ? (size_t)t->bytes : 1)) != NULL)
		memcpy(p, a.data, (size_t)t->bytes);
	npy_free(&a);
	return p;
}

static int save_output(const char *dir, const condense_tensor *t, void *data)
{
	char name[256], path[4096], err[256];
	size_t n = 0;
	for (; t->name[n] && n + 1 < sizeof name; n++) {
		char c = t->name[n];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || c == '-' || (c == '.' && n > 0);
		name[n] = ok ? c : '_';
	}
	name[n] = '\0';
	snprintf(path, sizeof path, "%s/%s.npy", dir, name);
	npy_array a = {.dtype = (npy_dtype)t->dtype, .rank = t->rank, .data = data,
		       .nbytes = (size_t)t->bytes};
	for (int d = 0; d < t->rank && d < NPY_MAX_RANK; d++)
		a.dims[d] = t->dims[d];
	if (npy_write(path, &a, err, sizeof err) < 0)
		return fail(path, err);
	return 0;
}

static int run(const condense_model *m, char **in_paths, const char *dir, size_t short_by)
{
	const void *in[MAX_TENSORS];
	void *out[MAX_TENSORS], *scratch = NULL;
	if (m->n_inputs > MAX_TENSORS || m->n_outputs > MAX_TENSORS)
		return fail(m->name, "too many tensors");
	for (int i = 0; i < m->n_inputs; i++)
		if ((in[i] = load_input(in_paths[i], &m->inputs[i])) == NULL)
			return 1;
	for (int i = 0; i < m->n_outputs; i++)
		if ((out[i] = malloc(m->outputs[i].bytes ? (size_t)m->outputs[i].bytes : 1)) == NULL)
			return fail(m->name, "out of memory");
	size_t size = (size_t)m->scratch_size > short_by ? (size_t)m->scratch_size - short_by : 1;
	if (m->scratch_size && posix_memalign(&scratch, (size_t)m->scratch_align, size) != 0)
		return fail(m->name, "out of memory");
	int rc = m->run(in, out, scratch);
	if (rc != CONDENSE_OK)
		return fprintf(stderr, "npy_run: %s: run returned %d\n", m->name, rc), 1;
	for (int i = 0; i < m->n_outputs; i++)
		if (save_output(dir, &m->outputs[i], out[i]) != 0)
			return 1;
	for (int i = 0; i < m->n_inputs; i++)
		free((void *)in[i]);
	for (int i = 0; i < m->n_outputs; i++)
		free(out[i]);
	free(scratch);
	return 0;
}

int main(int argc, char **argv)
{
	const char *usage = "usage: npy_run MODEL [--scratch-short N] IN.npy... -o DIR\n";
	if (argc < 4 || strcmp(argv[argc - 2], "-o") != 0)
		return fputs(usage, stderr), 2;
	const condense_model *m = find_model(argv[1]);
	if (m == NULL)
		return fail(argv[1], "no such model linked in"), 2;
	int first = 2;
	size_t short_by = 0;
	if (strcmp(argv[first], "--scratch-short") == 0 && first + 1 < argc) {
		short_by = (size_t)strtoul(argv[first + 1], NULL, 10);
		first += 2;
	}
	if (argc - 2 - first != m->n_inputs)
		return fprintf(stderr, "npy_run: %s takes %d inputs\n", m->name, (int)m->n_inputs), 2;
	return run(m, argv + first, argv[argc - 1], short_by);
}
