/*
** cg_entry.c - the public symbols of a compiled model: the typed entry
** PREFIX_run, which checks its pointers before calling the body, and the
** descriptor PREFIX_model (runtime/condense_model.h) with its generic run.
*/
#include <ctype.h>
#include <string.h>

#include "codegen/cg_internal.h"
#include "runtime/condense_model.h"

int64_t cg_elem_align(ir_dtype dt)
{
	int bits = ir_dtype_bits(dt);
	return bits < 8 ? 1 : bits / 8;
}

const char *cg_prefix_from_name(ir_ctx *c, const char *name)
{
	if (!name || !*name)
		name = "model";
	size_t n = strlen(name);
	char *p = ir_alloc(c, n + 2), *q = p;
	if (isdigit((unsigned char)name[0]))
		*q++ = '_';
	for (size_t i = 0; i < n; i++)
		*q++ = isalnum((unsigned char)name[i]) ? (char)tolower((unsigned char)name[i]) : '_';
	return p;
}

/* ---- PREFIX_run ---------------------------------------------------------- */

/* if (cond) return code; */
static void return_if(cg *g, LLVMValueRef cond, int code)
{
	LLVMBasicBlockRef fail = cg_block(g, "fail"), ok = cg_block(g, "ok");
	LLVMBuildCondBr(g->b, cond, fail, ok);
	LLVMPositionBuilderAtEnd(g->b, fail);
	LLVMBuildRet(g->b, cg_i32(g, code));
	LLVMPositionBuilderAtEnd(g->b, ok);
}

/* (p == NULL, p misaligned to align) */
static void check_ptr(cg *g, LLVMValueRef p, int64_t align, LLVMValueRef *null, LLVMValueRef *mis)
{
	LLVMValueRef isnull = LLVMBuildIsNull(g->b, p, "");
	LLVMValueRef bits = LLVMBuildPtrToInt(g->b, p, g->t_i64, "");
	LLVMValueRef low = LLVMBuildAnd(g->b, bits, cg_i64(g, align - 1), "");
	LLVMValueRef bad = LLVMBuildICmp(g->b, LLVMIntNE, low, cg_i64(g, 0), "");
	*null = *null ? LLVMBuildOr(g->b, *null, isnull, "") : isnull;
	*mis = *mis ? LLVMBuildOr(g->b, *mis, bad, "") : bad;
}

static LLVMValueRef emit_run(cg *g, cg_frame *f, const char *prefix)
{
	ir_graph *gr = g->g;
	uint32_t np = gr->n_inputs + gr->n_outputs + 1;
	LLVMTypeRef *params = ir_alloc_array(g->c, np, sizeof *params);
	LLVMValueRef *args = ir_alloc_array(g->c, np, sizeof *args);
	for (uint32_t k = 0; k < np; k++)
		params[k] = g->t_ptr;
	char name[IR_MAX_NAME_LEN + 16];
	snprintf(name, sizeof name, "%s_run", prefix);
	LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->t_i32, params, np, 0));
	cg_noalias_params(g, fn);
	g->fn = fn;
	LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, fn, "entry"));
	LLVMValueRef null = NULL, mis = NULL;
	for (uint32_t k = 0; k + 1 < np; k++) {
		ir_val v = k < gr->n_inputs ? gr->inputs[k] : gr->outputs[k - gr->n_inputs].val;
		args[k] = LLVMGetParam(fn, k);
		check_ptr(g, args[k], cg_elem_align(ir_type_of(gr, v)->dtype), &null, &mis);
	}
	args[np - 1] = LLVMGetParam(fn, np - 1);
	if (f->plan->scratch_size > 0)
		check_ptr(g, args[np - 1], f->plan->scratch_align, &null, &mis);
	if (null) {
		return_if(g, null, CONDENSE_ERR_NULL);
		return_if(g, mis, CONDENSE_ERR_ALIGN);
	}
	LLVMBuildCall2(g->b, LLVMGlobalGetValueType(f->body), f->body, args, np, "");
	LLVMBuildRet(g->b, cg_i32(g, CONDENSE_OK));
	return fn;
}

/* run.generic(const void *const *in, void *const *out, void *scratch) */
static LLVMValueRef emit_generic(cg *g, LLVMValueRef run)
{
	ir_graph *gr = g->g;
	LLVMTypeRef params[3] = {g->t_ptr, g->t_ptr, g->t_ptr};
	LLVMValueRef fn = LLVMAddFunction(g->mod, "run.generic", LLVMFunctionType(g->t_i32, params, 3, 0));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	g->fn = fn;
	LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, fn, "entry"));
	LLVMValueRef ins = LLVMGetParam(fn, 0), outs = LLVMGetParam(fn, 1);
	LLVMValueRef bad = LLVMBuildIsNull(g->b, outs, "");
	if (gr->n_inputs)
		bad = LLVMBuildOr(g->b, bad, LLVMBuildIsNull(g->b, ins, ""), "");
	return_if(g, bad, CONDENSE_ERR_NULL);
	uint32_t np = gr->n_inputs + gr->n_outputs + 1;
	LLVMValueRef *args = ir_alloc_array(g->c, np, sizeof *args);
	for (uint32_t k = 0; k + 1 < np; k++) {
		bool in = k < gr->n_inputs;
		LLVMValueRef idx = cg_i64(g, in ? k : k - gr->n_inputs);
		LLVMValueRef slot = LLVMBuildInBoundsGEP2(g->b, g->t_ptr, in ? ins : outs, &idx, 1, "");
		args[k] = LLVMBuildLoad2(g->b, g->t_ptr, slot, "");
	}
	args[np - 1] = LLVMGetParam(fn, 2);
	LLVMBuildRet(g->b, LLVMBuildCall2(g->b, LLVMGlobalGetValueType(run), run, args, np, ""));
	return fn;
}

