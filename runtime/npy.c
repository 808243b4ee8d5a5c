/*
** npy.c - the .npy reader and writer (see npy.h for the contract).
**
** A file is the magic "\x93NUMPY", a major and a minor version byte, the
** header length (2 bytes little-endian in 1.0, 4 in 2.0 and 3.0), the
** header (a Python dict literal, padded with spaces, ending in '\n'), and
** the raw data.  The header is parsed by a small recursive-descent parser
** over exactly the grammar NumPy writes; the data length is checked against
** the header before any allocation for the data.
*/
#define _POSIX_C_SOURCE 200809L /* fileno, fstat: this file is also built by apps with -std=c11 */
#include "runtime/npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define ALIGN 64
#define PREFIX_MAX (MAGIC_LEN + 2 + 4 + NPY_MAX_HEADER_BYTES)

static const struct {
	const char *descr;
	size_t size;
} dtypes[] = {
#define DT(id, descr, size) {descr, size},
	NPY_DTYPES(DT)
#undef DT
};

typedef struct header {
	npy_dtype dtype;
	bool fortran;
	int rank;
	int64_t dims[NPY_MAX_RANK];
	unsigned seen;          /* bit per key: descr, fortran_order, shape */
} header;

typedef struct lexer {
	const char *p, *end;
	char *err;
	size_t errlen;
} lexer;

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *npy_dtype_descr(npy_dtype dt)
{
	return (unsigned)dt < NPY_NDTYPES ? dtypes[dt].descr : NULL;
}

size_t npy_dtype_size(npy_dtype dt)
{
	return (unsigned)dt < NPY_NDTYPES ? dtypes[dt].size : 0;
}

int64_t npy_numel(const npy_array *a)
{
	int64_t n = 1;
	size_t size = npy_dtype_size(a->dtype);
	if (a->rank < 0 || a->rank > NPY_MAX_RANK || size == 0)
		return -1;
	for (int i = 0; i < a->rank; i++) {
		if (a->dims[i] < 0)
			return -1;
		if (a->dims[i] != 0 && n > NPY_MAX_DATA_BYTES / (int64_t)size / a->dims[i])
			return -1;
		n *= a->dims[i];
	}
	return n;
}

void npy_free(npy_array *a)
{
	if (a == NULL)
		return;
	free(a->data);
	memset(a, 0, sizeof *a);
}

/* ---- header parsing ------------------------------------------------------- */

static int lex_fail(lexer *lx, const char *what)
{
	return fail(lx->err, lx->errlen, "malformed header: %s", what);
}

static void skip_ws(lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
		lx->p++;
}

/* Skip blanks, then consume c if it is next. */
static bool accept(lexer *lx, char c)
{
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return true;
	}
	return false;
}

static int expect(lexer *lx, char c, const char *what)
{
	return accept(lx, c) ? 0 : lex_fail(lx, what);
}

/* A quoted string without escapes; *s, *n point into the header. */
static int lex_string(lexer *lx, const char **s, size_t *n)
{
	skip_ws(lx);
	if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
		return lex_fail(lx, "expected a quoted string");
	char q = *lx->p++;
	const char *start = lx->p;
	while (lx->p < lx->end && *lx->p != q) {
		if (*lx->p == '\\' || *lx->p == '\n')
			return lex_fail(lx, "escape or newline in a string");
		lx->p++;
	}
	if (lx->p >= lx->end)
		return lex_fail(lx, "unterminated string");
	*s = start;
	*n = (size_t)(lx->p++ - start);
	return 0;
}

static bool lex_word(lexer *lx, const char *w)
{
	size_t n = strlen(w);
	skip_ws(lx);
	if ((size_t)(lx->end - lx->p) < n || memcmp(lx->p, w, n) != 0)
		return false;
	lx->p += n;
	return true;
}

/* A non-negative decimal integer (Python 2's 'L' suffix allowed). */
static int lex_dim(lexer *lx, int64_t *v)
{
	skip_ws(lx);
	if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9')
		return lex_fail(lx, "expected a dimension");
	*v = 0;
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		int d = *lx->p++ - '0';
		if (*v > (NPY_MAX_DATA_BYTES - d) / 10)
			return fail(lx->err, lx->errlen, "dimension too large (limit is %lld)",
				    (long long)NPY_MAX_DATA_BYTES);
		*v = *v * 10 + d;
	}
	if (lx->p < lx->end && *lx->p == 'L')
		lx->p++;
	return 0;
}

