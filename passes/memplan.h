/*
** memplan.h - static placement of buffers in one scratch arena.
**
** The input is a list of buffers, each with a size, an alignment and a live
** range of steps (op indices, inclusive).  Placement gives each an offset
** such that two buffers live at a common step never share a byte.  The
** arena size is then the largest offset + size.  No placement can beat the
** lower bound, the peak over steps of the bytes live at that step.
**
** Several greedy heuristics run in turn (by size, by breadth, by conflict
** count, in order of first use); the smallest arena wins, and the search
** stops as soon as one reaches the lower bound.  The result is
** deterministic: it depends only on the input list.
**
** Offsets are aligned relative to the arena base; the caller aligns the
** base itself to result.align, the largest alignment asked for.
*/
#ifndef CONDENSE_MEMPLAN_H
#define CONDENSE_MEMPLAN_H

#include <stdint.h>

#include "ir/ir.h"

typedef struct memplan_buf {
	int64_t size;          /* bytes, > 0 */
	int32_t first, last;   /* live over steps [first, last] */
	int64_t align;         /* a power of two */
	int64_t offset;        /* out: placement in the arena */
} memplan_buf;

typedef struct memplan_result {
	int64_t total;          /* arena bytes: max of offset + size */
	int64_t lower_bound;    /* peak of the bytes live at one step */
	int64_t align;          /* largest alignment of any buffer (1 when none) */
	const char *heuristic;  /* name of the winning heuristic */
	int32_t tried;          /* heuristics run before stopping */
} memplan_result;

/*
** Place bufs[0..n) by setting each offset and fill *r.  Returns -1 after a
** diagnostic when a buffer is invalid (size <= 0, last < first, align not a
** power of two), n is out of range, the arena size would overflow int64_t,
** or the context's arena is exhausted; offsets are then unchanged.
*/
int memplan_place(ir_ctx *c, memplan_buf *bufs, int32_t n, memplan_result *r);

#endif
