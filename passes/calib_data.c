/*
** calib_data.c - calibration samples from .npy files (layouts in
** calibrate.h).
**
** DATA is organized as groups: a group names one file per graph input, and
** all its files hold the same number of samples.  A single .npy file is one
** group; a directory for a one-input model gives a group per file; a
** directory of per-input files is one group; a directory of subdirectories
** gives a group per subdirectory.  Samples are the groups' samples in order.
**
** Opening reads every file once to check it (so a bad file 900 samples in
** is reported before any model run), keeping only the last group; running
** loads one group at a time, so memory is the largest group, not the data
** set (a single .npy file is one group and is held whole).
*/
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ir/util.h"
#include "passes/calibrate.h"
#include "runtime/npy.h"

typedef struct cd_group {
	const char *where;      /* the file or directory, for diagnostics */
	const char **files;     /* [n_inputs] */
	int64_t first, count;   /* its samples */
} cd_group;

struct calib_data {
	ir_graph *g;
	cd_group *groups;
	int32_t n_groups, cap_groups;
	int64_t n;              /* samples used */
	int32_t cur;            /* the loaded group, -1 for none */
	npy_array *arr;         /* [n_inputs]: its files' contents */
};

static const ir_dtype npy_to_ir[NPY_NDTYPES] = {
	[NPY_F32] = IR_F32, [NPY_F16] = IR_F16, [NPY_I8] = IR_I8, [NPY_U8] = IR_U8,
	[NPY_I16] = IR_I16, [NPY_I32] = IR_I32, [NPY_I64] = IR_I64, [NPY_BOOL] = IR_BOOL,
};

static const char *input_name(const ir_graph *g, uint32_t i)
{
	const char *n = g->vals[g->inputs[i]].name;
	return n ? n : "";
}

__attribute__((format(printf, 3, 4)))
static int cd_error(calib_data *d, const char *where, const char *fmt, ...)
{
	char msg[1500];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ir_error(d->g->ctx, (ir_loc){where, 0, 0}, "%s", msg);
}

/* ---- one file -------------------------------------------------------------- */

/* Samples of input type t that shape (rank, dims) holds (calibrate.h), or -1. */
static int64_t samples_in(const ir_type *t, int rank, const int64_t *dims)
{
	if (rank == t->rank && memcmp(dims, t->dims, sizeof(int64_t) * (size_t)rank) == 0)
		return 1;
	if (rank == t->rank + 1 && memcmp(dims + 1, t->dims, sizeof(int64_t) * (size_t)t->rank) == 0)
		return dims[0];
	if (t->rank >= 1 && t->dims[0] == 1 && rank == t->rank &&
	    memcmp(dims + 1, t->dims + 1, sizeof(int64_t) * (size_t)(rank - 1)) == 0)
		return dims[0];
	return -1;
}

/* "f32[N,d_from,...]" into buf: t's shape from dim `from` on, after N. */
static void stacked(const ir_type *t, int from, char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "%s[N", ir_dtype_name(t->dtype));
	for (int k = from; k < t->rank && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, ",%lld", (long long)t->dims[k]);
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

static int shape_error(calib_data *d, const char *file, uint32_t i, const npy_array *a)
{
	const ir_type *t = ir_type_of(d->g, d->g->inputs[i]);
	ir_type have = {.dtype = t->dtype, .rank = a->rank};
	char hs[300], ws[300], s0[300], s1[300];
	bool batch1 = t->rank >= 1 && t->dims[0] == 1;
	memcpy(have.dims, a->dims, sizeof have.dims);
	ir_type_str(&have, hs, sizeof hs);
	ir_type_str(t, ws, sizeof ws);
	stacked(t, 0, s0, sizeof s0);
	stacked(t, 1, s1, sizeof s1);
	return cd_error(d, file, "holds %s; input '%s' takes one sample as %s or N samples as %s%s%s", hs,
			input_name(d->g, i), ws, s0, batch1 ? " or " : "", batch1 ? s1 : "");
}

/* Read file as data for input i into *a: its sample count, or -1. */
static int64_t read_input_file(calib_data *d, const char *file, uint32_t i, npy_array *a)
{
	const ir_type *t = ir_type_of(d->g, d->g->inputs[i]);
	char err[300], ws[300];
	if (npy_read(file, a, err, sizeof err) < 0)
		return cd_error(d, file, "cannot read calibration data: %s", err);
	ir_type_str(t, ws, sizeof ws);
	if (npy_to_ir[a->dtype] != t->dtype)
		return cd_error(d, file, "holds %s data; input '%s' is %s", ir_dtype_name(npy_to_ir[a->dtype]),
				input_name(d->g, i), ws);
	int64_t k = samples_in(t, a->rank, a->dims);
	return k < 0 ? shape_error(d, file, i, a) : k;
}

/* ---- groups -------------------------------------------------------------------- */

static void release(calib_data *d)
{
	for (uint32_t i = 0; i < d->g->n_inputs; i++)
		npy_free(&d->arr[i]);
	d->cur = -1;
}

