/*
** onnx_ops.c - the op table: every supported ONNX op type, the opset it
** first appears in, and the handler that turns a node into IR ops.
**
** Most ops map 1:1 (h_direct): inputs as given, attributes by the IR op's
** schema, results up to the IR op's count (further ONNX outputs, such as
** MaxPool's Indices, are left unproduced; a use of one is an error).  The
** other handlers normalize what differs between opsets 9 and 17 to the IR
** (opset 17 semantics, constant parameters as attributes):
**   Clip < 11         min/max attributes -> scalar operands
**   Squeeze/Unsqueeze axes attribute (< 13) -> constant i64 operand
**   Reduce*           ReduceSum's axes input (>= 13) -> attribute
**   Split             split input (>= 13) -> attribute
**   Slice >= 10       starts/ends/axes/steps inputs -> attributes
**   Pad               pads (and value < 11) -> attribute (and operand)
**   Resize, Upsample  scales/sizes inputs -> attributes; opset 10 Resize and
**                     Upsample are asymmetric, nearest rounding down
**   Softmax family < 13  2-D coercion: Flatten, op along axis 1, Reshape back
**   Expand, Tile, CumSum, Trilu  constant inputs -> attributes
** and some ONNX ops become other IR ops or constants: Dropout and Identity,
** CastLike (Cast), Sum/Mean/Min/Max (chains of binary ops), LessOrEqual and
** GreaterOrEqual (Or of two comparisons), Shape, Size, ConstantOfShape,
** Range and Constant (constants).
**
** Handlers copy types out of the graph before emitting: emitting grows the
** value array, so an ir_type pointer does not survive it.
*/
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "frontend/onnx_internal.h"

/* ---- helpers ------------------------------------------------------------------ */

/* lo..hi inputs, the first lo present. */
static int arity(onnx_imp *m, onnx_node *n, int lo, int hi)
{
	char range[40];
	if (lo == hi)
		snprintf(range, sizeof range, "%d", lo);
	else
		snprintf(range, sizeof range, "%d to %d", lo, hi);
	if (n->n_in < lo || n->n_in > hi)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "has %d input%s; expected %s", (int)n->n_in,
				      n->n_in == 1 ? "" : "s", range);
	for (int i = 0; i < lo; i++)
		if (!n->in[i])
			return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d is required", i);
	return 0;
}

static ir_type type_of(onnx_imp *m, ir_val v)
{
	ir_type t = *ir_type_of(m->g, v);
	t.quant = NULL;
	return t;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Index i (negative from the end) clamped to [0, r]. */
static int64_t clamp_index(int64_t i, int64_t r)
{
	if (i < 0)
		i = i < -r ? 0 : i + r;
	return i > r ? r : i;
}

/* Input i, a constant holding one integer, into *v. */
static int const_scalar_int(onnx_imp *m, onnx_node *n, int i, const char *what, int64_t *v)
{
	int64_t *vals;
	int32_t cnt;
	if (onnx_const_ints(m, n, i, what, &vals, &cnt) < 0)
		return -1;
	if (cnt != 1)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d (%s) must hold one value; it has %d",
				      i, what, (int)cnt);
	*v = vals[0];
	return 0;
}

/* Input i, a constant of one element of any type, as an integer. */
static int const_flag(onnx_imp *m, onnx_node *n, int i, const char *what, int64_t *v)
{
	if (onnx_need_const(m, n, i, what) < 0)
		return -1;
	if (onnx_numel(m, n->in[i]) != 1)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d (%s) must hold one value", i, what);
	interp_tensor t = {type_of(m, n->in[i]), (void *)onnx_input_const(m, n, i)->data};
	*v = interp_get_i(&t, 0);
	return 0;
}

/* ---- 1:1 ops ------------------------------------------------------------------ */

/* The IR op of the entry: inputs as given, attributes by its schema. */
static int h_direct(onnx_imp *m, onnx_node *n)
{
	int lo, hi, olo, ohi;
	ir_op_arity(n->e->kind, &lo, &hi, &olo, &ohi);
	if (arity(m, n, lo, hi) < 0)
		return -1;
	int32_t n_out = n->n_out < olo ? olo : n->n_out > ohi ? ohi : n->n_out;
	ir_op *op = onnx_emit(m, n, n->e->kind, n->in, n->n_in, n_out);
	return onnx_copy_attrs(m, n, op) < 0 ? -1 : onnx_finish(m, n, op, n->out);
}

/* Reshape keeps its shape operand, which must be a constant. */
static int h_reshape(onnx_imp *m, onnx_node *n)
{
	return arity(m, n, 2, 2) < 0 || onnx_need_const(m, n, 1, "shape") < 0 ? -1 : h_direct(m, n);
}

