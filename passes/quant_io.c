/*
** quant_io.c - the quant-io pass: int8 at the graph's boundaries
** (`condense compile --quantize int8 --io int8`).
**
** After quantization the program still takes and returns floats: each
** float input goes through QuantizeLinear, each output comes out of a
** DequantizeLinear.  An application that has int8 data already (a camera
** pipeline, another int8 model) wants neither.  This pass
**   - retypes a float graph input whose every consumer is a QuantizeLinear
**     with one set of constant parameters to that quantized type, and
**     removes those QuantizeLinear ops (their results become the input);
**   - makes a graph output produced by a DequantizeLinear of a quantized
**     value the quantized value itself.
** The header then documents each quantized input and output and defines
** its scale and zero point (codegen/cg_header.c).  Inputs and outputs
** without that form stay float; dce removes the now unused parameters.
*/
#include "passes/pass.h"

/* The one set of parameters all consumers of input v agree on: the
** QuantizeLinear result type of the first consumer, or NULL. */
static const ir_type *input_target(ir_graph *g, ir_val v)
{
	const ir_type *t = NULL;
	bool used = false;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_in; j++) {
			if (op->in[j] != v)
				continue;
			const ir_type *q = ir_type_of(g, op->out[0]);
			if (op->kind != IR_OP_QUANTIZE || j != 0 || !q->quant || q->quant->axis >= 0 ||
			    (t && !ir_type_equal(t, q)))
				return NULL;
			t = q;
			used = true;
		}
	}
	for (uint32_t k = 0; k < g->n_outputs; k++)
		if (g->outputs[k].val == v)
			return NULL;
	return used ? t : NULL;
}

static int64_t quantize_input(ir_graph *g, ir_val v)
{
	const ir_type *t = input_target(g, v);
	if (!t)
		return 0;
	g->vals[v].type = *t;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		if (op->kind == IR_OP_QUANTIZE && op->in[0] == v) {
			ir_replace_uses(g, op->out[0], v);
			op->dead = true;
		}
	}
	return 1;
}

static int64_t quantize_output(ir_graph *g, ir_output *o)
{
	const ir_op *d = g->vals[o->val].def;
	if (!d || d->kind != IR_OP_DEQUANTIZE || !ir_type_of(g, d->in[0])->quant ||
	    ir_type_of(g, d->in[0])->quant->axis >= 0)
		return 0;
	o->val = d->in[0];
	return 1;
}

int pass_quant_io(ir_graph *g, pass_stats *st)
{
	int64_t n = 0;
	for (uint32_t i = 0; i < g->n_inputs; i++)
		n += quantize_input(g, g->inputs[i]);
	for (uint32_t k = 0; k < g->n_outputs; k++)
		n += quantize_output(g, &g->outputs[k]);
	ir_graph_compact(g);
	st->changed += n;
	return 0;
}
