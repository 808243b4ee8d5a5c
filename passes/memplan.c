/*
** memplan.c - greedy buffer placement with a lower-bound stop.
**
** Every heuristic is an order plus a fit rule.  Buffers are placed one at a
** time in that order.  The placed buffers whose live ranges meet the new
** one, sorted by offset, delimit the gaps it may take: first fit takes the
** lowest gap that is big enough, best fit the smallest; without a gap the
** buffer goes above the highest of them.  Those buffers come from one of two
** places.  When buffers meet few others on average (activation chains), from
** per-buffer conflict lists, sorted on each use: about O(n * d log d) for a
** mean of d conflicts.  Otherwise from a scan of all placed buffers, kept
** sorted by offset: O(n^2) with small constants.  Both give the same plan.
** A heuristic is abandoned as soon as it cannot beat the best so far.
**
** Overflow: validation checks, once, that the sum over buffers of
** size + align - 1 fits in int64_t.  A buffer is never placed higher than
** that sum over the buffers placed before it and itself, so no later offset,
** end or live sum can overflow.
*/
#include <stdlib.h>
#include <string.h>

#include "passes/memplan.h"

#define MP_SPARSE_DEGREE 64  /* mean conflicts per buffer up to which lists pay */

typedef struct mp_item {
	int64_t size, align, off;
	int32_t first, last;
} mp_item;

/* A placed buffer, as the placement scan reads it. */
typedef struct mp_span {
	int64_t off, end;
	int32_t first, last;
} mp_span;

typedef struct mp_key {
	int64_t k[3];
	int32_t id;
} mp_key;

typedef struct mp_plan {
	int32_t n;
	mp_item *it;
	int64_t *conflicts;  /* per buffer: how many others it meets in time */
	mp_key *keys;
	mp_span *placed;     /* placed buffers, by offset */
	int32_t *adj_at;     /* sparse graphs: i meets adj[adj_at[i]..adj_at[i+1]) */
	int32_t *adj;
	mp_span *near;       /* sparse graphs: the placed buffers i meets */
	int64_t *best;       /* offsets of the best plan so far */
	int64_t best_total;
} mp_plan;

typedef void mp_keyfn(const mp_plan *p, int32_t i, mp_key *k);

typedef struct mp_heuristic {
	const char *name;
	mp_keyfn *key;
	bool best_fit;
} mp_heuristic;

static bool meets(const mp_item *a, const mp_span *b)
{
	return a->first <= b->last && b->first <= a->last;
}