/* Inference only: outputs 1.. (training statistics) are not produced. */
static int h_batchnorm(onnx_imp *m, onnx_node *n)
{
	int64_t training;
	if (onnx_attr_int(m, n, "training_mode", 0, &training) < 0)
		return -1;
	if (training)
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "training mode is not supported");
	for (int32_t i = 1; i < n->n_out; i++)
		n->why[i] = "the running statistics exist only in training mode";
	return h_direct(m, n);
}

/* ---- casts and identities -------------------------------------------------------- */

static int cast_to(onnx_imp *m, onnx_node *n, ir_val x, ir_dtype dt, ir_val *res)
{
	ir_op *op = onnx_emit(m, n, IR_OP_CAST, &x, 1, 1);
	ir_op_set_str(m->g, op, "to", ir_dtype_name(dt));
	return onnx_finish(m, n, op, res);
}

static int h_cast(onnx_imp *m, onnx_node *n)
{
	static const char *const ignored[] = {"saturate", NULL};
	int64_t to;
	ir_dtype dt;
	char b[24];
	onnx_attr_ignore(n, ignored);
	if (arity(m, n, 1, 1) < 0 || onnx_attr_int(m, n, "to", -1, &to) < 0)
		return -1;
	if (to < 0 || to > INT32_MAX)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "missing required attribute 'to'");
	if (onnx_dtype((int32_t)to, &dt) < 0)
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "casting to %s is not supported",
				      onnx_dtype_name((int32_t)to, b));
	return cast_to(m, n, n->in[0], dt, n->out);
}

static int h_castlike(onnx_imp *m, onnx_node *n)
{
	static const char *const ignored[] = {"saturate", NULL};
	onnx_attr_ignore(n, ignored);
	if (arity(m, n, 2, 2) < 0)
		return -1;
	return cast_to(m, n, n->in[0], type_of(m, n->in[1]).dtype, n->out);
}

/* Inference: the data passes through; the optional mask is all true (all
** ones of the data's type before opset 10). */
static int h_dropout(onnx_imp *m, onnx_node *n)
{
	static const char *const ignored[] = {"seed", "ratio", "is_test", NULL};
	int64_t training = 0;
	onnx_attr_ignore(n, ignored);
	if (arity(m, n, 1, 3) < 0)
		return -1;
	if (n->n_in > 2 && n->in[2] && const_flag(m, n, 2, "training_mode", &training) < 0)
		return -1;
	if (training)
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "training mode is not supported");
	if (onnx_emit1(m, n, IR_OP_IDENTITY, n->in, 1, &n->out[0]) < 0)
		return -1;
	if (n->n_out < 2)
		return 0;
	ir_type t = type_of(m, n->in[0]);
	if (m->opset >= 10)
		t.dtype = IR_BOOL;
	n->out[1] = onnx_const_fill(m, n, &t, 1.0);
	return n->out[1] ? 0 : -1;
}

/* The value of a Constant node from its attribute number which (of
** value, value_float, value_floats, value_int, value_ints); a scalar goes
** to *f or *i. */
static int constant_value(onnx_imp *m, onnx_node *n, int which, ir_type *t, const void **data, int64_t *size,
			  float *f, int64_t *i)
{
	const float *fv;
	const int64_t *iv;
	int32_t cnt;
	bool present;
	*t = (ir_type){.dtype = which <= 2 ? IR_F32 : IR_I64};
	switch (which) {
	case 0:
		return onnx_attr_tensor(m, n, "value", &present, t, data, size);
	case 1:
		*data = f, *size = 4;
		return onnx_attr_float(m, n, "value_float", 0, f);
	case 3:
		*data = i, *size = 8;
		return onnx_attr_int(m, n, "value_int", 0, i);
	case 2:
		if (onnx_attr_floats(m, n, "value_floats", &fv, &cnt) < 0)
			return -1;
		*data = cnt ? (const void *)fv : "", *size = (int64_t)cnt * 4;
		break;
	default:
		if (onnx_attr_ints(m, n, "value_ints", &iv, &cnt) < 0)
			return -1;
		*data = cnt ? (const void *)iv : "", *size = (int64_t)cnt * 8;
		break;
	}
	t->rank = 1;
	t->dims[0] = cnt;
	return 0;
}

static int h_constant(onnx_imp *m, onnx_node *n)
{
	static const char *const unsupported[] = {"sparse_value", "value_string", "value_strings"};
	static const char *const kinds[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
	int which = -1, count = 0;
	ir_type t;
	const void *data;
	int64_t size, i64;
	float f32;
	if (arity(m, n, 0, 0) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (onnx_attr(n, unsupported[i]))
			return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "attribute '%s' is not supported", unsupported[i]);
	for (int i = 0; i < 5; i++)
		if (onnx_attr(n, kinds[i]))
			which = i, count++;
	if (count != 1)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "needs exactly one value attribute; it has %d", count);
	if (constant_value(m, n, which, &t, &data, &size, &f32, &i64) < 0)
		return -1;
	n->out[0] = onnx_const_new(m, n, &t, data, size);
	return 0;
}

