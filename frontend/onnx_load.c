/*
** onnx_load.c - from bytes to an unpacked ModelProto, and the public entry
** points of the frontend.
**
** The bytes pass three gates before the importer sees them:
**   1. size: at most ONNX_MAX_FILE_BYTES (protobuf's own 2 GiB bound);
**   2. a wire-format pre-scan driven by protobuf-c's generated descriptors:
**      every tag, varint and length is checked, groups and invalid wire
**      types are rejected, and the scan descends into exactly the fields
**      protobuf-c will unpack as sub-messages, so nesting deeper than
**      ONNX_MAX_NESTING is refused before protobuf-c (which has no depth
**      limit and recurses once per level) can overflow the stack.  Tags
**      longer than 5 bytes or with a field number outside [1, 2^29) are
**      rejected here too, which keeps protobuf-c 1.4's tag parser away from
**      its signed left shift (protobuf-c issue #506);
**   3. unpacking through an allocator with a byte budget,
**      min(ONNX_MAX_UNPACK_BYTES, 4 x size + 256 MiB), so that many tiny
**      sub-messages cannot make protobuf-c allocate gigabytes.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/onnx_internal.h"

/* ---- wire-format pre-scan -------------------------------------------------- */

typedef struct scan {
	onnx_imp *m;
	const uint8_t *base;         /* start of the whole buffer, for offsets */
} scan;

static int scan_fail(scan *s, const uint8_t *at, const char *what)
{
	return onnx_fail(s->m, ONNX_MALFORMED, "malformed protobuf at byte %lld: %s",
			 (long long)(at - s->base), what);
}

/* A varint of at most max bytes at *p (< end) into *v; advances *p. */
static int scan_varint(scan *s, const uint8_t **p, const uint8_t *end, int max, uint64_t *v)
{
	const uint8_t *q = *p;
	*v = 0;
	for (int i = 0; i < max; i++, q++) {
		if (q >= end)
			return scan_fail(s, *p, "truncated varint");
		*v |= (uint64_t)(*q & 0x7f) << (7 * i);
		if (!(*q & 0x80)) {
			if (i == 9 && *q > 1)
				return scan_fail(s, *p, "varint overflows 64 bits");
			*p = q + 1;
			return 0;
		}
	}
	return scan_fail(s, *p, max == 5 ? "field tag longer than 5 bytes" : "varint longer than 10 bytes");
}

static int scan_message(scan *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			const uint8_t *end, int depth);

/* Skip the value at *p of the field whose tag is at tag_at; descend when
** the schema says the field is a sub-message. */
static int scan_value(scan *s, const ProtobufCMessageDescriptor *d, uint64_t tag, const uint8_t *tag_at,
		      const uint8_t **p, const uint8_t *end, int depth)
{
	uint64_t v;
	const uint8_t *at = *p;
	unsigned wt = (unsigned)(tag & 7);
	switch (wt) {
	case 0:
		return scan_varint(s, p, end, 10, &v);
	case 1:
	case 5: {
		size_t w = wt == 1 ? 8 : 4;
		if ((size_t)(end - *p) < w)
			return scan_fail(s, at, "truncated fixed-width field");
		*p += w;
		return 0;
	}
	case 2:
		break;
	case 3:
	case 4:
		return scan_fail(s, tag_at, "groups (wire types 3 and 4) are not supported");
	default:
		return scan_fail(s, tag_at, "invalid wire type");
	}
	if (scan_varint(s, p, end, 10, &v) < 0)
		return -1;
	if (v > (uint64_t)(end - *p))
		return scan_fail(s, at, "length prefix runs past the end of the data");
	const uint8_t *body = *p;
	*p += v;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	return scan_message(s, f->descriptor, body, body + v, depth + 1);
}

/* The message of type d in [p, end), at nesting depth (the model is 1). */
static int scan_message(scan *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			const uint8_t *end, int depth)
{
	if (depth > ONNX_MAX_NESTING)
		return onnx_limit(s->m, "levels of message nesting", depth, ONNX_MAX_NESTING);
	while (p < end) {
		const uint8_t *at = p;
		uint64_t tag;
		if (scan_varint(s, &p, end, 5, &tag) < 0)
			return -1;
		if (tag >> 3 == 0 || tag >> 3 >= (1u << 29))
			return scan_fail(s, at, "field number out of range");
		if (scan_value(s, d, tag, at, &p, end, depth) < 0)
			return -1;
	}
	return 0;
}

