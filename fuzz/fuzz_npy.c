/*
** fuzz_npy - libFuzzer target for the .npy reader.
**
** Property checked, beyond "no crash, no leak, no sanitizer report": an
** input that reads is written back as a file that reads to the same dtype,
** shape and bytes, and writing that again gives the same file.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/npy.h"

/* The .npy bytes of a in a malloc'd buffer. */
static char *write_mem(const npy_array *a, size_t *n)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	if (f == NULL)
		abort();
	if (npy_fwrite(f, a, NULL, 0) < 0) {
		fprintf(stderr, "a read array does not write\n");
		abort();
	}
	fclose(f);
	return buf;
}

static int same(const npy_array *a, const npy_array *b)
{
	return a->dtype == b->dtype && a->rank == b->rank && a->nbytes == b->nbytes &&
	       memcmp(a->dims, b->dims, sizeof a->dims) == 0 && memcmp(a->data, b->data, a->nbytes) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	npy_array a, b;
	char err[256];
	size_t n1, n2;
	if (npy_read_mem(data, size, &a, err, sizeof err) < 0)
		return 0;
	char *f1 = write_mem(&a, &n1);
	if (npy_read_mem(f1, n1, &b, err, sizeof err) < 0 || !same(&a, &b)) {
		fprintf(stderr, "written array does not read back the same: %s\n", err);
		abort();
	}
	char *f2 = write_mem(&b, &n2);
	if (n1 != n2 || memcmp(f1, f2, n1) != 0)
		abort();
	npy_free(&a);
	npy_free(&b);
	free(f1);
	free(f2);
	return 0;
}