/* ---- opset-dependent operands -------------------------------------------------- */

/* Clip < 11: min and max attributes (defaults: the f32 range) as scalars. */
static int h_clip(onnx_imp *m, onnx_node *n)
{
	ir_val in[3] = {n->n_in ? n->in[0] : IR_NOVAL, IR_NOVAL, IR_NOVAL};
	int32_t k = 3;
	if (m->opset >= 11) {
		if (arity(m, n, 1, 3) < 0)
			return -1;
		for (int i = 1; i < n->n_in; i++)
			in[i] = n->in[i];
		while (k > 1 && !in[k - 1])
			k--;
	} else {
		float lo, hi;
		if (arity(m, n, 1, 1) < 0 || onnx_attr_float(m, n, "min", -3.402823466e+38f, &lo) < 0 ||
		    onnx_attr_float(m, n, "max", 3.402823466e+38f, &hi) < 0)
			return -1;
		ir_type s = {.dtype = type_of(m, in[0]).dtype};
		in[1] = onnx_const_fill(m, n, &s, lo);
		in[2] = onnx_const_fill(m, n, &s, hi);
	}
	return onnx_emit1(m, n, IR_OP_CLIP, in, k, n->out);
}

/*
** The axes of Squeeze and Unsqueeze as a constant operand into *axes
** (IR_NOVAL when absent): the attribute before opset 13 (an empty list is
** absent), the input from 13 on.
*/
static int axes_operand(onnx_imp *m, onnx_node *n, ir_val *axes)
{
	*axes = IR_NOVAL;
	if (m->opset >= 13) {
		if (arity(m, n, 1, 2) < 0 || (n->n_in > 1 && n->in[1] && onnx_need_const(m, n, 1, "axes") < 0))
			return -1;
		*axes = n->n_in > 1 ? n->in[1] : IR_NOVAL;
		return 0;
	}
	const int64_t *v;
	int32_t cnt;
	if (arity(m, n, 1, 1) < 0 || onnx_attr_ints(m, n, "axes", &v, &cnt) < 0)
		return -1;
	if (cnt)
		*axes = onnx_const_i64(m, n, v, cnt);
	return 0;
}

static int h_squeeze(onnx_imp *m, onnx_node *n)
{
	ir_val in[2];
	if (axes_operand(m, n, &in[1]) < 0)
		return -1;
	in[0] = n->in[0];
	return onnx_emit1(m, n, IR_OP_SQUEEZE, in, in[1] ? 2 : 1, n->out);
}

static int h_unsqueeze(onnx_imp *m, onnx_node *n)
{
	ir_val in[2];
	if (axes_operand(m, n, &in[1]) < 0)
		return -1;
	if (!in[1])
		return onnx_node_fail(m, n, ONNX_MALFORMED, "the axes are required");
	in[0] = n->in[0];
	return onnx_emit1(m, n, IR_OP_UNSQUEEZE, in, 2, n->out);
}

/* Emit kind over input 0 with the constant integer inputs first..first+k-1
** (where present) as the list attributes names[0..k). */
static int inputs_to_attrs(onnx_imp *m, onnx_node *n, ir_opkind kind, int first, const char *const *names,
			   int k)
{
	int64_t *v[8];
	int32_t cnt[8];
	for (int i = 0; i < k; i++) {
		cnt[i] = -1;
		if (first + i < n->n_in && n->in[first + i] &&
		    onnx_const_ints(m, n, first + i, names[i], &v[i], &cnt[i]) < 0)
			return -1;
	}
	ir_op *op = onnx_emit(m, n, kind, n->in, 1, 1);
	for (int i = 0; i < k; i++)
		if (cnt[i] >= 0)
			ir_op_set_ints(m->g, op, names[i], v[i], cnt[i]);
	return onnx_copy_attrs(m, n, op) < 0 ? -1 : onnx_finish(m, n, op, n->out);
}

/* ReduceSum takes its axes as an input from opset 13 (an empty one means
** none given); the other reductions, up to opset 17, as an attribute. */
static int h_reduce(onnx_imp *m, onnx_node *n)
{
	static const char *const axes[] = {"axes"};
	bool input = n->e->kind == IR_OP_REDUCESUM && m->opset >= 13;
	if (arity(m, n, 1, input ? 2 : 1) < 0)
		return -1;
	if (input && n->n_in > 1 && n->in[1] && onnx_need_const(m, n, 1, "axes") < 0)
		return -1;
	if (input && n->n_in > 1 && n->in[1] && onnx_numel(m, n->in[1]) == 0)
		return inputs_to_attrs(m, n, n->e->kind, 1, axes, 0);
	return inputs_to_attrs(m, n, n->e->kind, 1, axes, input ? 1 : 0);
}

