/*
** condense_model.h - the generic descriptor of a compiled model.
**
** Every object condense compiles defines `const condense_model
** PREFIX_model`, next to the typed entry PREFIX_run of its header, so that
** generic code (test harnesses, benchmarks, language bindings) can drive
** any model: look up its tensors, allocate buffers and call run with
** arrays of pointers.  The generated header repeats this definition under
** the same include guard, so it is self-contained; this file is the
** reference copy (a test checks the two are identical).
**
** Return codes of run (and of PREFIX_run):
**   CONDENSE_OK         0  success
**   CONDENSE_ERR_NULL   1  an input, output or scratch pointer is NULL
**                          (scratch may be NULL when scratch_size is 0)
**   CONDENSE_ERR_ALIGN  2  a pointer is misaligned: inputs and outputs to
**                          their element size, scratch to scratch_align
** Inputs are read only; outputs and scratch must not overlap each other or
** the inputs.
*/
#ifndef CONDENSE_MODEL_H
#define CONDENSE_MODEL_H

#include <stdint.h>

#define CONDENSE_ABI_VERSION 1

#define CONDENSE_OK 0
#define CONDENSE_ERR_NULL 1
#define CONDENSE_ERR_ALIGN 2

/* Element types, numbered as condense's IR numbers them. */
typedef enum condense_dtype {
	CONDENSE_F32 = 0,
	CONDENSE_F16 = 1,
	CONDENSE_I8 = 2,
	CONDENSE_U8 = 3,
	CONDENSE_I16 = 4,
	CONDENSE_I32 = 5,
	CONDENSE_I64 = 6,
	CONDENSE_BOOL = 7,  /* one byte, 0 or 1 */
	CONDENSE_I4 = 8     /* two per byte, element 2k in the low nibble */
} condense_dtype;

typedef struct condense_tensor {
	const char *name;           /* the ONNX graph input or output name */
	int32_t dtype;              /* a condense_dtype */
	int32_t rank;
	const int64_t *dims;        /* rank dimensions, row-major (C order) */
	int64_t count;              /* elements */
	int64_t bytes;              /* buffer bytes */
	int32_t quant_axis;         /* quantized axis, -1 for per-tensor */
	int32_t quant_count;        /* scale/zero-point pairs; 0 when not quantized */
	const float *scale;         /* real = scale * (q - zero_point) */
	const int32_t *zero_point;
} condense_tensor;

typedef struct condense_model {
	uint32_t abi_version;       /* CONDENSE_ABI_VERSION */
	int32_t n_inputs;
	int32_t n_outputs;
	const char *name;           /* the symbol prefix */
	const condense_tensor *inputs;
	const condense_tensor *outputs;
	uint64_t scratch_size;      /* bytes of the caller's scratch arena */
	uint64_t scratch_align;     /* its alignment (a power of two) */
	int (*run)(const void *const *inputs, void *const *outputs, void *scratch);
} condense_model;

#endif
