/*
** timing.c - the benchmark's timing harness for one object compiled by
** `condense compile`.
**
**   cc -O2 -std=c11 -I DIR -DMODEL_HEADER='"X.h"' -DMODEL_DESC=X_model \
**      bench/timing.c X.o -o timing-X
**   timing-X [--in FILE]... [--out FILE]... [--seconds S] [--warmup S]
**            [--min-iters N] [--max-iters N]
**
** Generic: it drives the model through its descriptor X_model
** (runtime/condense_model.h), so one source serves every model.  Each --in
** gives the raw bytes (native byte order, C order) of one graph input, in
** graph order; an input without a file is filled with a fixed pseudo-random
** pattern.  Each --out names a file that receives the raw bytes of one
** output after the last run.
**
** Built with -DCONDENSE_TYPED (and -DTYPED_RUN, TYPED_SCRATCH_SIZE,
** TYPED_SCRATCH_ALIGN, TYPED_IN_COUNT, TYPED_OUT_COUNT) it calls the typed
** entry `int X_run(const float *in, float *out, void *scratch)` instead,
** for headers without a descriptor (one f32 input, one f32 output).
**
** It calls run for --warmup seconds (at least 3 times), then times each of
** N further calls on its own with clock_gettime(CLOCK_MONOTONIC), N chosen
** so that they take about --seconds (within --min-iters..--max-iters), and
** prints "key value" lines: median_us, mean_us, min_us, max_us, cpu_us
** (the process's CPU time over the timed calls, CLOCK_PROCESS_CPUTIME_ID,
** divided by their number), iters, scratch_bytes.  Exit status 1 when run returns an error.  This measures;
** it asserts nothing about speed.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include MODEL_HEADER

#define MAX_TENSORS 64

static double clock_us(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

static double now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A buffer of n bytes aligned to align (a power of two), rounded up so
** aligned_alloc accepts it; at least one byte. */
static void *alloc_aligned(uint64_t n, uint64_t align)
{
	if (align < sizeof(void *))
		align = sizeof(void *);
	uint64_t size = (n + align - 1) / align * align;
	if (size == 0)
		size = align;
	void *p = aligned_alloc((size_t)align, (size_t)size);
	if (p)
		memset(p, 0, (size_t)size);
	return p;
}