static int h_expand(onnx_imp *m, onnx_node *n)
{
	static const char *const names[] = {"shape"};
	return arity(m, n, 2, 2) < 0 ? -1 : inputs_to_attrs(m, n, IR_OP_EXPAND, 1, names, 1);
}

static int h_tile(onnx_imp *m, onnx_node *n)
{
	static const char *const names[] = {"repeats"};
	return arity(m, n, 2, 2) < 0 ? -1 : inputs_to_attrs(m, n, IR_OP_TILE, 1, names, 1);
}

/* Slice < 10 has the attributes already; from 10 on they are inputs. */
static int h_slice(onnx_imp *m, onnx_node *n)
{
	static const char *const names[] = {"starts", "ends", "axes", "steps"};
	if (m->opset < 10)
		return arity(m, n, 1, 1) < 0 ? -1 : inputs_to_attrs(m, n, IR_OP_SLICE, 1, names, 0);
	return arity(m, n, 3, 5) < 0 ? -1 : inputs_to_attrs(m, n, IR_OP_SLICE, 1, names, 4);
}

/* Split: the attribute split before opset 13, the input from 13 on; the
** result count is the node's output count, unnamed trailing ones included. */
static int h_split(onnx_imp *m, onnx_node *n)
{
	int64_t *v = NULL;
	int32_t cnt = 0, parts = (int32_t)n->p->n_output;
	bool input = m->opset >= 13 && n->n_in > 1 && n->in[1];
	if (arity(m, n, 1, m->opset >= 13 ? 2 : 1) < 0 || (input && onnx_const_ints(m, n, 1, "split", &v, &cnt) < 0))
		return -1;
	ir_val *res = ir_alloc_array(m->c, (size_t)parts, sizeof *res);
	ir_op *op = onnx_emit(m, n, IR_OP_SPLIT, n->in, 1, parts);
	if (cnt)
		ir_op_set_ints(m->g, op, "split", v, cnt);
	if (onnx_copy_attrs(m, n, op) < 0 || onnx_finish(m, n, op, res) < 0)
		return -1;
	memcpy(n->out, res, sizeof *res * (size_t)n->n_out);
	return 0;
}

/* Pad < 11: pads and value attributes; from 11 on, pads and constant_value
** inputs.  The value becomes a scalar operand of the data's type. */
static int h_pad(onnx_imp *m, onnx_node *n)
{
	const char *mode;
	int64_t *pads;
	int32_t cnt;
	ir_val in[2] = {n->n_in ? n->in[0] : IR_NOVAL, IR_NOVAL};
	if (onnx_attr_str(m, n, "mode", "constant", &mode) < 0)
		return -1;
	if (m->opset >= 11) {
		if (arity(m, n, 2, 3) < 0 || onnx_const_ints(m, n, 1, "pads", &pads, &cnt) < 0)
			return -1;
		in[1] = n->n_in > 2 ? n->in[2] : IR_NOVAL;
	} else {
		const int64_t *p;
		float value;
		if (arity(m, n, 1, 1) < 0 || onnx_attr_ints(m, n, "pads", &p, &cnt) < 0 ||
		    onnx_attr_float(m, n, "value", 0, &value) < 0)
			return -1;
		if (!onnx_attr(n, "pads"))
			return onnx_node_fail(m, n, ONNX_MALFORMED, "missing required attribute 'pads'");
		pads = (int64_t *)p;
		ir_type s = {.dtype = type_of(m, in[0]).dtype};
		if (value != 0 && str_eq(mode, "constant"))
			in[1] = onnx_const_fill(m, n, &s, value);
	}
	ir_op *op = onnx_emit(m, n, IR_OP_PAD, in, in[1] ? 2 : 1, 1);
	ir_op_set_ints(m->g, op, "pads", pads, cnt);
	ir_op_set_str(m->g, op, "mode", mode);
	return onnx_finish(m, n, op, n->out);
}

/* ---- Resize and Upsample ---------------------------------------------------------- */

/* Upsample (opsets 9, 10) and Resize 10: scales input, mode attribute;
** output = floor(input * scale), source index = floor(dest / scale). */
static int resize_legacy(onnx_imp *m, onnx_node *n)
{
	float *scales;
	int32_t cnt;
	const char *mode;
	if (arity(m, n, 2, 2) < 0 || onnx_attr_str(m, n, "mode", "nearest", &mode) < 0 ||
	    onnx_const_floats(m, n, 1, "scales", &scales, &cnt) < 0)
		return -1;
	if (!str_eq(mode, "nearest") && !str_eq(mode, "linear"))
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "mode '%s' is not supported", mode);
	ir_op *op = onnx_emit(m, n, IR_OP_RESIZE, n->in, 1, 1);
	ir_op_set_floats(m->g, op, "scales", scales, cnt);
	ir_op_set_str(m->g, op, "mode", mode);
	ir_op_set_str(m->g, op, "coordinate_transformation_mode", "asymmetric");
	ir_op_set_str(m->g, op, "nearest_mode", "floor");
	return onnx_finish(m, n, op, n->out);
}

