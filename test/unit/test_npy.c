/*
** test_npy.c - unit tests of the .npy reader and writer: a round trip of
** every dtype through a file, byte-exact headers as NumPy writes them, and
** every class of malformed input (each prefix of a valid file is rejected).
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "runtime/npy.h"

static char tmpdir[] = "/tmp/test_npy.XXXXXX";

/* The .npy bytes of a in a malloc'd buffer. */
static uint8_t *to_mem(const npy_array *a, size_t *n)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	if (f == NULL)
		abort();
	int rc = npy_fwrite(f, a, NULL, 0);
	fclose(f);
	CHECK(rc == 0);
	return (uint8_t *)buf;
}

/* A file's bytes: preamble, the header dict padded to 64 with '\n', data. */
static uint8_t *make_file(const char *dict, const void *data, size_t ndata, size_t *n)
{
	size_t hlen = strlen(dict);
	size_t pad = (64 - (10 + hlen + 1) % 64) % 64;
	uint8_t *buf = malloc(10 + hlen + pad + 1 + ndata);
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (uint8_t)((hlen + pad + 1) & 0xff);
	buf[9] = (uint8_t)((hlen + pad + 1) >> 8);
	memcpy(buf + 10, dict, hlen);
	memset(buf + 10 + hlen, ' ', pad);
	buf[10 + hlen + pad] = '\n';
	if (ndata)
		memcpy(buf + 11 + hlen + pad, data, ndata);
	*n = 11 + hlen + pad + ndata;
	return buf;
}

static void fill(uint8_t *d, size_t n, npy_dtype dt)
{
	for (size_t i = 0; i < n; i++)
		d[i] = dt == NPY_BOOL ? (uint8_t)(i % 3 == 0) : (uint8_t)(i * 37 + 11);
}

static void round_trip(npy_dtype dt, int rank, const int64_t *dims)
{
	npy_array a = {.dtype = dt, .rank = rank}, b;
	char path[64], err[256];
	for (int i = 0; i < rank; i++)
		a.dims[i] = dims[i];
	a.nbytes = (size_t)npy_numel(&a) * npy_dtype_size(dt);
	a.data = malloc(a.nbytes + 1);
	fill(a.data, a.nbytes, dt);
	snprintf(path, sizeof path, "%s/a.npy", tmpdir);
	CHECK(npy_write(path, &a, err, sizeof err) == 0);
	CHECK(npy_read(path, &b, err, sizeof err) == 0);
	CHECK(b.dtype == dt && b.rank == rank && b.nbytes == a.nbytes);
	CHECK(memcmp(a.dims, b.dims, sizeof a.dims) == 0);
	CHECK(b.data != NULL && memcmp(a.data, b.data, a.nbytes) == 0);
	npy_free(&b);
	CHECK(b.data == NULL && b.nbytes == 0);
	unlink(path);
	free(a.data);
}

static void round_trips(void)
{
	for (int dt = 0; dt < NPY_NDTYPES; dt++) {
		round_trip((npy_dtype)dt, 2, (int64_t[]){3, 5});
		round_trip((npy_dtype)dt, 0, NULL);
		round_trip((npy_dtype)dt, 3, (int64_t[]){2, 0, 4});
		round_trip((npy_dtype)dt, 8, (int64_t[]){1, 2, 1, 3, 1, 2, 1, 2});
	}
	CHECK(strcmp(npy_dtype_descr(NPY_F32), "<f4") == 0);
	CHECK(strcmp(npy_dtype_descr(NPY_BOOL), "|b1") == 0);
	CHECK(npy_dtype_descr(NPY_NDTYPES) == NULL && npy_dtype_size(NPY_NDTYPES) == 0);
}

/* The header NumPy 1.24 writes for a, byte for byte. */
static void check_header(npy_array *a, const char *dict)
{
	size_t n, want_n;
	uint8_t *got = to_mem(a, &n);
	uint8_t *want = make_file(dict, a->data, a->nbytes, &want_n);
	CHECK(n == want_n && memcmp(got, want, n) == 0);
	CHECK((n - a->nbytes) % 64 == 0);
	free(got);
	free(want);
}