/* Load group gi (releasing the loaded one): its sample count, or -1. */
static int64_t load_group(calib_data *d, int32_t gi)
{
	cd_group *gr = &d->groups[gi];
	int64_t count = -1;
	release(d);
	for (uint32_t i = 0; i < d->g->n_inputs; i++) {
		int64_t k = read_input_file(d, gr->files[i], i, &d->arr[i]);
		if (k < 0)
			return release(d), -1;
		if (i > 0 && k != count)
			return release(d), cd_error(d, gr->files[i], "holds %lld samples, but '%s' holds %lld",
						   (long long)k, gr->files[0], (long long)count);
		count = k;
	}
	d->cur = gi;
	return count;
}

static cd_group *add_group(calib_data *d, const char *where)
{
	ir_ctx *c = d->g->ctx;
	if (d->n_groups == d->cap_groups) {
		int32_t cap = d->cap_groups ? 2 * d->cap_groups : 16;
		cd_group *ng = ir_alloc_array(c, (size_t)cap, sizeof *ng);
		if (d->n_groups)
			memcpy(ng, d->groups, sizeof *ng * (size_t)d->n_groups);
		d->groups = ng, d->cap_groups = cap;
	}
	cd_group *gr = &d->groups[d->n_groups++];
	gr->where = where;
	gr->files = ir_alloc_array(c, d->g->n_inputs, sizeof *gr->files);
	return gr;
}

/* ---- directories ------------------------------------------------------------------ */

typedef struct listing {
	char **names;           /* sorted; no "." entries */
	bool *is_dir;
	int32_t n;
} listing;

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(ir_ctx *c, const char *dir, const char *name)
{
	size_t n = strlen(dir), m = strlen(name);
	char *p = ir_alloc(c, n + m + 2);
	memcpy(p, dir, n);
	p[n] = '/';
	memcpy(p + n + 1, name, m);
	return p;
}

static int list_dir(calib_data *d, const char *dir, listing *l)
{
	ir_ctx *c = d->g->ctx;
	DIR *h = opendir(dir);
	int32_t cap = 0;
	struct dirent *e;
	if (!h)
		return cd_error(d, dir, "cannot open calibration directory: %s", strerror(errno));
	*l = (listing){0};
	while ((e = readdir(h)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (l->n == cap) {
			char **nn = ir_alloc_array(c, (size_t)(cap = cap ? 2 * cap : 64), sizeof *nn);
			if (l->n)
				memcpy(nn, l->names, sizeof *nn * (size_t)l->n);
			l->names = nn;
		}
		l->names[l->n++] = ir_strdup(c, e->d_name);
	}
	closedir(h);
	if (l->n)
		qsort(l->names, (size_t)l->n, sizeof *l->names, cmp_name);
	l->is_dir = ir_alloc_array(c, (size_t)l->n + 1, sizeof *l->is_dir);
	for (int32_t k = 0; k < l->n; k++) {
		struct stat st;
		l->is_dir[k] = stat(join(c, dir, l->names[k]), &st) == 0 && S_ISDIR(st.st_mode);
	}
	return 0;
}

static bool is_npy(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".npy") == 0;
}

/* Does file stem[0..n) name input name (exactly, or with bytes outside
** [A-Za-z0-9_.-] and a leading '.' as '_')? */
static bool names_input(const char *stem, size_t n, const char *name)
{
	if (strlen(name) != n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char ch = name[k];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '_' || ch == '-' || (ch == '.' && k > 0);
		if (stem[k] != ch && !(stem[k] == '_' && !ok))
			return false;
	}
	return true;
}

static int unknown_file(calib_data *d, const char *file, const char *name)
{
	char list[1000] = "";
	size_t len = 0;
	for (uint32_t i = 0; i < d->g->n_inputs && len < sizeof list - 1; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "",
					input_name(d->g, i));
	return cd_error(d, file, "'%.*s' is not an input of the model; its inputs are %s",
			(int)(strlen(name) - 4), name, list);
}

/* One group from dir's NAME.npy files, one per input. */
static int group_from_dir(calib_data *d, const char *dir)
{
	listing l;
	if (list_dir(d, dir, &l) < 0)
		return -1;
	cd_group *gr = add_group(d, dir);
	for (int32_t k = 0; k < l.n; k++) {
		if (l.is_dir[k] || !is_npy(l.names[k]))
			continue;
		const char *file = join(d->g->ctx, dir, l.names[k]);
		uint32_t i = 0;
		while (i < d->g->n_inputs && !names_input(l.names[k], strlen(l.names[k]) - 4, input_name(d->g, i)))
			i++;
		if (i == d->g->n_inputs)
			return unknown_file(d, file, l.names[k]);
		if (gr->files[i])
			return cd_error(d, file, "input '%s' has two files here ('%s' too)", input_name(d->g, i),
					gr->files[i]);
		gr->files[i] = file;
	}
	for (uint32_t i = 0; i < d->g->n_inputs; i++)
		if (!gr->files[i])
			return cd_error(d, dir, "no file for input '%s' (expected %s/%s.npy)", input_name(d->g, i),
					dir, input_name(d->g, i));
	return 0;
}