/* ---- budgeted unpacking ---------------------------------------------------- */

typedef struct budget {
	size_t used, limit;
	bool exceeded;
} budget;

/* Each block starts with its size, so frees give the bytes back. */
typedef union block_head {
	size_t size;
	max_align_t align;
} block_head;

static void *budget_alloc(void *ud, size_t size)
{
	budget *b = ud;
	if (size > b->limit - b->used || sizeof(block_head) > b->limit - b->used - size) {
		b->exceeded = true;
		return NULL;
	}
	block_head *h = malloc(sizeof *h + size);
	if (!h) {
		b->exceeded = true;
		return NULL;
	}
	h->size = size;
	b->used += sizeof *h + size;
	return h + 1;
}

static void budget_free(void *ud, void *p)
{
	budget *b = ud;
	if (!p)
		return;
	block_head *h = (block_head *)p - 1;
	b->used -= sizeof *h + h->size;
	free(h);
}

/* min(ONNX_MAX_UNPACK_BYTES, 4 n + 256 MiB), without overflow. */
static size_t budget_limit(size_t n)
{
	size_t four = n > ((size_t)-1 >> 3) ? (size_t)-1 >> 1 : 4 * n;
	size_t lim = four + ((size_t)256 << 20);
	return lim < ONNX_MAX_UNPACK_BYTES ? lim : ONNX_MAX_UNPACK_BYTES;
}

/*
** Size check, pre-scan and unpack of a message of type d; NULL after a
** diagnostic.  Free the result with protobuf_c_message_free_unpacked(msg, a).
*/
static ProtobufCMessage *unpack(onnx_imp *m, const ProtobufCMessageDescriptor *d, const uint8_t *data,
				size_t n, ProtobufCAllocator *a, budget *b)
{
	if (n > (uint64_t)ONNX_MAX_FILE_BYTES) {
		ir_check_limit(m->c, onnx_loc(m), "bytes in an ONNX file", (int64_t)n, ONNX_MAX_FILE_BYTES);
		m->status = ONNX_MALFORMED;
		return NULL;
	}
	scan s = {m, data};
	if (scan_message(&s, d, data, data + n, 1) < 0)
		return NULL;
	*b = (budget){0, budget_limit(n), false};
	*a = (ProtobufCAllocator){budget_alloc, budget_free, b};
	ProtobufCMessage *msg = protobuf_c_message_unpack(d, a, n, data);
	if (msg)
		return msg;
	if (b->exceeded)
		onnx_fail(m, ONNX_UNSUPPORTED, "out of memory budget: unpacking needs more than %zu bytes "
			  "(the budget is 4 x the file size + 256 MiB, at most %zu)", b->limit,
			  (size_t)ONNX_MAX_UNPACK_BYTES);
	else
		onnx_fail(m, ONNX_MALFORMED, "malformed protobuf: the bytes are not a valid %s",
			  d->short_name);
	return NULL;
}

/* ---- files ---------------------------------------------------------------------- */

/* The whole file into a malloc'd buffer (at most ONNX_MAX_FILE_BYTES + 1
** bytes are read, so the size check can see an oversized file). */
static uint8_t *read_file(onnx_imp *m, const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		onnx_fail(m, ONNX_MALFORMED, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
	if (regular && st.st_size > ONNX_MAX_FILE_BYTES) {
		fclose(f);
		ir_check_limit(m->c, onnx_loc(m), "bytes in an ONNX file", st.st_size, ONNX_MAX_FILE_BYTES);
		m->status = ONNX_MALFORMED;
		return NULL;
	}
	size_t cap = regular && st.st_size > 0 ? (size_t)st.st_size + 1 : (size_t)1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && cap <= (size_t)ONNX_MAX_FILE_BYTES) {
			size_t ncap = cap * 2 > (size_t)ONNX_MAX_FILE_BYTES + 1 ? (size_t)ONNX_MAX_FILE_BYTES + 1 : cap * 2;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb)
				free(buf);
			buf = nb;
			cap = ncap;
		} else if (n == cap) {
			break;
		}
	}
	bool err = ferror(f);
	fclose(f);
	if (!buf || err) {
		free(buf);
		onnx_fail(m, ONNX_MALFORMED, "%s", buf ? "read error" : "out of memory reading the file");
		return NULL;
	}
	*len = n;
	return buf;
}