static void numpy_headers(void)
{
	float f[6] = {0};
	int64_t scalar = 5;
	uint8_t b[4] = {0, 1, 1, 0};
	check_header(&(npy_array){NPY_F32, 2, {2, 3}, f, sizeof f},
		     "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
	check_header(&(npy_array){NPY_I64, 0, {0}, &scalar, sizeof scalar},
		     "{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
	check_header(&(npy_array){NPY_BOOL, 1, {4}, b, sizeof b},
		     "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }");
}

/* npy_read_mem of dict + data fails with a message containing want. */
static void expect_error(const char *dict, const void *data, size_t ndata, const char *want)
{
	size_t n;
	uint8_t *buf = make_file(dict, data, ndata, &n);
	npy_array a;
	char err[256] = "";
	int rc = npy_read_mem(buf, n, &a, err, sizeof err);
	CHECK(rc < 0 && a.data == NULL);
	if (rc == 0 || strstr(err, want) == NULL)
		fprintf(stderr, "  header %s: got '%s', want '%s'\n", dict, rc == 0 ? "(success)" : err, want);
	if (rc == 0)
		npy_free(&a);
	free(buf);
}

/* npy_read_mem of dict + data succeeds with the given rank and dtype. */
static void expect_ok(const char *dict, const void *data, size_t ndata, npy_dtype dt, int rank)
{
	size_t n;
	uint8_t *buf = make_file(dict, data, ndata, &n);
	npy_array a;
	char err[256] = "";
	CHECK(npy_read_mem(buf, n, &a, err, sizeof err) == 0);
	CHECK(a.dtype == dt && a.rank == rank && a.nbytes == ndata);
	if (err[0])
		fprintf(stderr, "  header %s: %s\n", dict, err);
	npy_free(&a);
	free(buf);
}

static void malformed_dicts(void)
{
	float f[8] = {0};
	uint8_t two[2] = {0, 2};
	expect_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f, 24, "fortran_order");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f, 24, "unsupported dtype '<f8'");
	expect_error("{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", f, 24, "big-endian dtype '>f4'");
	expect_error("{'descr': '|f4', 'fortran_order': False, 'shape': (6,), }", f, 24, "unsupported dtype '|f4'");
	expect_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", f, 24, "structured");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, 20, "data is 20 bytes, the header says 24");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, 25, "data is 25 bytes");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", f, 4, "rank exceeds the limit of 8");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", f, 4, "dimension too large");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }", f, 4, "exceeds the limit");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", f, 24, "write (N,)");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", f, 24, "expected a dimension");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", f, 24, "expected ',' or ')'");
	expect_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f, 24, "given twice");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", f, 24, "unknown key 'x'");
	expect_error("{'descr': '<f4', 'shape': (6,), }", f, 24, "no 'fortran_order'");
	expect_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", f, 24, "not True or False");
	expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } x", f, 24, "text after the dict");
	expect_error("{'descr': '<f4' 'fortran_order': False, 'shape': (6,), }", f, 24, "expected ',' or '}'");
	expect_error("{'descr': '<f\\4', 'fortran_order': False, 'shape': (6,), }", f, 24, "escape");
	expect_error("{'descr: '<f4', 'fortran_order': False, 'shape': (6,), }", f, 24, "malformed header");
	expect_error("['descr', '<f4']", f, 24, "expected '{'");
	expect_error("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", two, 2, "bool element 1 is 2");
	expect_ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", f, 24, NPY_F32, 2);
	expect_ok("{\"shape\": (6, ), \"fortran_order\": False, \"descr\": \"|u1\"}", f, 6, NPY_U8, 1);
	expect_ok("{'descr': '<i1', 'fortran_order': False, 'shape': (), }", f, 1, NPY_I8, 0);
}

/* Every proper prefix of a valid file fails; the whole file reads. */
static void truncations(void)
{
	float f[6] = {1, 2, 3, 4, 5, 6};
	size_t n;
	uint8_t *buf = to_mem(&(npy_array){NPY_F32, 2, {2, 3}, f, sizeof f}, &n);
	npy_array a;
	char err[256];
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (npy_read_mem(buf, i, &a, err, sizeof err) == 0) {
			bad++;
			npy_free(&a);
		}
	}
	CHECK(bad == 0);
	CHECK(npy_read_mem(buf, 9, &a, err, sizeof err) < 0 && strstr(err, "truncated header"));
	CHECK(npy_read_mem(buf, 60, &a, err, sizeof err) < 0 && strstr(err, "truncated header"));
	CHECK(npy_read_mem(buf, n, &a, err, sizeof err) == 0 && memcmp(a.data, f, sizeof f) == 0);
	npy_free(&a);
	free(buf);
}

