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

typedef enum plan_kind {
	PLAN_NONE,      /* not a tensor of the running program (unused value) */
	PLAN_INPUT,     /* graph input `index` */
	PLAN_OUTPUT,    /* graph output `index` (the caller's buffer) */
	PLAN_CONST,     /* constant data */
	PLAN_SCRATCH,   /* scratch at `offset` */
} plan_kind;

typedef struct plan_loc {
	plan_kind kind;
	int32_t index;       /* INPUT/OUTPUT: position in the graph's list */
	int64_t offset;      /* SCRATCH: byte offset in the arena */
	ir_val root;         /* the value owning the storage (itself if not shared) */
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

/* Print the plan as text (one line per stored value, then the totals) for
** condense-opt --print-plan and its lit tests. */
int plan_print(const ir_graph *g, const plan_result *r, FILE *out);

#endif