/* ---- the descriptor ----------------------------------------------------------- */

static LLVMValueRef private_const(cg *g, LLVMValueRef init, const char *name)
{
	LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	return gv;
}

static LLVMValueRef cstring(cg *g, const char *s)
{
	return private_const(g, LLVMConstStringInContext(g->lc, s, (unsigned)strlen(s), 0), "str");
}

static LLVMTypeRef tensor_type(cg *g)
{
	LLVMTypeRef f[] = {g->t_ptr, g->t_i32, g->t_i32, g->t_ptr, g->t_i64, g->t_i64,
			   g->t_i32, g->t_i32, g->t_ptr, g->t_ptr};
	return LLVMStructTypeInContext(g->lc, f, 10, 0);
}

static LLVMValueRef quant_array(cg *g, const ir_quant *q, bool scales)
{
	LLVMValueRef *e = ir_alloc_array(g->c, (size_t)q->n, sizeof *e);
	for (int32_t i = 0; i < q->n; i++)
		e[i] = scales ? cg_f32(g, q->scale[i]) : cg_i32(g, q->zero[i]);
	LLVMTypeRef t = scales ? g->t_f32 : g->t_i32;
	return private_const(g, LLVMConstArray2(t, e, (uint64_t)q->n), scales ? "scale" : "zero");
}

static LLVMValueRef tensor_info(cg *g, const char *name, const ir_type *t)
{
	LLVMValueRef dims[IR_MAX_RANK + 1];
	for (int i = 0; i < t->rank; i++)
		dims[i] = cg_i64(g, t->dims[i]);
	LLVMValueRef dimsg = private_const(g, LLVMConstArray2(g->t_i64, dims, (uint64_t)t->rank), "dims");
	int64_t count = cg_numel(t), bytes = 0;
	ir_type_bytes(t, &bytes);
	const ir_quant *q = t->quant;
	LLVMValueRef null = LLVMConstPointerNull(g->t_ptr);
	LLVMValueRef f[] = {cstring(g, name ? name : ""), cg_i32(g, (int32_t)t->dtype),
			    cg_i32(g, t->rank), dimsg, cg_i64(g, count), cg_i64(g, bytes),
			    cg_i32(g, q ? q->axis : -1), cg_i32(g, q ? q->n : 0),
			    q ? quant_array(g, q, true) : null, q ? quant_array(g, q, false) : null};
	return LLVMConstNamedStruct(tensor_type(g), f, 10);
}

static LLVMValueRef tensor_array(cg *g, bool inputs)
{
	ir_graph *gr = g->g;
	uint32_t n = inputs ? gr->n_inputs : gr->n_outputs;
	if (!n)
		return LLVMConstPointerNull(g->t_ptr);
	LLVMValueRef *e = ir_alloc_array(g->c, n, sizeof *e);
	for (uint32_t k = 0; k < n; k++) {
		ir_val v = inputs ? gr->inputs[k] : gr->outputs[k].val;
		const char *name = inputs ? gr->vals[v].name : gr->outputs[k].name;
		e[k] = tensor_info(g, name, ir_type_of(gr, v));
	}
	return private_const(g, LLVMConstArray2(tensor_type(g), e, n), inputs ? "inputs" : "outputs");
}

static void emit_descriptor(cg *g, cg_frame *f, const char *prefix, LLVMValueRef generic)
{
	LLVMTypeRef ft[] = {g->t_i32, g->t_i32, g->t_i32, g->t_ptr, g->t_ptr, g->t_ptr,
			    g->t_i64, g->t_i64, g->t_ptr};
	LLVMTypeRef mt = LLVMStructTypeInContext(g->lc, ft, 9, 0);
	LLVMValueRef fv[] = {cg_i32(g, CONDENSE_ABI_VERSION), cg_i32(g, (int32_t)g->g->n_inputs),
			     cg_i32(g, (int32_t)g->g->n_outputs), cstring(g, prefix),
			     tensor_array(g, true), tensor_array(g, false),
			     cg_i64(g, f->plan->scratch_size), cg_i64(g, f->plan->scratch_align), generic};
	char name[IR_MAX_NAME_LEN + 16];
	snprintf(name, sizeof name, "%s_model", prefix);
	LLVMValueRef gv = LLVMAddGlobal(g->mod, mt, name);
	LLVMSetInitializer(gv, LLVMConstStructInContext(g->lc, fv, 9, 0));
	LLVMSetGlobalConstant(gv, 1);
}

int cg_emit_entries(cg *g, cg_frame *f, const char *prefix)
{
	LLVMValueRef run = emit_run(g, f, prefix);
	emit_descriptor(g, f, prefix, emit_generic(g, run));
	return 0;
}