/* Copy s[0..n) for a message, non-printable bytes as '?', at most 32. */
static void printable(char out[40], const char *s, size_t n)
{
	size_t k = n < 32 ? n : 32;
	for (size_t i = 0; i < k; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	strcpy(out + k, n > k ? "..." : "");
}

static int parse_descr(lexer *lx, header *h)
{
	const char *s;
	size_t n;
	char shown[40];
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == '[')
		return fail(lx->err, lx->errlen, "structured dtypes are not supported");
	if (lex_string(lx, &s, &n) < 0)
		return -1;
	printable(shown, s, n);
	for (int i = 0; i < NPY_NDTYPES; i++) {
		const char *d = dtypes[i].descr;
		bool order_ok = s[0] == d[0] || (dtypes[i].size == 1 && (s[0] == '<' || s[0] == '>' || s[0] == '|'));
		if (n == 3 && order_ok && memcmp(s + 1, d + 1, 2) == 0) {
			h->dtype = (npy_dtype)i;
			return 0;
		}
	}
	if (n > 1 && s[0] == '>')
		return fail(lx->err, lx->errlen, "big-endian dtype '%s' is not supported", shown);
	return fail(lx->err, lx->errlen, "unsupported dtype '%s'", shown);
}

static int parse_fortran(lexer *lx, header *h)
{
	if (lex_word(lx, "True"))
		h->fortran = true;
	else if (lex_word(lx, "False"))
		h->fortran = false;
	else
		return lex_fail(lx, "fortran_order is not True or False");
	return 0;
}

/* "()", "(N,)", "(N, M)", "(N, M,)": a Python tuple of integers. */
static int parse_shape(lexer *lx, header *h)
{
	if (expect(lx, '(', "shape is not a tuple") < 0)
		return -1;
	h->rank = 0;
	bool comma = true;
	while (!accept(lx, ')')) {
		if (!comma)
			return lex_fail(lx, "expected ',' or ')' in shape");
		if (h->rank == NPY_MAX_RANK)
			return fail(lx->err, lx->errlen, "rank exceeds the limit of %d", NPY_MAX_RANK);
		if (lex_dim(lx, &h->dims[h->rank++]) < 0)
			return -1;
		comma = accept(lx, ',');
	}
	if (h->rank == 1 && !comma)
		return lex_fail(lx, "shape (N) is not a tuple; write (N,)");
	return 0;
}

static int parse_entry(lexer *lx, header *h)
{
	static const char *const keys[] = {"descr", "fortran_order", "shape"};
	static int (*const parse[])(lexer *, header *) = {parse_descr, parse_fortran, parse_shape};
	const char *s;
	size_t n;
	char shown[40];
	if (lex_string(lx, &s, &n) < 0 || expect(lx, ':', "expected ':' after a key") < 0)
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		if (strlen(keys[i]) != n || memcmp(keys[i], s, n) != 0)
			continue;
		if (h->seen & (1u << i))
			return fail(lx->err, lx->errlen, "malformed header: key '%s' given twice", keys[i]);
		h->seen |= 1u << i;
		return parse[i](lx, h);
	}
	printable(shown, s, n);
	return fail(lx->err, lx->errlen, "malformed header: unknown key '%s'", shown);
}

static int parse_dict(lexer *lx, header *h)
{
	bool comma = true;
	if (expect(lx, '{', "expected '{'") < 0)
		return -1;
	while (!accept(lx, '}')) {
		if (!comma)
			return lex_fail(lx, "expected ',' or '}'");
		if (parse_entry(lx, h) < 0)
			return -1;
		comma = accept(lx, ',');
	}
	skip_ws(lx);
	if (lx->p != lx->end)
		return lex_fail(lx, "text after the dict");
	if (h->seen != 7u)
		return lex_fail(lx, !(h->seen & 1u) ? "no 'descr'" : !(h->seen & 2u) ? "no 'fortran_order'" : "no 'shape'");
	if (h->fortran)
		return fail(lx->err, lx->errlen, "fortran_order arrays are not supported (save a C-order copy)");
	return 0;
}