/* ---- entry points ------------------------------------------------------------------ */

static void set_status(onnx_status *status, onnx_status st)
{
	if (status)
		*status = st;
}

ir_graph *onnx_import_bytes(ir_ctx *c, const char *name, const uint8_t *data, size_t n,
			    const onnx_options *opt, onnx_status *status)
{
	static const onnx_options none = {0};
	onnx_imp m = {.c = c, .file = name ? name : "<memory>", .opt = opt ? opt : &none};
	ProtobufCAllocator a;
	budget b;
	ProtobufCMessage *msg = unpack(&m, &onnx__model_proto__descriptor, data, n, &a, &b);
	if (!msg) {
		set_status(status, m.status ? m.status : ONNX_MALFORMED);
		return NULL;
	}
	m.model = (const Onnx__ModelProto *)msg;
	int rc = ir_protect(c, onnx_import_model, &m);
	protobuf_c_message_free_unpacked(msg, &a);
	if (rc < 0) {
		set_status(status, m.status ? m.status : ONNX_MALFORMED);
		return NULL;
	}
	set_status(status, ONNX_OK);
	return m.g;
}

ir_graph *onnx_import_file(ir_ctx *c, const char *path, const onnx_options *opt, onnx_status *status)
{
	onnx_imp m = {.c = c, .file = path};
	size_t n;
	uint8_t *buf = read_file(&m, path, &n);
	if (!buf) {
		set_status(status, m.status);
		return NULL;
	}
	ir_graph *g = onnx_import_bytes(c, path, buf, n, opt, status);
	free(buf);
	return g;
}

typedef struct tensor_job {
	onnx_imp *m;
	const Onnx__TensorProto *t;
	interp_tensor *out;
	const char **name;
} tensor_job;

static int load_tensor(ir_ctx *c, void *ud)
{
	tensor_job *j = ud;
	const void *data;
	int64_t size;
	if (onnx_tensor(j->m, j->t, "the tensor", &j->out->type, &data, &size) < 0)
		return -1;
	j->out->data = ir_alloc(c, (size_t)size);
	if (size)
		memcpy(j->out->data, data, (size_t)size);
	*j->name = j->t->name && j->t->name[0] ? ir_strdup(c, j->t->name) : NULL;
	return 0;
}

int onnx_load_tensor_file(ir_ctx *c, const char *path, interp_tensor *t, const char **name)
{
	onnx_imp m = {.c = c, .file = path};
	size_t n;
	uint8_t *buf = read_file(&m, path, &n);
	if (!buf)
		return -1;
	ProtobufCAllocator a;
	budget b;
	ProtobufCMessage *msg = unpack(&m, &onnx__tensor_proto__descriptor, buf, n, &a, &b);
	free(buf);
	if (!msg)
		return -1;
	const char *dummy;
	tensor_job j = {&m, (const Onnx__TensorProto *)msg, t, name ? name : &dummy};
	int rc = ir_protect(c, load_tensor, &j);
	protobuf_c_message_free_unpacked(msg, &a);
	return rc;
}

/* ---- --input-shape ------------------------------------------------------------------ */

/* One decimal dim at *p (advanced), 0..IR_MAX_DIM. */
static int parse_dim(const char **p, int64_t *d)
{
	const char *q = *p;
	int64_t v = 0;
	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (*q - '0');
		if (v > IR_MAX_DIM)
			return -1;
	}
	*p = q;
	*d = v;
	return 0;
}

int onnx_parse_shape_pin(const char *s, onnx_shape_pin *pin)
{
	const char *eq = strrchr(s, '=');
	if (!eq || eq == s)
		return -1;
	*pin = (onnx_shape_pin){.name = s, .name_len = (size_t)(eq - s)};
	const char *p = eq + 1;
	if (!*p)
		return 0;
	for (;;) {
		if (pin->rank == IR_MAX_RANK || parse_dim(&p, &pin->dims[pin->rank]) < 0)
			return -1;
		pin->rank++;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}