static void preambles(void)
{
	float f[6] = {0};
	size_t n;
	uint8_t *buf = to_mem(&(npy_array){NPY_F32, 1, {6}, f, sizeof f}, &n);
	npy_array a;
	char err[256];
	buf[0] = 'X';
	CHECK(npy_read_mem(buf, n, &a, err, sizeof err) < 0 && strstr(err, "bad magic"));
	buf[0] = 0x93;
	buf[6] = 4;
	CHECK(npy_read_mem(buf, n, &a, err, sizeof err) < 0 && strstr(err, "version 4.0"));
	buf[6] = 1;
	buf[9] = 0xff;
	CHECK(npy_read_mem(buf, n, &a, err, sizeof err) < 0 && strstr(err, "truncated header"));
	free(buf);
	CHECK(npy_read_mem("", 0, &a, err, sizeof err) < 0 && strstr(err, "bad magic"));
	CHECK(npy_read_mem("\x93NUMPY\x02\x00\x00\x00\x02\x00", 12, &a, err, sizeof err) < 0 &&
	      strstr(err, "exceeds the limit of 65536"));
}

/* Versions 2.0 and 3.0 have a four-byte header length. */
static void version2(void)
{
	const char *dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
	int32_t d[2] = {7, -9};
	size_t hlen = strlen(dict);
	uint8_t buf[256];
	npy_array a;
	char err[256];
	memcpy(buf, "\x93NUMPY\x02\x00", 8);
	buf[8] = (uint8_t)hlen;
	buf[9] = buf[10] = buf[11] = 0;
	memcpy(buf + 12, dict, hlen);
	memcpy(buf + 12 + hlen, d, sizeof d);
	for (uint8_t v = 2; v <= 3; v++) {
		buf[6] = v;
		CHECK(npy_read_mem(buf, 12 + hlen + sizeof d, &a, err, sizeof err) == 0);
		CHECK(a.dtype == NPY_I32 && a.rank == 1 && a.dims[0] == 2 && ((int32_t *)a.data)[1] == -9);
		npy_free(&a);
	}
}

static void files(void)
{
	char path[64], err[256];
	npy_array a;
	float f[2] = {1, 2};
	snprintf(path, sizeof path, "%s/none.npy", tmpdir);
	CHECK(npy_read(path, &a, err, sizeof err) < 0 && strstr(err, "cannot open"));
	snprintf(path, sizeof path, "%s/no/such/dir.npy", tmpdir);
	CHECK(npy_write(path, &(npy_array){NPY_F32, 1, {2}, f, sizeof f}, err, sizeof err) < 0 &&
	      strstr(err, "cannot create"));
	CHECK(npy_write(path, &(npy_array){NPY_F32, 1, {3}, f, sizeof f}, err, sizeof err) < 0 &&
	      strstr(err, "the shape needs 12"));
	CHECK(npy_write(path, &(npy_array){NPY_F32, 9, {1}, f, sizeof f}, err, sizeof err) < 0 &&
	      strstr(err, "rank 9"));
	CHECK(npy_write(path, &(npy_array){NPY_F32, 1, {-2}, f, sizeof f}, err, sizeof err) < 0 &&
	      strstr(err, "negative"));
	/* a file with extra bytes after the data */
	snprintf(path, sizeof path, "%s/long.npy", tmpdir);
	size_t n;
	uint8_t *buf = to_mem(&(npy_array){NPY_F32, 1, {2}, f, sizeof f}, &n);
	FILE *fp = fopen(path, "wb");
	fwrite(buf, 1, n, fp);
	fputc(0, fp);
	fclose(fp);
	CHECK(npy_read(path, &a, err, sizeof err) < 0 && strstr(err, "data is 9 bytes, the header says 8"));
	CHECK(a.data == NULL);
	unlink(path);
	free(buf);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return perror("mkdtemp"), 1;
	round_trips();
	numpy_headers();
	malformed_dicts();
	truncations();
	preambles();
	version2();
	files();
	rmdir(tmpdir);
	return check_done("test_npy");
}