/* Input i holds values when present and not empty. */
static bool given(onnx_imp *m, const onnx_node *n, int i)
{
	return i < n->n_in && n->in[i] && onnx_numel(m, n->in[i]) > 0;
}

/* Resize 11..17: X, roi, scales, sizes; exactly one of scales and sizes. */
static int h_resize(onnx_imp *m, onnx_node *n)
{
	const char *mode, *ctm;
	float *scales;
	int64_t *sizes;
	int32_t cnt;
	if (m->opset < 11)
		return resize_legacy(m, n);
	if (arity(m, n, 1, 4) < 0 || onnx_attr_str(m, n, "mode", "nearest", &mode) < 0 ||
	    onnx_attr_str(m, n, "coordinate_transformation_mode", "half_pixel", &ctm) < 0)
		return -1;
	if (!str_eq(mode, "nearest") && !str_eq(mode, "linear") && !str_eq(mode, "cubic"))
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "mode '%s' is not supported", mode);
	if (str_eq(ctm, "tf_crop_and_resize"))
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "coordinate_transformation_mode "
				      "'tf_crop_and_resize' is not supported");
	if (given(m, n, 2) == given(m, n, 3))
		return onnx_node_fail(m, n, ONNX_MALFORMED, "needs exactly one of scales and sizes");
	bool by_scales = given(m, n, 2);
	if (by_scales ? onnx_const_floats(m, n, 2, "scales", &scales, &cnt) < 0
		      : onnx_const_ints(m, n, 3, "sizes", &sizes, &cnt) < 0)
		return -1;
	ir_op *op = onnx_emit(m, n, IR_OP_RESIZE, n->in, 1, 1);
	if (by_scales)
		ir_op_set_floats(m->g, op, "scales", scales, cnt);
	else
		ir_op_set_ints(m->g, op, "sizes", sizes, cnt);
	ir_op_set_str(m->g, op, "mode", mode);
	ir_op_set_str(m->g, op, "coordinate_transformation_mode", ctm);
	return onnx_copy_attrs(m, n, op) < 0 ? -1 : onnx_finish(m, n, op, n->out);
}

/* ---- Softmax, LogSoftmax, Hardmax ------------------------------------------------- */

/* Before opset 13 the input is coerced to 2-D at axis (default 1) and the
** op runs along the second dim: Flatten, op along axis 1, Reshape back. */
static int h_softmax(onnx_imp *m, onnx_node *n)
{
	int64_t axis;
	if (m->opset >= 13)
		return h_direct(m, n);
	if (arity(m, n, 1, 1) < 0 || onnx_attr_int(m, n, "axis", 1, &axis) < 0)
		return -1;
	ir_type x = type_of(m, n->in[0]);
	if (axis < -(int64_t)x.rank || axis >= x.rank)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "axis %" PRId64 " is out of range for rank %d",
				      axis, (int)x.rank);
	axis += axis < 0 ? x.rank : 0;
	ir_op *op;
	if (axis == x.rank - 1) {
		op = onnx_emit(m, n, n->e->kind, n->in, 1, 1);
		ir_op_set_int(m->g, op, "axis", -1);
		return onnx_finish(m, n, op, n->out);
	}
	ir_val v[2];
	op = onnx_emit(m, n, IR_OP_FLATTEN, n->in, 1, 1);
	ir_op_set_int(m->g, op, "axis", axis);
	if (onnx_finish(m, n, op, &v[0]) < 0)
		return -1;
	op = onnx_emit(m, n, n->e->kind, v, 1, 1);
	ir_op_set_int(m->g, op, "axis", 1);
	if (onnx_finish(m, n, op, &v[0]) < 0)
		return -1;
	v[1] = onnx_const_i64(m, n, x.dims, x.rank);
	return onnx_emit1(m, n, IR_OP_RESHAPE, v, 2, n->out);
}

/* ---- constants from shapes -------------------------------------------------------- */

/* Shape (opset 15: start and end select a range of the dims). */
static int h_shape(onnx_imp *m, onnx_node *n)
{
	int64_t start, end;
	if (arity(m, n, 1, 1) < 0)
		return -1;
	ir_type x = type_of(m, n->in[0]);
	if (onnx_attr_int(m, n, "start", 0, &start) < 0 || onnx_attr_int(m, n, "end", x.rank, &end) < 0)
		return -1;
	start = clamp_index(start, x.rank);
	end = clamp_index(end, x.rank);
	n->out[0] = onnx_const_i64(m, n, x.dims + start, end > start ? (int32_t)(end - start) : 0);
	return 0;
}

