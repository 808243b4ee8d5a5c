/*
** activation.c - fused activations: the `activation` and
** `activation_params` attributes that fusion sets on Conv, Gemm and Add.
*/
#include <string.h>

#include "ir/ir.h"

static const struct {
	const char *name;
	ir_act_kind kind;
	int32_t n_params;
} acts[] = {
	{"none", IR_ACT_NONE, 0},
	{"Relu", IR_ACT_RELU, 0},
	{"Clip", IR_ACT_CLIP, 2},
	{"LeakyRelu", IR_ACT_LEAKYRELU, 1},
};

#define NACTS ((int)(sizeof acts / sizeof acts[0]))

const char *ir_act_name(ir_act_kind k)
{
	return (unsigned)k < (unsigned)NACTS ? acts[k].name : "?";
}

int ir_op_activation(const ir_op *op, ir_activation *a)
{
	const ir_attr *at = ir_op_attr(op, "activation");
	const ir_attr *p = ir_op_attr(op, "activation_params");
	int32_t np = p && p->kind == IR_ATTR_FLOATS ? p->n : 0;
	*a = (ir_activation){IR_ACT_NONE, 0, 0, 0};
	if (!at)
		return np ? -1 : 0;
	if (at->kind != IR_ATTR_STR)
		return -1;
	for (int i = 0; i < NACTS; i++) {
		if (strcmp(at->u.s, acts[i].name))
			continue;
		if (np != acts[i].n_params)
			return -1;
		a->kind = acts[i].kind;
		if (a->kind == IR_ACT_CLIP) {
			a->lo = p->u.floats[0];
			a->hi = p->u.floats[1];
			return a->lo <= a->hi ? 0 : -1;
		}
		if (a->kind == IR_ACT_LEAKYRELU)
			a->alpha = p->u.floats[0];
		return 0;
	}
	return -1;
}

float ir_act_apply(const ir_activation *a, float x)
{
	switch (a->kind) {
	case IR_ACT_RELU: return x < 0 ? 0 : x;
	case IR_ACT_CLIP: return x < a->lo ? a->lo : x > a->hi ? a->hi : x;
	case IR_ACT_LEAKYRELU: return x < 0 ? a->alpha * x : x;
	default: return x;
	}
}
