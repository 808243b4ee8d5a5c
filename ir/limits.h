/*
** limits.h - every hard limit of the compiler, in one place.
**
** Input that exceeds a limit is rejected through ir_check_limit() with the
** message "too many WHAT (limit is N)".  Each limit is tested at N and N+1.
*/
#ifndef CONDENSE_LIMITS_H
#define CONDENSE_LIMITS_H

#define IR_MAX_RANK 8                       /* dims of one tensor */
#define IR_MAX_DIM ((int64_t)1 << 40)        /* size of one dimension */
#define IR_MAX_ELEMENTS ((int64_t)1 << 40)   /* elements of one tensor */
#define IR_MAX_OPERANDS 4096                 /* operands or results of one op */
#define IR_MAX_ATTRS 64                      /* attributes of one op */
#define IR_MAX_ATTR_ELEMS 4096               /* elements of one list attribute */
#define IR_MAX_OPS 1000000                   /* ops in one graph */
#define IR_MAX_VALUES 4000000                /* values in one graph */
#define IR_MAX_IO 4096                       /* graph inputs, and graph outputs */
#define IR_MAX_NAME_LEN 4096                 /* bytes of one name or string */
#define IR_MAX_BLOB_BYTES ((int64_t)1 << 32) /* bytes of one constant */
#define IR_MAX_TEXT_BYTES ((size_t)1 << 32)  /* bytes of one .cir file */
#define IR_MAX_INLINE_BYTES 64               /* constants up to this size print inline */
#define IR_MAX_DIAGS 100                     /* diagnostics before the rest are dropped */
#define IR_MAX_PASS_ITERATIONS 10            /* rounds of a fixpoint pass (canonicalize) */
#define IR_DEFAULT_ARENA_LIMIT ((size_t)8 << 30) /* bytes one compilation may allocate */

/* ONNX import (frontend/) */
#define ONNX_MAX_FILE_BYTES ((int64_t)2 << 30)   /* protobuf's own 2 GiB message limit */
#define ONNX_MAX_NESTING 64                      /* message nesting (graph -> node -> attribute -> graph ...) */
#define ONNX_MAX_UNPACK_BYTES ((size_t)8 << 30)   /* protobuf-c allocations while unpacking one model */
#define ONNX_MAX_NODES IR_MAX_OPS                /* nodes in one graph */
#define ONNX_MAX_FOLD_BYTES ((int64_t)64 << 20)  /* a tensor evaluated at import (folds, ConstantOfShape, Range) */
#define IR_MAX_FOLD_WORK ((int64_t)1 << 30)       /* multiply-adds (or element steps) of one folded op, ~1 s */
#define ONNX_MIN_OPSET 9                         /* default-domain opsets accepted */
#define ONNX_MAX_OPSET 17

#endif