static int h_size(onnx_imp *m, onnx_node *n)
{
	if (arity(m, n, 1, 1) < 0)
		return -1;
	int64_t k = onnx_numel(m, n->in[0]);
	ir_type t = {.dtype = IR_I64};
	n->out[0] = onnx_const_new(m, n, &t, &k, 8);
	return 0;
}

/* The constant input 0 as a result shape into *t (dtype set by the caller). */
static int shape_input(onnx_imp *m, onnx_node *n, ir_type *t)
{
	int64_t *dims;
	int32_t cnt;
	if (onnx_const_ints(m, n, 0, "shape", &dims, &cnt) < 0 ||
	    onnx_limit(m, "dims in a ConstantOfShape result", cnt, IR_MAX_RANK) < 0)
		return -1;
	t->rank = cnt;
	for (int32_t i = 0; i < cnt; i++) {
		if (dims[i] < 0 || dims[i] > IR_MAX_DIM)
			return onnx_node_fail(m, n, dims[i] < 0 ? ONNX_MALFORMED : ONNX_UNSUPPORTED,
					      "dimension %d of the shape is %" PRId64, (int)i, dims[i]);
		t->dims[i] = dims[i];
	}
	int64_t k;
	if (ir_type_numel(t, &k) < 0)
		return onnx_limit(m, "elements in a ConstantOfShape result", IR_MAX_ELEMENTS + 1, IR_MAX_ELEMENTS);
	return 0;
}

/* A constant of the shape input 0 gives, filled with the one element of
** attribute value (default f32 0). */
static int h_constantofshape(onnx_imp *m, onnx_node *n)
{
	ir_type t = {.dtype = IR_F32}, vt;
	const void *data = "\0\0\0\0";
	int64_t size;
	bool present;
	if (arity(m, n, 1, 1) < 0 || shape_input(m, n, &t) < 0 ||
	    onnx_attr_tensor(m, n, "value", &present, &vt, &data, &size) < 0)
		return -1;
	if (present) {
		int64_t k;
		ir_type_numel(&vt, &k);
		if (k != 1)
			return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute 'value' must hold one element; it "
					      "holds %" PRId64, k);
		t.dtype = vt.dtype;
	}
	n->out[0] = onnx_const_splat(m, n, &t, data);
	return n->out[0] ? 0 : -1;
}

/* Element count of Range: max(ceil((limit - start) / delta), 0). */
static int range_count(onnx_imp *m, onnx_node *n, const interp_tensor *v, bool fl, int64_t *cnt)
{
	double d;
	if (fl) {
		double s = interp_get_f(&v[0], 0), l = interp_get_f(&v[1], 0), dl = interp_get_f(&v[2], 0);
		d = dl == 0 ? NAN : ceil((l - s) / dl);
	} else {
		int64_t s = interp_get_i(&v[0], 0), l = interp_get_i(&v[1], 0), dl = interp_get_i(&v[2], 0), q;
		if (dl == 0 || __builtin_sub_overflow(l, s, &q))
			d = NAN;
		else
			d = (double)(q / dl + (q % dl != 0 && (q > 0) == (dl > 0)));
	}
	if (isnan(d) || d > (double)IR_MAX_DIM)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "the range is %s", isnan(d) ? "undefined (delta is "
				      "zero, or the bounds are not finite)" : "too long");
	*cnt = d > 0 ? (int64_t)d : 0;
	return 0;
}

/* Range: start + i * delta in the element type, for i below the count. */
static int h_range(onnx_imp *m, onnx_node *n)
{
	static const char *const what[] = {"start", "limit", "delta"};
	interp_tensor v[3];
	if (arity(m, n, 3, 3) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (onnx_need_const(m, n, i, what[i]) < 0)
			return -1;
		v[i] = (interp_tensor){type_of(m, n->in[i]), (void *)onnx_input_const(m, n, i)->data};
		if (onnx_numel(m, n->in[i]) != 1 || v[i].type.dtype != v[0].type.dtype)
			return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d (%s) must be a scalar of the type of "
					      "input 0", i, what[i]);
	}
	bool fl = ir_dtype_is_float(v[0].type.dtype);
	ir_type t = {.dtype = v[0].type.dtype, .rank = 1};
	int64_t bytes;
	if (range_count(m, n, v, fl, &t.dims[0]) < 0 || ir_type_bytes(&t, &bytes) < 0 || bytes > ONNX_MAX_FOLD_BYTES)
		return m->status ? -1 : onnx_node_fail(m, n, ONNX_UNSUPPORTED, "the range is too long to evaluate");
	interp_tensor r = {t, ir_alloc(m->c, (size_t)bytes)};
	for (int64_t i = 0; i < t.dims[0]; i++) {
		if (fl)
			interp_set_f(&r, i, (float)interp_get_f(&v[0], 0) + (float)i * (float)interp_get_f(&v[2], 0));
		else
			interp_set_i(&r, i, (int64_t)((uint64_t)interp_get_i(&v[0], 0) +
						      (uint64_t)i * (uint64_t)interp_get_i(&v[2], 0)));
	}
	n->out[0] = onnx_const_new(m, n, &t, r.data, bytes);
	return 0;
}

