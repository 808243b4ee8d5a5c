/*
** dce.c - dead-code elimination.
**
** An op is dead when none of its results is used by a live op or a graph
** output.  One backward sweep over the topological order decides it: when
** an op dies, the use counts of its operands drop, so the ops that fed only
** it are seen as dead when the sweep reaches them and a whole dead chain
** goes in one run.  Graph inputs are values, not ops, and are never removed.
** Every op is pure, so liveness is the only criterion.
*/
#include "passes/pass.h"

static bool unused(const ir_op *op, const uint32_t *uses)
{
	for (int32_t i = 0; i < op->n_out; i++)
		if (uses[op->out[i]])
			return false;
	return true;
}

int pass_dce(ir_graph *g, pass_stats *st)
{
	uint32_t *uses = ir_use_counts(g);
	int64_t removed = 0;
	for (uint32_t i = g->n_ops; i-- > 0;) {
		ir_op *op = g->ops[i];
		if (!unused(op, uses))
			continue;
		op->dead = true;
		for (int32_t j = 0; j < op->n_in; j++)
			if (op->in[j] != IR_NOVAL)
				uses[op->in[j]]--;
		removed++;
	}
	if (removed)
		ir_graph_compact(g);
	st->changed += removed;
	return 0;
}
