/*
** main.c - the digits CNN as an application links it.
**
**   cc main.c ../../runtime/npy.c digits.o -I. -I../.. -o digits
**   ./digits test_x.npy test_y.npy [REPEATS]
**
** digits.o and digits.h come from
**   condense compile digits.onnx -o digits.o --header digits.h
** The model needs no runtime library and no heap: the scratch arena below
** is a static array of exactly DIGITS_SCRATCH_SIZE bytes.  The program
** classifies every image, prints the accuracy and the mean latency per
** image (over REPEATS passes, default 20), and exits 1 when the model
** returns an error.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digits.h"
#include "runtime/npy.h"

/* At least one byte, so the array is valid C when the model needs none. */
static _Alignas(DIGITS_SCRATCH_ALIGN) unsigned char scratch[DIGITS_SCRATCH_SIZE + 1];

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int argmax(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static int load(const char *path, npy_array *a, npy_dtype dt)
{
	char err[256];
	if (npy_read(path, a, err, sizeof err) < 0) {
		fprintf(stderr, "digits: %s: %s\n", path, err);
		return -1;
	}
	if (a->dtype != dt) {
		fprintf(stderr, "digits: %s: unexpected element type\n", path);
		return -1;
	}
	return 0;
}

/* Classify all n images; returns the number correct, -1 on a model error. */
static int classify(const float *x, const int64_t *y, int n)
{
	int correct = 0;
	for (int i = 0; i < n; i++) {
		float logits[DIGITS_LOGITS_COUNT];
		int rc = digits_run(x + (size_t)i * DIGITS_INPUT_COUNT, logits, scratch);
		if (rc != CONDENSE_OK) {
			fprintf(stderr, "digits: digits_run returned %d\n", rc);
			return -1;
		}
		correct += argmax(logits, DIGITS_LOGITS_COUNT) == y[i];
	}
	return correct;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s test_x.npy test_y.npy [REPEATS]\n", argv[0]);
		return 2;
	}
	int repeats = argc > 3 ? atoi(argv[3]) : 20;
	npy_array x, y;
	if (load(argv[1], &x, NPY_F32) < 0 || load(argv[2], &y, NPY_I64) < 0)
		return 1;
	int n = (int)y.dims[0];
	if (npy_numel(&x) != (int64_t)n * DIGITS_INPUT_COUNT) {
		fprintf(stderr, "digits: %s does not hold %d images of %d pixels\n", argv[1], n,
			DIGITS_INPUT_COUNT);
		return 1;
	}
	int correct = classify(x.data, y.data, n);
	if (correct < 0)
		return 1;
	double t0 = now_seconds();
	for (int r = 0; r < repeats; r++)
		if (classify(x.data, y.data, n) != correct)
			return fprintf(stderr, "digits: results changed between runs\n"), 1;
	double per_image = (now_seconds() - t0) / ((double)repeats * n);
	printf("accuracy: %d/%d (%.2f%%)\n", correct, n, 100.0 * correct / n);
	printf("scratch: %d bytes (static array, no heap)\n", DIGITS_SCRATCH_SIZE);
	printf("latency: %.2f us per image (mean over %d x %d runs)\n", per_image * 1e6, repeats, n);
	npy_free(&x);
	npy_free(&y);
	return 0;
}