static int groups_from_dir(calib_data *d, const char *dir)
{
	listing l;
	int32_t n_dirs = 0, n_npy = 0;
	if (list_dir(d, dir, &l) < 0)
		return -1;
	for (int32_t k = 0; k < l.n; k++) {
		n_dirs += l.is_dir[k];
		n_npy += !l.is_dir[k] && is_npy(l.names[k]);
	}
	if (n_dirs && n_npy)
		return cd_error(d, dir, "holds both subdirectories and .npy files; use one layout");
	if (n_dirs == 0 && n_npy == 0)
		return cd_error(d, dir, "no calibration samples: no .npy files or sample subdirectories");
	if (n_dirs == 0 && d->g->n_inputs > 1)
		return group_from_dir(d, dir);
	for (int32_t k = 0; k < l.n; k++) {
		const char *p = join(d->g->ctx, dir, l.names[k]);
		if (l.is_dir[k] && group_from_dir(d, p) < 0)
			return -1;
		if (!l.is_dir[k] && is_npy(l.names[k]))
			add_group(d, p)->files[0] = p;
	}
	return 0;
}

static int groups_from_path(calib_data *d, const char *path)
{
	struct stat st;
	const ir_graph *g = d->g;
	if (g->n_inputs == 0)
		return cd_error(d, path, "the model has no inputs; there is nothing to calibrate");
	if (stat(path, &st) < 0)
		return cd_error(d, path, "cannot open calibration data: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return groups_from_dir(d, path);
	if (g->n_inputs > 1)
		return cd_error(d, path, "the model has %u inputs ('%s', '%s'%s); give a directory with one "
				"NAME.npy per input, or one subdirectory per sample", (unsigned)g->n_inputs,
				input_name(g, 0), input_name(g, 1), g->n_inputs > 2 ? ", ..." : "");
	add_group(d, path)->files[0] = path;
	return 0;
}

/* Read every group (up to max_samples samples) once: counts and checks. */
static int count_samples(calib_data *d, const char *path, int64_t max_samples)
{
	for (int32_t gi = 0; gi < d->n_groups; gi++) {
		int64_t k = load_group(d, gi);
		if (k < 0)
			return -1;
		d->groups[gi].first = d->n;
		d->groups[gi].count = k;
		d->n += k;
		if (max_samples > 0 && d->n >= max_samples) {
			d->groups[gi].count -= d->n - max_samples;
			d->n = max_samples;
			d->n_groups = gi + 1;
			break;
		}
	}
	if (d->n == 0)
		return cd_error(d, path, "no calibration samples: the data holds 0");
	return 0;
}

typedef struct open_call {
	const char *path;
	int64_t max_samples;
	calib_data *d;
} open_call;

static int open_protected(ir_ctx *c, void *ud)
{
	open_call *a = ud;
	calib_data *d = a->d;
	(void)c;
	if (groups_from_path(d, a->path) < 0)
		return -1;
	return count_samples(d, a->path, a->max_samples);
}

calib_data *calib_data_open(ir_graph *g, const char *path, int64_t max_samples)
{
	calib_data *d = calloc(1, sizeof *d);
	npy_array *arr = calloc(g->n_inputs + 1, sizeof *arr);
	if (!d || !arr) {
		free(d);
		free(arr);
		ir_error(g->ctx, (ir_loc){path, 0, 0}, "out of memory");
		return NULL;
	}
	d->g = g;
	d->cur = -1;
	d->arr = arr;
	open_call a = {path, max_samples, d};
	if (ir_protect(g->ctx, open_protected, &a) < 0) {
		calib_data_close(d);
		return NULL;
	}
	return d;
}

int64_t calib_data_count(const calib_data *d)
{
	return d->n;
}

/* The group holding sample s. */
static int32_t group_of(const calib_data *d, int64_t s)
{
	int32_t lo = 0, hi = d->n_groups - 1;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo + 1) / 2;
		if (d->groups[mid].first <= s)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

const char *calib_data_source(const calib_data *d, int64_t s)
{
	return d->groups[group_of(d, s)].where;
}

int calib_data_get(calib_data *d, int64_t s, interp_tensor *in)
{
	int32_t lo = group_of(d, s);
	cd_group *gr = &d->groups[lo];
	if (d->cur != lo) {
		int64_t k = load_group(d, lo);
		if (k < 0)
			return -1;
		if (k < gr->count)
			return cd_error(d, gr->where, "changed while calibrating (now %lld samples)", (long long)k);
	}
	for (uint32_t i = 0; i < d->g->n_inputs; i++) {
		const ir_type *t = ir_type_of(d->g, d->g->inputs[i]);
		int64_t bytes = 0;
		ir_type_bytes(t, &bytes);
		in[i] = (interp_tensor){*t, (char *)d->arr[i].data + (s - gr->first) * bytes};
	}
	return 0;
}

void calib_data_close(calib_data *d)
{
	if (!d)
		return;
	release(d);
	free(d->arr);
	free(d);
}