static int read_file(const char *path, void *buf, uint64_t bytes)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "timing: cannot open '%s'\n", path);
		return -1;
	}
	size_t got = fread(buf, 1, (size_t)bytes, f);
	int extra = fgetc(f) != EOF;
	fclose(f);
	if (got != bytes || extra) {
		fprintf(stderr, "timing: '%s' does not hold exactly %llu bytes\n", path,
			(unsigned long long)bytes);
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const void *buf, uint64_t bytes)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, (size_t)bytes, f) != bytes) {
		fprintf(stderr, "timing: cannot write '%s'\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Floats in [-1, 1) from a fixed xorshift sequence: inputs without a file. */
static void fill_pattern(float *p, uint64_t count)
{
	uint32_t s = 2463534242u;
	for (uint64_t i = 0; i < count; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		p[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
	}
}

#ifdef CONDENSE_TYPED
static int run_once(void *const *in, void *const *out, void *scratch)
{
	return TYPED_RUN((const float *)in[0], (float *)out[0], scratch);
}
#define N_INPUTS 1
#define N_OUTPUTS 1
#define IN_BYTES(i) ((uint64_t)(TYPED_IN_COUNT) * sizeof(float))
#define OUT_BYTES(i) ((uint64_t)(TYPED_OUT_COUNT) * sizeof(float))
#define IN_IS_F32(i) 1
#define SCRATCH_SIZE ((uint64_t)(TYPED_SCRATCH_SIZE))
#define SCRATCH_ALIGN ((uint64_t)(TYPED_SCRATCH_ALIGN))
#define IO_ALIGN(i) ((uint64_t)64)
#else
static int run_once(void *const *in, void *const *out, void *scratch)
{
	return MODEL_DESC.run((const void *const *)in, out, scratch);
}
#define N_INPUTS (MODEL_DESC.n_inputs)
#define N_OUTPUTS (MODEL_DESC.n_outputs)
#define IN_BYTES(i) ((uint64_t)MODEL_DESC.inputs[i].bytes)
#define OUT_BYTES(i) ((uint64_t)MODEL_DESC.outputs[i].bytes)
#define IN_IS_F32(i) (MODEL_DESC.inputs[i].dtype == CONDENSE_F32)
#define SCRATCH_SIZE (MODEL_DESC.scratch_size)
#define SCRATCH_ALIGN (MODEL_DESC.scratch_align)
#define IO_ALIGN(i) ((uint64_t)64)
#endif

static void usage(void)
{
	fprintf(stderr, "usage: timing [--in FILE]... [--out FILE]... [--seconds S] [--warmup S]\n"
			"              [--min-iters N] [--max-iters N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *in_path[MAX_TENSORS] = {0}, *out_path[MAX_TENSORS] = {0};
	int n_in_path = 0, n_out_path = 0;
	double seconds = 1.0, warmup = 0.2;
	long min_iters = 10, max_iters = 100000;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--in") && n_in_path < MAX_TENSORS)
			in_path[n_in_path++] = v;
		else if (!strcmp(a, "--out") && n_out_path < MAX_TENSORS)
			out_path[n_out_path++] = v;
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--warmup"))
			warmup = atof(v);
		else if (!strcmp(a, "--min-iters"))
			min_iters = atol(v);
		else if (!strcmp(a, "--max-iters"))
			max_iters = atol(v);
		else
			usage();
	}
	if (min_iters < 1)
		min_iters = 1;
	if (max_iters < min_iters)
		max_iters = min_iters;

	int n_in = N_INPUTS, n_out = N_OUTPUTS;
	if (n_in > MAX_TENSORS || n_out > MAX_TENSORS || n_in_path > n_in || n_out_path > n_out) {
		fprintf(stderr, "timing: the model has %d inputs and %d outputs; %d --in, %d --out given\n",
			n_in, n_out, n_in_path, n_out_path);
		return 2;
	}

	void *in[MAX_TENSORS], *out[MAX_TENSORS];
	for (int i = 0; i < n_in; i++) {
		if (!(in[i] = alloc_aligned(IN_BYTES(i), IO_ALIGN(i))))
			return fprintf(stderr, "timing: out of memory\n"), 1;
		if (in_path[i]) {
			if (read_file(in_path[i], in[i], IN_BYTES(i)) < 0)
				return 1;
		} else if (IN_IS_F32(i)) {
			fill_pattern(in[i], IN_BYTES(i) / sizeof(float));
		}
	}
	for (int i = 0; i < n_out; i++)
		if (!(out[i] = alloc_aligned(OUT_BYTES(i), IO_ALIGN(i))))
			return fprintf(stderr, "timing: out of memory\n"), 1;
	void *scratch = NULL;
	if (SCRATCH_SIZE > 0 && !(scratch = alloc_aligned(SCRATCH_SIZE, SCRATCH_ALIGN)))
		return fprintf(stderr, "timing: out of memory\n"), 1;

	/* Warm-up: at least 3 calls and at least `warmup` seconds. */
	double t0 = now_us(), t_end = t0 + warmup * 1e6;
	long warm = 0;
	do {
		int rc = run_once(in, out, scratch);
		if (rc != 0)
			return fprintf(stderr, "timing: run returned %d\n", rc), 1;
		warm++;
	} while (warm < 3 || now_us() < t_end);
	double per_call = (now_us() - t0) / (double)warm;

	long n = per_call > 0 ? (long)(seconds * 1e6 / per_call) : max_iters;
	if (n < min_iters)
		n = min_iters;
	if (n > max_iters)
		n = max_iters;
	double *t = malloc((size_t)n * sizeof *t);
	if (!t)
		return fprintf(stderr, "timing: out of memory\n"), 1;
	double cpu0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	for (long k = 0; k < n; k++) {
		double a = now_us();
		int rc = run_once(in, out, scratch);
		double b = now_us();
		if (rc != 0)
			return fprintf(stderr, "timing: run returned %d\n", rc), 1;
		t[k] = b - a;
	}

	double cpu_us = (clock_us(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / (double)n;
	double sum = 0;
	for (long k = 0; k < n; k++)
		sum += t[k];
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	double median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
	printf("median_us %.3f\n", median);
	printf("mean_us %.3f\n", sum / (double)n);
	printf("min_us %.3f\n", t[0]);
	printf("max_us %.3f\n", t[n - 1]);
	printf("cpu_us %.3f\n", cpu_us);
	printf("iters %ld\n", n);
	printf("scratch_bytes %llu\n", (unsigned long long)SCRATCH_SIZE);

	for (int i = 0; i < n_out_path; i++)
		if (write_file(out_path[i], out[i], OUT_BYTES(i)) < 0)
			return 1;
	free(t);
	return 0;
}
