/*
** cg_target.h - the resolved compilation target (internal).
*/
#ifndef CONDENSE_CG_TARGET_H
#define CONDENSE_CG_TARGET_H

#include <llvm-c/TargetMachine.h>

#include "codegen/codegen.h"

typedef struct cg_target {
	const char *triple, *cpu, *features, *abi;
	LLVMTargetMachineRef tm;
	int vec_bytes;
} cg_target;

/* Resolve o's target (defaults, host), validate CPU and features against
** LLVM's lists, and create the target machine.  -1 after a diagnostic. */
int cg_target_open(ir_ctx *c, const cg_options *o, cg_target *t);
void cg_target_close(cg_target *t);

#endif
