/*
** cg_internal.h - shared between the module builder's files (not for
** kernel emitters).
*/
#ifndef CONDENSE_CG_INTERNAL_H
#define CONDENSE_CG_INTERNAL_H

#include "codegen/cg.h"

typedef struct cg_consts cg_consts;

typedef struct cg_frame {
	const plan_result *plan;
	LLVMValueRef body;          /* body(inputs..., outputs..., scratch) */
	LLVMValueRef scratch;       /* its scratch parameter */
	LLVMValueRef *const_ptr;    /* per value: global of a constant */
	int64_t *op_macs;           /* per op */
} cg_frame;

/* PREFIX_run, run.generic and PREFIX_model around the body (cg_entry.c). */
int cg_emit_entries(cg *g, cg_frame *f, const char *prefix);

/* Mark every parameter of fn noalias (buffers of the caller's contract). */
void cg_noalias_params(cg *g, LLVMValueRef fn);

/* Refuse, with cg_unsupported, every op whose quantized form (docs/ir.md,
** "Quantized arithmetic") has no kernel yet (cg_check.c).  Runs before
** planning, so no emitter ever sees one: a quantized Add must never be
** compiled as a plain integer add. */
int cg_check_quantized(cg *g);

/* Bytes per element for alignment checks (1 for sub-byte and bool). */
int64_t cg_elem_align(ir_dtype dt);

#endif