/* ---- scalar parameters as attributes ------------------------------------------------ */

/* CumSum and Trilu: the scalar constant input becomes an attribute. */
static int h_cumsum(onnx_imp *m, onnx_node *n)
{
	int64_t axis;
	if (arity(m, n, 2, 2) < 0 || const_scalar_int(m, n, 1, "axis", &axis) < 0)
		return -1;
	ir_op *op = onnx_emit(m, n, IR_OP_CUMSUM, n->in, 1, 1);
	ir_op_set_int(m->g, op, "axis", axis);
	return onnx_copy_attrs(m, n, op) < 0 ? -1 : onnx_finish(m, n, op, n->out);
}

static int h_trilu(onnx_imp *m, onnx_node *n)
{
	int64_t k = 0;
	if (arity(m, n, 1, 2) < 0 || (n->n_in > 1 && n->in[1] && const_scalar_int(m, n, 1, "k", &k) < 0))
		return -1;
	ir_op *op = onnx_emit(m, n, IR_OP_TRILU, n->in, 1, 1);
	ir_op_set_int(m->g, op, "k", k);
	return onnx_copy_attrs(m, n, op) < 0 ? -1 : onnx_finish(m, n, op, n->out);
}

/* ---- compositions ------------------------------------------------------------------ */

/* Sum, Min, Max (and Mean, which divides by the count): a chain of binary ops. */
static int variadic(onnx_imp *m, onnx_node *n, bool mean)
{
	if (n->n_in < 1)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "needs at least one input");
	if (arity(m, n, n->n_in, n->n_in) < 0)
		return -1;
	ir_val acc = n->in[0], ab[2];
	if (n->n_in == 1)
		return onnx_emit1(m, n, IR_OP_IDENTITY, &acc, 1, n->out);
	for (int32_t i = 1; i < n->n_in; i++) {
		ab[0] = acc;
		ab[1] = n->in[i];
		if (onnx_emit1(m, n, n->e->kind, ab, 2, i + 1 == n->n_in && !mean ? n->out : &acc) < 0)
			return -1;
	}
	if (!mean)
		return 0;
	ir_type s = {.dtype = type_of(m, acc).dtype};
	ab[0] = acc;
	ab[1] = onnx_const_fill(m, n, &s, n->n_in);
	return onnx_emit1(m, n, IR_OP_DIV, ab, 2, n->out);
}

static int h_variadic(onnx_imp *m, onnx_node *n)
{
	return variadic(m, n, false);
}

static int h_mean(onnx_imp *m, onnx_node *n)
{
	return variadic(m, n, true);
}

/* LessOrEqual, GreaterOrEqual: Or(strict comparison, Equal), NaN-exact. */
static int h_or_equal(onnx_imp *m, onnx_node *n)
{
	ir_val v[2];
	if (arity(m, n, 2, 2) < 0 || onnx_emit1(m, n, n->e->kind, n->in, 2, &v[0]) < 0 ||
	    onnx_emit1(m, n, IR_OP_EQUAL, n->in, 2, &v[1]) < 0)
		return -1;
	return onnx_emit1(m, n, IR_OP_OR, v, 2, n->out);
}

/* ---- the table -------------------------------------------------------------------------- */

#define D(name, since, kind) {name, since, h_direct, IR_OP_##kind}
#define S(name, since, fn, kind) {name, since, fn, IR_OP_##kind}

