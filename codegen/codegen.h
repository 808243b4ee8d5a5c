/*
** codegen.h - compile a graph into a standalone object file and C header.
**
** The generated object needs no runtime library: it calls no function
** but memcpy and memset, reads its weights from constant data and keeps
** every intermediate tensor in one caller-owned scratch arena whose size
** and alignment the header states.  Entry points are re-entrant: all state
** lives in the caller's buffers.
**
** Everything the object defines is internal except the prefixed symbols
** PREFIX_run (typed entry) and PREFIX_model (the generic descriptor of
** runtime/condense_model.h), so several models link into one program.
** Output is deterministic: the same graph and options give byte-identical
** object, assembly, IR and header text.
*/
#ifndef CONDENSE_CODEGEN_H
#define CONDENSE_CODEGEN_H

#include <stdint.h>
#include <stdio.h>

#include "ir/ir.h"
#include "passes/plan.h"

/* The passes condense compile runs before code generation (also used by the
** compiled conformance runner, so both compile the same graphs). */
#define CG_PIPELINE "canonicalize,constfold,fold-bn,fuse-activation,cse,dce"

typedef enum cg_emit_kind {
	CG_EMIT_OBJ,
	CG_EMIT_ASM,
	CG_EMIT_LLVM,   /* textual LLVM IR after optimization */
} cg_emit_kind;

typedef struct cg_options {
	const char *triple;          /* NULL: the host */
	const char *cpu;             /* NULL: the triple's default (cg_target_defaults) */
	const char *features;        /* NULL: the triple's default; "+a,-b" */
	const char *prefix;          /* symbol prefix; NULL: from the graph name */
	const char *weights_section; /* NULL: the default constant section */
	int opt_level;               /* 0..3 */
	cg_emit_kind emit;
} cg_options;

/* Facts about one compiled model, for the header, the report and tests. */
typedef struct cg_result {
	const char *prefix;          /* the symbol prefix actually used */
	const char *triple, *cpu, *features;
	plan_result plan;            /* scratch placement */
	int64_t weight_bytes;        /* constant data emitted (after packing) */
	int64_t macs;                /* multiply-accumulates per run */
	const int64_t *op_macs;      /* per op index of the graph */
} cg_result;

/*
** Compile g (verified, all shapes static) and write the requested output
** (obj/asm/llvm) to out.  Returns -1 after a diagnostic on g's context:
** an unknown target, CPU or feature, an op or element type the code
** generator cannot compile, or an LLVM failure.
*/
int cg_compile(ir_graph *g, const cg_options *o, FILE *out, cg_result *r);

/* Write the C header of a compiled model (r from cg_compile on g). */
int cg_write_header(const ir_graph *g, const cg_result *r, FILE *out);

/* Write the JSON report: the header's facts plus per-op MACs and bytes. */
int cg_write_report(const ir_graph *g, const cg_result *r, FILE *out);
/* The same with more members: extra(out, ud) writes ",\n  \"name\": ..."
** after the standard ones (the int8 report's "quantization"). */
typedef int (*cg_report_extra)(FILE *out, void *ud);
int cg_write_report_ex(const ir_graph *g, const cg_result *r, FILE *out, cg_report_extra extra, void *ud);

/* A valid C identifier prefix from a graph or file name, in c's arena. */
const char *cg_prefix_from_name(ir_ctx *c, const char *name);

/* True when the code generator has a kernel for op on quantized types
** (docs/ir.md, "Quantized arithmetic"; ir_op_is_quantized); the others
** stay float between DequantizeLinear and QuantizeLinear (quant_unfold). */
bool cg_supports_quantized(const ir_graph *g, const ir_op *op);

#endif
