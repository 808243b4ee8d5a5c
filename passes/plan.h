/*
** plan.h - the static memory plan of a graph: where every tensor lives
** while the compiled model runs.
**
** Graph inputs and outputs stay in the caller's buffers; constants are
** read-only data; every other tensor gets a byte offset into one scratch
** arena.  Steps are op indices in graph order.  A tensor is live from the
** op defining it to its last use.  Two ways make tensors share storage:
**
**  - views: the result of a reshape-like op (Reshape, Flatten, Squeeze,
**    Unsqueeze, Identity) is the operand's bytes under another shape, so it
**    takes its operand's storage (unless it is a graph output);
**  - in place: an elementwise op (unary, Clip, binary, Where, a Cast between
**    types of equal width) whose result has the size of an operand that
**    dies at this op and lives in scratch writes over that operand.
**
** Fusion takes some values out of memory altogether.  A fused group is a
** tree of elementwise ops (unary, binary, Clip, Cast; not Where, which
** moves bits) whose root op R computes every internal value inside its own
** loop, element by element, and stores only its result.  A value is
** internal (PLAN_FUSED) when it is the result of such an op, has exactly
** one use, by an op of the group (not as a Clip bound), is not a graph
** output, is not i4, is computed and read by ops on no quantized tensor
** (their arithmetic is on real values), and has exactly R's result shape:
** leaves (the values the group reads) may broadcast, intermediates may
** not, as they would be recomputed.  The ops computing internal values
** emit no code; the leaves stay live until R's step, and R writes in place
** over a leaf only when that leaf has R's shape and element size and dies
** at R.  Groups are formed greedily in graph order and bounded by
** PLAN_FUSE_MAX_OPS ops and PLAN_FUSE_MAX_LEAVES distinct leaves.
**
** A kernel may also ask for a workspace, live only during its op.  The
** buffers (storage roots and workspaces) are placed by memplan_place, which
** also gives the lower bound of the arena.
*/
#ifndef CONDENSE_PLAN_H
#define CONDENSE_PLAN_H

#include <stdint.h>

#include "ir/ir.h"
#include "passes/memplan.h"

/* Every scratch buffer's alignment: a cache line, and enough for any
** vector load. */
#define PLAN_ALIGN 64

/* The largest fused group: ops (the root included) and distinct leaves.
** The kernel emitter sizes its arrays by them. */
#define PLAN_FUSE_MAX_OPS 16
#define PLAN_FUSE_MAX_LEAVES 8

typedef enum plan_kind {
	PLAN_NONE,      /* not a tensor of the running program (unused value) */
	PLAN_INPUT,     /* graph input `index` */
	PLAN_OUTPUT,    /* graph output `index` (the caller's buffer) */
	PLAN_CONST,     /* constant data */
	PLAN_SCRATCH,   /* scratch at `offset` */
	PLAN_FUSED,     /* no storage: computed inside the loop of `into` */
} plan_kind;

typedef struct plan_loc {
	plan_kind kind;
	int32_t index;       /* INPUT/OUTPUT: position in the graph's list */
	int64_t offset;      /* SCRATCH: byte offset in the arena */
	ir_val root;         /* the value owning the storage (itself if not shared) */
	ir_val into;         /* FUSED: the result of the group's root op */
} plan_loc;

typedef struct plan_result {
	plan_loc *loc;            /* per value, indexed by ir_val (n_vals entries) */
	int64_t *ws_offset;       /* per op: workspace offset, -1 when none */
	int64_t *ws_size;         /* per op: workspace bytes, 0 when none */
	int64_t scratch_size;     /* arena bytes (0 when nothing lives in it) */
	int64_t scratch_align;    /* PLAN_ALIGN */
	int64_t lower_bound;      /* peak bytes simultaneously live */
	int32_t n_buffers;        /* storage roots and workspaces placed */
	int32_t n_inplace;        /* ops computing over an operand */
	int32_t n_views;          /* results sharing their operand's bytes */
	int32_t n_fused;          /* values computed inside a consumer's loop */
	const char *heuristic;    /* winning placement heuristic */
} plan_result;

/* Workspace bytes a kernel needs for op (0 for none); see cg_workspace. */
typedef int64_t (*plan_workspace_fn)(const ir_graph *g, const ir_op *op, void *ud);

/*
** Plan g's memory.  ws may be NULL (no workspaces).  Arrays are allocated
** in g's context.  Returns -1 after a diagnostic (sizes overflowing, too
** many buffers).
*/
int plan_graph(ir_graph *g, plan_workspace_fn ws, void *ud, plan_result *r);

/* True when op may write its result over operand i (same bytes, elementwise). */
bool plan_can_overwrite(const ir_graph *g, const ir_op *op, int i);

/* True when op's result is a view of its first operand. */
bool plan_is_view(const ir_op *op);

/* True when op is the root of a fused group (an operand is PLAN_FUSED). */
bool plan_is_group_root(const plan_result *r, const ir_op *op);

/*
** The distinct values the group rooted at op reads, in depth-first operand
** order (absent operands skipped), into leaves, which has room for cap;
** returns their number (at most cap).  For an op that is no group root
** these are its distinct operands.  A planned group has at most
** PLAN_FUSE_MAX_LEAVES.
*/
int plan_group_leaves(const ir_graph *g, const plan_result *r, const ir_op *op, ir_val *leaves,
		      int cap);

/* Print the plan as text (one line per stored value, then the totals) for
** condense-opt --print-plan and its lit tests. */
int plan_print(const ir_graph *g, const plan_result *r, FILE *out);

#endif