static const onnx_op_entry ops[] = {
	D("Abs", 1, ABS), D("Add", 1, ADD), D("And", 1, AND), D("ArgMax", 1, ARGMAX),
	D("ArgMin", 1, ARGMIN), D("AveragePool", 1, AVGPOOL),
	S("BatchNormalization", 1, h_batchnorm, BATCHNORM), S("Cast", 1, h_cast, CAST),
	S("CastLike", 15, h_castlike, CAST), D("Ceil", 1, CEIL), S("Clip", 1, h_clip, CLIP),
	D("Concat", 1, CONCAT), S("Constant", 1, h_constant, CONST),
	S("ConstantOfShape", 9, h_constantofshape, CONST), D("Conv", 1, CONV),
	D("ConvInteger", 10, CONVINTEGER), D("ConvTranspose", 1, CONVTRANSPOSE), D("Cos", 7, COS),
	S("CumSum", 11, h_cumsum, CUMSUM), D("DepthToSpace", 1, DEPTHTOSPACE),
	D("DequantizeLinear", 10, DEQUANTIZE), D("Div", 1, DIV), S("Dropout", 1, h_dropout, IDENTITY),
	D("DynamicQuantizeLinear", 11, DYNQUANTIZE), D("Elu", 1, ELU), D("Equal", 1, EQUAL),
	D("Erf", 9, ERF), D("Exp", 1, EXP), S("Expand", 8, h_expand, EXPAND), D("Flatten", 1, FLATTEN),
	D("Floor", 1, FLOOR), D("Gather", 1, GATHER), D("GatherElements", 11, GATHERELEMENTS),
	D("Gemm", 1, GEMM), D("GlobalAveragePool", 1, GLOBALAVGPOOL), D("GlobalMaxPool", 1, GLOBALMAXPOOL),
	D("Greater", 1, GREATER), S("GreaterOrEqual", 12, h_or_equal, GREATER),
	D("HardSigmoid", 1, HARDSIGMOID), D("HardSwish", 14, HARDSWISH), S("Hardmax", 1, h_softmax, HARDMAX),
	D("Identity", 1, IDENTITY), D("InstanceNormalization", 1, INSTANCENORM),
	D("LayerNormalization", 17, LAYERNORM), D("LeakyRelu", 1, LEAKYRELU), D("Less", 1, LESS),
	S("LessOrEqual", 12, h_or_equal, LESS), D("Log", 1, LOG), S("LogSoftmax", 1, h_softmax, LOGSOFTMAX),
	D("MatMul", 1, MATMUL), D("MatMulInteger", 10, MATMULINTEGER), S("Max", 1, h_variadic, MAX),
	D("MaxPool", 1, MAXPOOL), S("Mean", 1, h_mean, ADD), S("Min", 1, h_variadic, MIN), D("Mul", 1, MUL),
	D("Neg", 1, NEG), D("Not", 1, NOT), D("Or", 1, OR), D("PRelu", 1, PRELU), S("Pad", 1, h_pad, PAD),
	D("Pow", 1, POW), D("QLinearConv", 10, QLINEARCONV), D("QLinearMatMul", 10, QLINEARMATMUL),
	D("QuantizeLinear", 10, QUANTIZE), S("Range", 11, h_range, CONST), D("Reciprocal", 1, RECIPROCAL),
	S("ReduceL1", 1, h_reduce, REDUCEL1), S("ReduceL2", 1, h_reduce, REDUCEL2),
	S("ReduceLogSum", 1, h_reduce, REDUCELOGSUM), S("ReduceLogSumExp", 1, h_reduce, REDUCELOGSUMEXP),
	S("ReduceMax", 1, h_reduce, REDUCEMAX), S("ReduceMean", 1, h_reduce, REDUCEMEAN),
	S("ReduceMin", 1, h_reduce, REDUCEMIN), S("ReduceProd", 1, h_reduce, REDUCEPROD),
	S("ReduceSum", 1, h_reduce, REDUCESUM), S("ReduceSumSquare", 1, h_reduce, REDUCESUMSQUARE),
	D("Relu", 1, RELU), S("Reshape", 5, h_reshape, RESHAPE), S("Resize", 10, h_resize, RESIZE),
	D("Round", 11, ROUND), D("Selu", 1, SELU), S("Shape", 1, h_shape, CONST), D("Sigmoid", 1, SIGMOID),
	D("Sign", 9, SIGN), D("Sin", 7, SIN), S("Size", 1, h_size, CONST), S("Slice", 1, h_slice, SLICE),
	S("Softmax", 1, h_softmax, SOFTMAX), D("Softplus", 1, SOFTPLUS), D("SpaceToDepth", 1, SPACETODEPTH),
	S("Split", 1, h_split, SPLIT), D("Sqrt", 1, SQRT), S("Squeeze", 1, h_squeeze, SQUEEZE),
	D("Sub", 1, SUB), S("Sum", 1, h_variadic, ADD), D("Tanh", 1, TANH), S("Tile", 1, h_tile, TILE),
	D("Transpose", 1, TRANSPOSE), S("Trilu", 14, h_trilu, TRILU), S("Unsqueeze", 1, h_unsqueeze, UNSQUEEZE),
	S("Upsample", 7, resize_legacy, RESIZE), D("Where", 9, WHERE), D("Xor", 1, XOR),
};

const onnx_op_entry *onnx_op_find(const char *op_type)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (str_eq(ops[i].name, op_type))
			return &ops[i];
	return NULL;
}
