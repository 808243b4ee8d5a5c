/* Drives the model of Inputs/copy.cir through its header: values, return
 * codes for NULL and misaligned pointers, and the descriptor. */
#include <stdio.h>
#include <string.h>

#include "copy.h"

static int fail(const char *what)
{
	printf("FAIL %s\n", what);
	return 1;
}

int main(void)
{
	float x[COPY_X_COUNT] = {1, 2, 3, 4, 5, 6}, y[COPY_Y_COUNT + 1], c[COPY_C_COUNT];
	_Alignas(COPY_SCRATCH_ALIGN) unsigned char scratch[COPY_SCRATCH_SIZE + 1];
	if (copy_run(x, y, c, scratch) != CONDENSE_OK)
		return fail("run");
	for (int i = 0; i < COPY_Y_COUNT; i++)
		if (y[i] != x[i])
			return fail("y");
	if (c[0] != 1.5f || c[1] != 2.5f)
		return fail("c");
	if (copy_run(NULL, y, c, scratch) != CONDENSE_ERR_NULL)
		return fail("null input");
	if (copy_run(x, y, NULL, scratch) != CONDENSE_ERR_NULL)
		return fail("null output");
	if (copy_run(x, (float *)((char *)y + 2), c, scratch) != CONDENSE_ERR_ALIGN)
		return fail("misaligned output");
	const condense_model *m = &copy_model;
	if (m->abi_version != CONDENSE_ABI_VERSION || m->n_inputs != 1 || m->n_outputs != 2)
		return fail("descriptor counts");
	if (strcmp(m->name, "copy") || strcmp(m->inputs[0].name, "x") || m->inputs[0].rank != 2 ||
	    m->inputs[0].dims[1] != 3 || m->outputs[1].bytes != 8 || m->outputs[0].dtype != CONDENSE_F32)
		return fail("descriptor tensors");
	const void *ins[] = {x};
	void *outs[] = {y, c};
	memset(y, 0, sizeof y);
	if (m->run(ins, outs, scratch) != CONDENSE_OK || y[5] != 6)
		return fail("generic run");
	if (m->run(NULL, outs, scratch) != CONDENSE_ERR_NULL)
		return fail("generic null");
	printf("OK\n");
	return 0;
}