static int64_t align_up(int64_t x, int64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int cmp_key(const void *va, const void *vb)
{
	const mp_key *a = va, *b = vb;
	for (int i = 0; i < 3; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int cmp_i32(const void *va, const void *vb)
{
	int32_t a = *(const int32_t *)va, b = *(const int32_t *)vb;
	return (a > b) - (a < b);
}

/* ---- orders --------------------------------------------------------------- */

static int64_t span(const mp_item *it)
{
	return (int64_t)it->last - it->first + 1;
}

static void key_size(const mp_plan *p, int32_t i, mp_key *k)
{
	*k = (mp_key){{-p->it[i].size, p->it[i].first, 0}, i};
}

/* size * span, up to 2^126, split in two 63-bit halves. */
static void key_area(const mp_plan *p, int32_t i, mp_key *k)
{
	unsigned __int128 a = (unsigned __int128)p->it[i].size * (uint64_t)span(&p->it[i]);
	int64_t hi = (int64_t)(a >> 63), lo = (int64_t)(a & (((unsigned __int128)1 << 63) - 1));
	*k = (mp_key){{-hi, -lo, -p->it[i].size}, i};
}

static void key_conflicts(const mp_plan *p, int32_t i, mp_key *k)
{
	*k = (mp_key){{-p->conflicts[i], -p->it[i].size, p->it[i].first}, i};
}

static void key_first_use(const mp_plan *p, int32_t i, mp_key *k)
{
	*k = (mp_key){{p->it[i].first, -p->it[i].size, 0}, i};
}

static const mp_heuristic heuristics[] = {
	{"size", key_size, false},
	{"breadth", key_area, false},
	{"conflicts", key_conflicts, true},
	{"first-use", key_first_use, true},
};

/* ---- placement ------------------------------------------------------------ */

/*
** The offset for b among the placed spans s[0..n), sorted by offset: the
** lowest (first fit) or tightest (best fit) gap between those it meets in
** time, else above all of them.  Spans at equal offsets may come in any
** order: after the first, the gap below the next is negative.
*/
static int64_t fit(const mp_item *b, const mp_span *s, int32_t n, bool best_fit)
{
	int64_t top = 0, at = -1, room = INT64_MAX;
	for (int32_t k = 0; k < n; k++) {
		const mp_span *o = &s[k];
		if (!meets(b, o))
			continue;
		int64_t lo = align_up(top, b->align), gap = o->off - lo;
		if (gap >= b->size && gap < room) {
			at = lo;
			room = gap;
			if (!best_fit || gap == b->size)
				break;
		}
		if (o->end > top)
			top = o->end;
	}
	return at >= 0 ? at : align_up(top, b->align);
}

/* Insert buffer i into placed[0..n), after any at the same offset. */
static void insert_by_offset(mp_plan *p, int32_t n, int32_t i)
{
	const mp_item *b = &p->it[i];
	int32_t lo = 0, hi = n;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (p->placed[mid].off <= b->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&p->placed[lo + 1], &p->placed[lo], (size_t)(n - lo) * sizeof *p->placed);
	p->placed[lo] = (mp_span){b->off, b->off + b->size, b->first, b->last};
}

static int cmp_span(const void *va, const void *vb)
{
	const mp_span *a = va, *b = vb;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return (a->end > b->end) - (a->end < b->end);
}

/* Offset for buffer i, placed[0..n) holding the buffers placed so far. */
static int64_t place(mp_plan *p, int32_t n, int32_t i, bool best_fit)
{
	if (!p->adj_at) {
		int64_t off = fit(&p->it[i], p->placed, n, best_fit);
		p->it[i].off = off;
		insert_by_offset(p, n, i);
		return off;
	}
	int32_t m = 0;
	for (int32_t k = p->adj_at[i]; k < p->adj_at[i + 1]; k++) {
		const mp_item *o = &p->it[p->adj[k]];
		if (o->off >= 0)
			p->near[m++] = (mp_span){o->off, o->off + o->size, o->first, o->last};
	}
	qsort(p->near, (size_t)m, sizeof *p->near, cmp_span);
	return p->it[i].off = fit(&p->it[i], p->near, m, best_fit);
}

/* Run one heuristic; returns its arena size, or -1 once it cannot win. */
static int64_t run(mp_plan *p, const mp_heuristic *h)
{
	for (int32_t i = 0; i < p->n; i++) {
		h->key(p, i, &p->keys[i]);
		p->it[i].off = -1;
	}
	qsort(p->keys, (size_t)p->n, sizeof *p->keys, cmp_key);
	int64_t total = 0;
	for (int32_t k = 0; k < p->n; k++) {
		int32_t i = p->keys[k].id;
		int64_t end = place(p, k, i, h->best_fit) + p->it[i].size;
		if (end > total)
			total = end;
		if (total >= p->best_total)
			return -1;
	}
	return total;
}

/* ---- bounds --------------------------------------------------------------- */

typedef struct mp_event {
	int64_t step, delta;
} mp_event;

static int cmp_event(const void *va, const void *vb)
{
	const mp_event *a = va, *b = vb;
	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	return (a->delta > b->delta) - (a->delta < b->delta);
}

/* Peak live bytes: a sweep where a buffer leaves at last + 1 before any
** buffer arrives at that step. */
static int64_t lower_bound(ir_ctx *c, const mp_plan *p)
{
	mp_event *ev = ir_alloc_array(c, 2 * (size_t)p->n, sizeof *ev);
	for (int32_t i = 0; i < p->n; i++) {
		ev[2 * i] = (mp_event){p->it[i].first, p->it[i].size};
		ev[2 * i + 1] = (mp_event){(int64_t)p->it[i].last + 1, -p->it[i].size};
	}
	qsort(ev, 2 * (size_t)p->n, sizeof *ev, cmp_event);
	int64_t live = 0, peak = 0;
	for (size_t k = 0; k < 2 * (size_t)p->n; k++) {
		live += ev[k].delta;
		if (live > peak)
			peak = live;
	}
	return peak;
}

/* Index of the first element of sorted v[0..n) greater than x. */
static int32_t upper(const int32_t *v, int32_t n, int64_t x)
{
	int32_t lo = 0, hi = n;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Buffers met by i: all but those ending before it starts, those starting
** after it ends, and itself. */
static void count_conflicts(ir_ctx *c, mp_plan *p)
{
	int32_t *firsts = ir_alloc_array(c, (size_t)p->n, sizeof *firsts);
	int32_t *lasts = ir_alloc_array(c, (size_t)p->n, sizeof *lasts);
	for (int32_t i = 0; i < p->n; i++) {
		firsts[i] = p->it[i].first;
		lasts[i] = p->it[i].last;
	}
	qsort(firsts, (size_t)p->n, sizeof *firsts, cmp_i32);
	qsort(lasts, (size_t)p->n, sizeof *lasts, cmp_i32);
	for (int32_t i = 0; i < p->n; i++) {
		int64_t before = upper(lasts, p->n, (int64_t)p->it[i].first - 1);
		int64_t after = p->n - upper(firsts, p->n, p->it[i].last);
		p->conflicts[i] = p->n - before - after - 1;
	}
}

/*
** Conflict lists, kept only when buffers meet few others on average, so
** that sorting a buffer's placed neighbours beats scanning all placed ones.
** In order of first step, i meets exactly the later j with first_j <= last_i.
*/
static void build_adjacency(ir_ctx *c, mp_plan *p)
{
	int64_t degrees = 0;
	for (int32_t i = 0; i < p->n; i++)
		degrees += p->conflicts[i];
	if (degrees > MP_SPARSE_DEGREE * (int64_t)p->n)
		return;
	p->adj_at = ir_alloc_array(c, (size_t)p->n + 1, sizeof *p->adj_at);
	p->adj = ir_alloc_array(c, (size_t)degrees, sizeof *p->adj);
	p->near = ir_alloc_array(c, (size_t)p->n, sizeof *p->near);
	int32_t *fill = ir_alloc_array(c, (size_t)p->n, sizeof *fill);
	for (int32_t i = 0; i < p->n; i++)
		p->adj_at[i + 1] = p->adj_at[i] + (int32_t)p->conflicts[i];
	for (int32_t i = 0; i < p->n; i++) {
		fill[i] = p->adj_at[i];
		key_first_use(p, i, &p->keys[i]);
	}
	qsort(p->keys, (size_t)p->n, sizeof *p->keys, cmp_key);
	for (int32_t a = 0; a < p->n; a++) {
		int32_t i = p->keys[a].id;
		for (int32_t b = a + 1; b < p->n && p->it[p->keys[b].id].first <= p->it[i].last; b++) {
			int32_t j = p->keys[b].id;
			p->adj[fill[i]++] = j;
			p->adj[fill[j]++] = i;
		}
	}
}

/* ---- entry ---------------------------------------------------------------- */

/* Check every buffer and that the worst-case arena fits in int64_t. */
static int validate(ir_ctx *c, const memplan_buf *b, int32_t n, int64_t *max_align)
{
	if (n < 0)
		return ir_error(c, (ir_loc){0}, "memory plan: negative buffer count %d", (int)n);
	if (ir_check_limit(c, (ir_loc){0}, "buffers in a memory plan", n, IR_MAX_VALUES) < 0)
		return -1;
	int64_t sum = 0;
	*max_align = 1;
	for (int32_t i = 0; i < n; i++) {
		if (b[i].size <= 0)
			return ir_error(c, (ir_loc){0}, "memory plan: buffer %d has size %lld (must be > 0)",
					(int)i, (long long)b[i].size);
		if (b[i].last < b[i].first)
			return ir_error(c, (ir_loc){0},
					"memory plan: buffer %d is live over steps [%d, %d] (last before first)",
					(int)i, (int)b[i].first, (int)b[i].last);
		if (b[i].align <= 0 || (b[i].align & (b[i].align - 1)))
			return ir_error(c, (ir_loc){0},
					"memory plan: buffer %d has alignment %lld (must be a power of two)",
					(int)i, (long long)b[i].align);
		if (__builtin_add_overflow(sum, b[i].size, &sum) ||
		    __builtin_add_overflow(sum, b[i].align - 1, &sum))
			return ir_error(c, (ir_loc){0}, "memory plan: the arena size overflows (buffer %d)", (int)i);
		if (b[i].align > *max_align)
			*max_align = b[i].align;
	}
	return 0;
}

typedef struct mp_job {
	memplan_buf *bufs;
	int32_t n;
	memplan_result *r;
} mp_job;

static mp_plan plan_new(ir_ctx *c, const memplan_buf *b, int32_t n)
{
	size_t m = (size_t)n;
	mp_plan p = {
		.n = n,
		.it = ir_alloc_array(c, m, sizeof(mp_item)),
		.conflicts = ir_alloc_array(c, m, sizeof(int64_t)),
		.keys = ir_alloc_array(c, m, sizeof(mp_key)),
		.placed = ir_alloc_array(c, m, sizeof(mp_span)),
		.best = ir_alloc_array(c, m, sizeof(int64_t)),
		.best_total = INT64_MAX,
	};
	for (int32_t i = 0; i < n; i++)
		p.it[i] = (mp_item){b[i].size, b[i].align, 0, b[i].first, b[i].last};
	count_conflicts(c, &p);
	build_adjacency(c, &p);
	return p;
}

/* Run heuristics in table order until one reaches the lower bound. */
static int place_all(ir_ctx *c, void *ud)
{
	mp_job *j = ud;
	mp_plan p = plan_new(c, j->bufs, j->n);
	j->r->lower_bound = lower_bound(c, &p);
	int n_h = (int)(sizeof heuristics / sizeof heuristics[0]);
	for (int h = 0; h < n_h && p.best_total > j->r->lower_bound; h++) {
		int64_t total = run(&p, &heuristics[h]);
		j->r->tried++;
		if (total < 0)
			continue;
		p.best_total = total;
		j->r->heuristic = heuristics[h].name;
		for (int32_t i = 0; i < p.n; i++)
			p.best[i] = p.it[i].off;
	}
	for (int32_t i = 0; i < p.n; i++)
		j->bufs[i].offset = p.best[i];
	j->r->total = p.best_total;
	return 0;
}

int memplan_place(ir_ctx *c, memplan_buf *bufs, int32_t n, memplan_result *r)
{
	*r = (memplan_result){0, 0, 1, "none", 0};
	if (validate(c, bufs, n, &r->align) < 0)
		return -1;
	if (n == 0)
		return 0;
	mp_job j = {bufs, n, r};
	if (ir_protect(c, place_all, &j) < 0) {
		*r = (memplan_result){0, 0, 1, "none", 0};
		return -1;
	}
	return 0;
}
