/*
** harness_models.c - hand-written stand-ins for compiled models, each
** breaking one rule that test/onnx/harness.c checks (compiled-harness.test).
** Every model maps u8[16] to u8[16] with 32 bytes of scratch unless noted.
*/
#include <stddef.h>

#include "condense_model.h"

#define N 16

static const int64_t dims16[] = {N};
static const int64_t dims8[] = {N / 2};
static const condense_tensor t16 = {"x", CONDENSE_U8, 1, dims16, N, N, -1, 0, NULL, NULL};
static const condense_tensor t8 = {"y", CONDENSE_U8, 1, dims8, N / 2, N / 2, -1, 0, NULL, NULL};

typedef unsigned char u8;

/* out = in + 1, through scratch: what a correct model does. */
static int good(const void *const *in, void *const *out, void *scratch)
{
	const u8 *x = in[0];
	u8 *y = out[0], *s = scratch;
	for (int i = 0; i < N; i++)
		s[i] = (u8)(x[i] + 1);
	for (int i = 0; i < N; i++)
		y[i] = s[i];
	return CONDENSE_OK;
}

static int past_end(const void *const *in, void *const *out, void *scratch)
{
	good(in, out, scratch);
	((u8 *)out[0])[N] = 0;
	return CONDENSE_OK;
}

static int before_start(const void *const *in, void *const *out, void *scratch)
{
	good(in, out, scratch);
	((u8 *)out[0])[-1] = 0;
	return CONDENSE_OK;
}

static int scratch_past(const void *const *in, void *const *out, void *scratch)
{
	good(in, out, scratch);
	((u8 *)scratch)[2 * N] = 0;
	return CONDENSE_OK;
}

static int stateful(const void *const *in, void *const *out, void *scratch)
{
	static u8 calls;
	good(in, out, scratch);
	((u8 *)out[0])[3] = calls++;
	return CONDENSE_OK;
}

static int unwritten(const void *const *in, void *const *out, void *scratch)
{
	const u8 *x = in[0];
	u8 *y = out[0];
	(void)scratch;
	for (int i = 1; i < N; i++)
		y[i] = x[i];
	return CONDENSE_OK;
}

static int uninit_scratch(const void *const *in, void *const *out, void *scratch)
{
	const u8 *s = scratch;
	u8 *y = out[0];
	(void)in;
	for (int i = 0; i < N; i++)
		y[i] = s[i];
	return CONDENSE_OK;
}

static int returns_error(const void *const *in, void *const *out, void *scratch)
{
	(void)in, (void)out, (void)scratch;
	return CONDENSE_ERR_ALIGN;
}

static int changes_input(const void *const *in, void *const *out, void *scratch)
{
	good(in, out, scratch);
	((u8 *)in[0])[5]++;
	return CONDENSE_OK;
}

/* Scratch size 0: NULL is allowed, and this one insists on a pointer. */
static int null_scratch(const void *const *in, void *const *out, void *scratch)
{
	u8 s[N];
	if (scratch == NULL)
		return CONDENSE_ERR_NULL;
	const u8 *x = in[0];
	u8 *y = out[0];
	for (int i = 0; i < N; i++)
		s[i] = x[i];
	for (int i = 0; i < N; i++)
		y[i] = s[i];
	return CONDENSE_OK;
}

#define MODEL(fn, out, scratch) \
	static const condense_model fn##_model = {CONDENSE_ABI_VERSION, 1, 1, #fn, &t16, &out, scratch, 16, fn}

MODEL(good, t16, 2 * N);
MODEL(past_end, t16, 2 * N);
MODEL(before_start, t16, 2 * N);
MODEL(scratch_past, t16, 2 * N);
MODEL(stateful, t16, 2 * N);
MODEL(unwritten, t16, 2 * N);
MODEL(uninit_scratch, t16, 2 * N);
MODEL(returns_error, t16, 2 * N);
MODEL(changes_input, t16, 2 * N);
MODEL(null_scratch, t16, 0);
/* A descriptor whose output disagrees with the graph's u8[16]. */
static const condense_model bad_descriptor_model = {CONDENSE_ABI_VERSION, 1, 1, "bad_descriptor", &t16, &t8,
						    2 * N, 16, good};

const condense_model *const harness_models[] = {
	&good_model, &past_end_model, &before_start_model, &scratch_past_model, &stateful_model,
	&unwritten_model, &uninit_scratch_model, &returns_error_model, &changes_input_model,
	&null_scratch_model, &bad_descriptor_model, NULL,
};
