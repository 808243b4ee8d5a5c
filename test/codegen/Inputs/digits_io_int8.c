/*
** digits_io_int8.c - the digits model compiled with --io int8: the
** application quantizes each image itself with the header's scale and
** zero point (as QuantizeLinear does: x / scale in f32, rounded half to
** even, plus the zero point, saturated) and reads int8 logits, whose
** argmax is the class (dequantizing is increasing).
**
**   digits_io_int8 test_x.npy test_y.npy   prints "accuracy: N/M (P%)"
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "digits.h"
#include "runtime/npy.h"

static int8_t quantize(float x)
{
	float q = nearbyintf(x / DIGITS_INPUT_SCALE) + (float)DIGITS_INPUT_ZERO_POINT;
	return (int8_t)(q < -128.0f ? -128.0f : q > 127.0f ? 127.0f : q);
}

int main(int argc, char **argv)
{
	static unsigned char scratch[DIGITS_SCRATCH_SIZE] __attribute__((aligned(64)));
	npy_array x, y;
	char err[256];
	if (argc != 3 || npy_read(argv[1], &x, err, sizeof err) < 0 || npy_read(argv[2], &y, err, sizeof err) < 0 ||
	    x.dtype != NPY_F32 || y.dtype != NPY_I64 || npy_numel(&x) != npy_numel(&y) * DIGITS_INPUT_COUNT)
		return fprintf(stderr, "usage: %s test_x.npy test_y.npy (f32 images, i64 labels)\n", argv[0]), 2;
	const float *xs = x.data;
	const int64_t *ys = y.data;
	int64_t ok = 0, n = npy_numel(&y);
	for (int64_t i = 0; i < n; i++) {
		int8_t in[DIGITS_INPUT_COUNT], logits[DIGITS_LOGITS_COUNT];
		for (int j = 0; j < DIGITS_INPUT_COUNT; j++)
			in[j] = quantize(xs[i * DIGITS_INPUT_COUNT + j]);
		if (digits_run(in, logits, scratch) != 0)
			return fprintf(stderr, "digits_run failed\n"), 1;
		int best = 0;
		for (int c = 1; c < DIGITS_LOGITS_COUNT; c++)
			best = logits[c] > logits[best] ? c : best;
		ok += best == ys[i];
	}
	printf("accuracy: %lld/%lld (%.2f%%)\n", (long long)ok, (long long)n, 100.0 * (double)ok / (double)n);
	npy_free(&x);
	npy_free(&y);
	return 0;
}