/*
** Parse the preamble and header at p[0..n): fills *a (no data) and the
** offset of the data in *off.  n may extend past the header.
*/
static int parse_header(const uint8_t *p, size_t n, npy_array *a, size_t *off, char *err, size_t errlen)
{
	if (n < MAGIC_LEN + 2 || memcmp(p, MAGIC, MAGIC_LEN) != 0)
		return fail(err, errlen, "not a .npy file (bad magic)");
	unsigned major = p[6], minor = p[7];
	if ((major < 1 || major > 3) || minor != 0)
		return fail(err, errlen, "unsupported .npy format version %u.%u", major, minor);
	size_t lenb = major == 1 ? 2 : 4;
	if (n < MAGIC_LEN + 2 + lenb)
		return fail(err, errlen, "truncated header");
	uint64_t hlen = p[8] | (uint64_t)p[9] << 8;
	if (lenb == 4)
		hlen |= (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
	if (hlen > NPY_MAX_HEADER_BYTES)
		return fail(err, errlen, "header of %llu bytes exceeds the limit of %d",
			    (unsigned long long)hlen, NPY_MAX_HEADER_BYTES);
	size_t start = MAGIC_LEN + 2 + lenb;
	if (n - start < hlen)
		return fail(err, errlen, "truncated header");
	header h = {0};
	lexer lx = {(const char *)p + start, (const char *)p + start + hlen, err, errlen};
	if (parse_dict(&lx, &h) < 0)
		return -1;
	memset(a, 0, sizeof *a);
	a->dtype = h.dtype;
	a->rank = h.rank;
	memcpy(a->dims, h.dims, sizeof h.dims);
	int64_t numel = npy_numel(a);
	if (numel < 0)
		return fail(err, errlen, "array exceeds the limit of %lld bytes", (long long)NPY_MAX_DATA_BYTES);
	a->nbytes = (size_t)numel * npy_dtype_size(a->dtype);
	*off = start + hlen;
	return 0;
}

/* ---- reading -------------------------------------------------------------- */

static int check_bools(const npy_array *a, char *err, size_t errlen)
{
	const uint8_t *d = a->data;
	if (a->dtype != NPY_BOOL)
		return 0;
	for (size_t i = 0; i < a->nbytes; i++)
		if (d[i] > 1)
			return fail(err, errlen, "bool element %zu is %u, not 0 or 1", i, d[i]);
	return 0;
}

/* Allocate out->data for out->nbytes (at least one byte). */
static int alloc_data(npy_array *out, char *err, size_t errlen)
{
	out->data = malloc(out->nbytes ? out->nbytes : 1);
	if (out->data == NULL)
		return fail(err, errlen, "out of memory for %zu bytes of data", out->nbytes);
	return 0;
}

static int length_mismatch(size_t have, size_t want, char *err, size_t errlen)
{
	return fail(err, errlen, "data is %zu bytes, the header says %zu", have, want);
}

int npy_read_mem(const void *buf, size_t n, npy_array *out, char *err, size_t errlen)
{
	size_t off;
	memset(out, 0, sizeof *out);
	if (parse_header(buf, n, out, &off, err, errlen) < 0)
		return -1;
	if (n - off != out->nbytes)
		return length_mismatch(n - off, out->nbytes, err, errlen);
	if (alloc_data(out, err, errlen) < 0)
		return -1;
	memcpy(out->data, (const uint8_t *)buf + off, out->nbytes);
	if (check_bools(out, err, errlen) < 0) {
		npy_free(out);
		return -1;
	}
	return 0;
}

/*
** Data of out from f: have bytes already read into pre, the rest from f;
** f must then be at its end.  size is the file's size, or -1 if unknown.
*/
static int read_data(FILE *f, int64_t size, size_t off, const uint8_t *pre, size_t have, npy_array *out,
		     char *err, size_t errlen)
{
	if (size >= 0 && (uint64_t)size - off != out->nbytes)
		return length_mismatch((size_t)size - off, out->nbytes, err, errlen);
	if (have > out->nbytes)
		return length_mismatch(have, out->nbytes, err, errlen);
	if (alloc_data(out, err, errlen) < 0)
		return -1;
	memcpy(out->data, pre, have);
	size_t got = have + fread((uint8_t *)out->data + have, 1, out->nbytes - have, f);
	if (got != out->nbytes || fgetc(f) != EOF)
		return got != out->nbytes ? length_mismatch(got, out->nbytes, err, errlen)
					  : fail(err, errlen, "data is longer than the header says");
	return check_bools(out, err, errlen);
}

static int read_stream(FILE *f, npy_array *out, char *err, size_t errlen)
{
	struct stat st;
	int64_t size = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	uint8_t *pre = malloc(PREFIX_MAX);
	size_t off, n;
	int rc = -1;
	if (pre == NULL)
		return fail(err, errlen, "out of memory");
	n = fread(pre, 1, PREFIX_MAX, f);
	if (ferror(f))
		fail(err, errlen, "read error: %s", strerror(errno));
	else if (parse_header(pre, n, out, &off, err, errlen) == 0)
		rc = read_data(f, size, off, pre + off, n - off, out, err, errlen);
	if (rc == 0 && ferror(f))
		rc = fail(err, errlen, "read error: %s", strerror(errno));
	free(pre);
	return rc;
}

int npy_read(const char *path, npy_array *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	memset(out, 0, sizeof *out);
	if (f == NULL)
		return fail(err, errlen, "cannot open: %s", strerror(errno));
	int rc = read_stream(f, out, err, errlen);
	fclose(f);
	if (rc < 0)
		npy_free(out);
	return rc;
}

/* ---- writing -------------------------------------------------------------- */

/* The header dict padded so that the data starts at a multiple of ALIGN. */
static size_t format_header(const npy_array *a, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (",
				    npy_dtype_descr(a->dtype));
	for (int i = 0; i < a->rank; i++)
		n += (size_t)snprintf(buf + n, cap - n, i + 1 < a->rank ? "%lld, " : "%lld",
				      (long long)a->dims[i]);
	n += (size_t)snprintf(buf + n, cap - n, a->rank == 1 ? ",), }" : "), }");
	while ((MAGIC_LEN + 4 + n + 1) % ALIGN != 0)
		buf[n++] = ' ';
	buf[n++] = '\n';
	return n;
}

static int check_array(const npy_array *a, char *err, size_t errlen)
{
	if ((unsigned)a->dtype >= NPY_NDTYPES)
		return fail(err, errlen, "invalid dtype %d", (int)a->dtype);
	if (a->rank < 0 || a->rank > NPY_MAX_RANK)
		return fail(err, errlen, "rank %d is outside 0..%d", a->rank, NPY_MAX_RANK);
	int64_t numel = npy_numel(a);
	if (numel < 0)
		return fail(err, errlen, "negative dimension or array too large");
	if ((size_t)numel * npy_dtype_size(a->dtype) != a->nbytes)
		return fail(err, errlen, "data is %zu bytes, the shape needs %zu", a->nbytes,
			    (size_t)numel * npy_dtype_size(a->dtype));
	if (a->nbytes > 0 && a->data == NULL)
		return fail(err, errlen, "no data");
	return 0;
}

int npy_fwrite(FILE *f, const npy_array *a, char *err, size_t errlen)
{
	char hdr[512];
	uint8_t pre[MAGIC_LEN + 4];
	if (check_array(a, err, errlen) < 0)
		return -1;
	size_t hlen = format_header(a, hdr, sizeof hdr);
	memcpy(pre, MAGIC, MAGIC_LEN);
	pre[6] = 1;
	pre[7] = 0;
	pre[8] = (uint8_t)(hlen & 0xff);
	pre[9] = (uint8_t)(hlen >> 8);
	if (fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(hdr, 1, hlen, f) != hlen ||
	    fwrite(a->data, 1, a->nbytes, f) != a->nbytes)
		return fail(err, errlen, "write error: %s", strerror(errno));
	return 0;
}

int npy_write(const char *path, const npy_array *a, char *err, size_t errlen)
{
	if (check_array(a, err, errlen) < 0)
		return -1;
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return fail(err, errlen, "cannot create: %s", strerror(errno));
	int rc = npy_fwrite(f, a, err, errlen);
	if (fclose(f) != 0 && rc == 0)
		rc = fail(err, errlen, "write error: %s", strerror(errno));
	return rc;
}
