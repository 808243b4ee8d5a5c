/*
** npy.h - NumPy .npy files: read and write, independent of the IR.
**
** Format versions 1.0, 2.0 and 3.0 are read; files are written as 1.0 with
** the header padded to 64 bytes, as NumPy does.  Element types are those of
** npy_dtype, little-endian (one-byte types are written '|'); arrays are in C
** order.  Fortran order, big-endian and structured descriptors, and any
** other dtype are errors, never guesses.
**
** The reader is a trust boundary: a header is parsed as the small Python
** dict literal NumPy writes ({'descr': ..., 'fortran_order': ..., 'shape':
** (...)}, each key once, nothing else), rank is at most NPY_MAX_RANK, sizes
** are overflow-checked, and the data must be exactly as long as the header
** says before anything is allocated for it.  Booleans must be 0 or 1.
**
** Errors: functions return -1 and put one line of text (no trailing
** newline, no file name) into err[0..errlen) when err is not NULL.
*/
#ifndef CONDENSE_NPY_H
#define CONDENSE_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NPY_MAX_RANK 8
#define NPY_MAX_HEADER_BYTES 65536          /* of the header dict, as stored */
#define NPY_MAX_DATA_BYTES ((int64_t)1 << 40)

/* DT(ID, descr as written, bytes per element) */
#define NPY_DTYPES(DT)         \
	DT(F32, "<f4", 4)      \
	DT(F16, "<f2", 2)      \
	DT(I8, "|i1", 1)       \
	DT(U8, "|u1", 1)       \
	DT(I16, "<i2", 2)      \
	DT(I32, "<i4", 4)      \
	DT(I64, "<i8", 8)      \
	DT(BOOL, "|b1", 1)

typedef enum npy_dtype {
#define DT(id, descr, size) NPY_##id,
	NPY_DTYPES(DT)
#undef DT
	NPY_NDTYPES
} npy_dtype;

typedef struct npy_array {
	npy_dtype dtype;
	int rank;                    /* 0 for a scalar */
	int64_t dims[NPY_MAX_RANK];  /* dims[rank..] are zero */
	void *data;                  /* nbytes bytes, C order, little-endian */
	size_t nbytes;
} npy_array;

/* "<f4", "|b1", ...; NULL for an invalid dt. */
const char *npy_dtype_descr(npy_dtype dt);
/* Bytes per element; 0 for an invalid dt. */
size_t npy_dtype_size(npy_dtype dt);
/* Elements of a (1 for rank 0); -1 when a dim is negative or the count or
** its byte size exceeds NPY_MAX_DATA_BYTES. */
int64_t npy_numel(const npy_array *a);

/* Read a file; on success *out owns malloc'd data (release with npy_free). */
int npy_read(const char *path, npy_array *out, char *err, size_t errlen);
/* Same from n bytes in memory (the data is copied). */
int npy_read_mem(const void *buf, size_t n, npy_array *out, char *err, size_t errlen);
/* Write a->nbytes bytes of data, which must equal numel * size. */
int npy_write(const char *path, const npy_array *a, char *err, size_t errlen);
int npy_fwrite(FILE *f, const npy_array *a, char *err, size_t errlen);
/* Free out->data and clear *a; safe on a cleared or failed array. */
void npy_free(npy_array *a);

#endif
