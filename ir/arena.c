/*
** arena.c - per-compilation memory, diagnostics and the error boundary.
**
** The arena is a list of chunks; allocations bump a pointer and are never
** freed one by one.  Requests larger than a quarter of the default chunk get
** a chunk of their own, so big constants waste nothing.  The arena enforces a
** byte limit: exhaustion emits "out of memory" and longjmps to the innermost
** ir_protect() boundary, so callers below a boundary never see NULL.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define ALIGN 16

typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(ALIGN) unsigned char mem[];
} chunk;

struct ir_arena {
	chunk *head;
	size_t total;  /* bytes obtained from malloc, chunk headers included */
	size_t limit;
};

ir_ctx *ir_ctx_new(size_t arena_limit)
{
	ir_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->arena = calloc(1, sizeof *c->arena);
	if (!c->arena) {
		free(c);
		return NULL;
	}
	c->arena->limit = arena_limit ? arena_limit : IR_DEFAULT_ARENA_LIMIT;
	c->diag_out = stderr;
	return c;
}

void ir_ctx_free(ir_ctx *c)
{
	if (!c)
		return;
	for (chunk *k = c->arena->head, *next; k; k = next) {
		next = k->next;
		free(k);
	}
	free(c->arena);
	free(c);
}

size_t ir_arena_used(const ir_ctx *c)
{
	return c->arena->total;
}

/* Unwind to the innermost boundary; with none, there is no safe way on. */
static void oom(ir_ctx *c, size_t size)
{
	ir_error(c, (ir_loc){0}, "out of memory: allocating %zu bytes would exceed the limit of %zu bytes",
		 size, c->arena->limit);
	if (c->jmp)
		longjmp(*(jmp_buf *)c->jmp, 1);
	abort(); /* internal error: allocation outside any ir_protect boundary */
}

/* Get a chunk with room for size bytes, linking it behind the head so that
** a dedicated big chunk does not strand the current small one. */
static chunk *new_chunk(ir_ctx *c, size_t size)
{
	ir_arena *a = c->arena;
	size_t cap = size > CHUNK_BYTES / 4 ? size : CHUNK_BYTES;
	if (cap > a->limit || a->total > a->limit - cap - sizeof(chunk))
		oom(c, size);
	chunk *k = malloc(sizeof(chunk) + cap);
	if (!k)
		oom(c, size);
	k->used = 0;
	k->cap = cap;
	a->total += sizeof(chunk) + cap;
	if (a->head && cap != CHUNK_BYTES) {
		k->next = a->head->next;
		a->head->next = k;
	} else {
		k->next = a->head;
		a->head = k;
	}
	return k;
}

void *ir_alloc(ir_ctx *c, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		oom(c, size);
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	chunk *k = c->arena->head;
	if (!k || k->cap - k->used < size)
		k = new_chunk(c, size);
	void *p = k->mem + k->used;
	k->used += size;
	memset(p, 0, size);
	return p;
}

void *ir_alloc_array(ir_ctx *c, size_t n, size_t sz)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, sz, &bytes))
		oom(c, SIZE_MAX);
	return ir_alloc(c, bytes);
}

char *ir_strndup(ir_ctx *c, const char *s, size_t n)
{
	char *d = ir_alloc(c, n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

char *ir_strdup(ir_ctx *c, const char *s)
{
	return s ? ir_strndup(c, s, strlen(s)) : NULL;
}

int ir_protect(ir_ctx *c, int (*fn)(ir_ctx *, void *), void *ud)
{
	jmp_buf jb;
	void *saved = c->jmp;
	volatile int rc = -1;
	c->jmp = &jb;
	if (setjmp(jb) == 0)
		rc = fn(c, ud);
	c->jmp = saved;
	return rc;
}

static void vdiag(ir_ctx *c, ir_loc loc, const char *kind, const char *fmt, va_list ap)
{
	char msg[sizeof c->first_error];
	char where[300] = "";
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (loc.file && loc.line)
		snprintf(where, sizeof where, "%s:%d:%d: ", loc.file, (int)loc.line, (int)loc.col);
	else if (loc.file)
		snprintf(where, sizeof where, "%s: ", loc.file);
	if (c->n_errors == 0 && kind[0] == 'e') { /* truncation of a long message is fine */
		size_t w = strlen(where), m = strlen(msg), room = sizeof c->first_error - 1;
		if (w > room)
			w = room;
		if (m > room - w)
			m = room - w;
		memcpy(c->first_error, where, w);
		memcpy(c->first_error + w, msg, m);
		c->first_error[w + m] = 0;
	}
	if (c->diag_out && c->n_errors < IR_MAX_DIAGS)
		fprintf(c->diag_out, "%s%s: %s\n", where, kind, msg);
}

int ir_error(ir_ctx *c, ir_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(c, loc, "error", fmt, ap);
	va_end(ap);
	if (c->n_errors == IR_MAX_DIAGS && c->diag_out)
		fprintf(c->diag_out, "note: too many errors (limit is %d); the rest are not shown\n",
			IR_MAX_DIAGS);
	c->n_errors++;
	return -1;
}

void ir_note(ir_ctx *c, ir_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (c->n_errors <= IR_MAX_DIAGS)
		vdiag(c, loc, "note", fmt, ap);
	va_end(ap);
}

int ir_check_limit(ir_ctx *c, ir_loc loc, const char *what, int64_t value, int64_t limit)
{
	if (value <= limit)
		return 0;
	return ir_error(c, loc, "too many %s (limit is %lld)", what, (long long)limit);
}
