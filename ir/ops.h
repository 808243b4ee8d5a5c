/*
** The op table: the single source of truth for every op of the condense IR.
**
** Each row is one op.  The file is included several times with different
** definitions of OP() to build the op enum, the name table, the attribute
** schemas and the per-op dispatch tables of the printer, parser, verifier,
** shape inference and the reference interpreter.  Adding an op is one row
** here plus its shape rule (ir/infer.c) and interpreter kernel (interp/)
** when no existing one fits.
**
** Parameters that must be constant for shapes to be static (Slice starts,
** Pad pads, Split sizes, Resize scales, ...) are attributes here even where
** ONNX passes them as operands; the importer moves them.  Reshape, Squeeze
** and Unsqueeze keep ONNX's constant operand.
**
** Columns:
**   ID     enum suffix: IR_OP_<ID>
**   NAME   spelling in the text form (ONNX op type where one exists)
**   IN     operand count, minimum and maximum; an absent optional operand
**          is written `_` and stored as IR_NOVAL
**   OUT    result count, minimum and maximum
**   TY     element types of the first operand (and of the results for the
**          "same"-type rules): F float (f32, f16), N numeric (F + integers),
**          I integers, A any, B bool only
**   RULE   shape/type rule in ir/infer.c: infer_<RULE>
**   KERN   reference-interpreter kernel family in interp/: interp_<KERN>
**   ATTRS  attribute schema: space-separated "name:kind" entries, kind one
**          of i (int64), f (float), s (string), ints, floats; "=V" gives a
**          default, "?" marks an optional attribute with no default, and a
**          bare "name:kind" is required
**   DOC    one-line semantics
**
** Semantics follow ONNX (opset 17) for every op that has an ONNX name.
*/
/*  ID                  NAME                     IN       OUT      TY  RULE            KERN            ATTRS, DOC */
OP(CONST,             "const",                 0,    0, 1,    1, A, konst,          none,           "",
   "a constant tensor from the graph's content-addressed constant store")
OP(IDENTITY,          "Identity",              1,    1, 1,    1, A, same,           copy,           "",
   "y = x")
OP(RELU,              "Relu",                  1,    1, 1,    1, N, same,           unary,          "",
   "y = max(x, 0)")
OP(LEAKYRELU,         "LeakyRelu",             1,    1, 1,    1, F, same,           unary,          "alpha:f=0.01",
   "y = x < 0 ? alpha*x : x")
OP(ELU,               "Elu",                   1,    1, 1,    1, F, same,           unary,          "alpha:f=1",
   "y = x < 0 ? alpha*(exp(x)-1) : x")
OP(SELU,              "Selu",                  1,    1, 1,    1, F, same,           unary,          "alpha:f=1.67326319 gamma:f=1.05070102",
   "y = gamma*(x <= 0 ? alpha*(exp(x)-1) : x)")
OP(SIGMOID,           "Sigmoid",               1,    1, 1,    1, F, same,           unary,          "",
   "y = 1/(1+exp(-x))")
OP(HARDSIGMOID,       "HardSigmoid",           1,    1, 1,    1, F, same,           unary,          "alpha:f=0.2 beta:f=0.5",
   "y = max(0, min(1, alpha*x+beta))")
OP(HARDSWISH,         "HardSwish",             1,    1, 1,    1, F, same,           unary,          "",
   "y = x*max(0, min(1, x/6+1/2))")
OP(SOFTPLUS,          "Softplus",              1,    1, 1,    1, F, same,           unary,          "",
   "y = log(exp(x) + 1)")
OP(TANH,              "Tanh",                  1,    1, 1,    1, F, same,           unary,          "",
   "y = tanh(x)")
OP(EXP,               "Exp",                   1,    1, 1,    1, F, same,           unary,          "",
   "y = exp(x)")
OP(LOG,               "Log",                   1,    1, 1,    1, F, same,           unary,          "",
   "y = log(x)")
OP(SQRT,              "Sqrt",                  1,    1, 1,    1, F, same,           unary,          "",
   "y = sqrt(x)")
OP(ERF,               "Erf",                   1,    1, 1,    1, F, same,           unary,          "",
   "y = erf(x)")
OP(SIN,               "Sin",                   1,    1, 1,    1, F, same,           unary,          "",
   "y = sin(x)")
OP(COS,               "Cos",                   1,    1, 1,    1, F, same,           unary,          "",
   "y = cos(x)")
OP(RECIPROCAL,        "Reciprocal",            1,    1, 1,    1, F, same,           unary,          "",
   "y = 1/x")
OP(NEG,               "Neg",                   1,    1, 1,    1, N, same,           unary,          "",
   "y = -x")
OP(ABS,               "Abs",                   1,    1, 1,    1, N, same,           unary,          "",
   "y = |x|")
OP(SIGN,              "Sign",                  1,    1, 1,    1, N, same,           unary,          "",
   "y = x > 0 ? 1 : x < 0 ? -1 : 0")
OP(FLOOR,             "Floor",                 1,    1, 1,    1, F, same,           unary,          "",
   "y = floor(x)")
OP(CEIL,              "Ceil",                  1,    1, 1,    1, F, same,           unary,          "",
   "y = ceil(x)")
OP(ROUND,             "Round",                 1,    1, 1,    1, F, same,           unary,          "",
   "y = x rounded to the nearest integer, halves to even")
OP(NOT,               "Not",                   1,    1, 1,    1, B, same,           unary,          "",
   "y = !x")
OP(CLIP,              "Clip",                  1,    3, 1,    1, N, clip,           clip,           "",
   "y = min(max(x, lo), hi); lo and hi are optional scalar operands of x's type")
OP(PRELU,             "PRelu",                 2,    2, 1,    1, N, prelu,          binary,         "",
   "y = x < 0 ? slope*x : x; slope broadcasts to x (unidirectional)")
OP(SOFTMAX,           "Softmax",               1,    1, 1,    1, F, softmax,        softmax,        "axis:i=-1",
   "y = exp(x - max) / sum(exp(x - max)) along axis")
OP(LOGSOFTMAX,        "LogSoftmax",            1,    1, 1,    1, F, softmax,        softmax,        "axis:i=-1",
   "y = log(Softmax(x)) along axis")
OP(HARDMAX,           "Hardmax",               1,    1, 1,    1, F, softmax,        softmax,        "axis:i=-1",
   "y = 1 at the first maximum along axis, 0 elsewhere")
OP(ADD,               "Add",                   2,    2, 1,    1, N, bcast,          binary,         "activation:s=none activation_params:floats?",
   "y = act(a + b), numpy broadcasting; act is a fused activation (see Conv)")
OP(SUB,               "Sub",                   2,    2, 1,    1, N, bcast,          binary,         "",
   "y = a - b, numpy broadcasting")
OP(MUL,               "Mul",                   2,    2, 1,    1, N, bcast,          binary,         "",
   "y = a * b, numpy broadcasting")
OP(DIV,               "Div",                   2,    2, 1,    1, N, bcast,          binary,         "",
   "y = a / b, numpy broadcasting; integer division truncates")
OP(POW,               "Pow",                   2,    2, 1,    1, N, pow,            binary,         "",
   "y = a ^ b, numpy broadcasting; b may be any numeric type")
OP(MIN,               "Min",                   2,    2, 1,    1, N, bcast,          binary,         "",
   "y = min(a, b), numpy broadcasting (ONNX's variadic Min is a chain)")
OP(MAX,               "Max",                   2,    2, 1,    1, N, bcast,          binary,         "",
   "y = max(a, b), numpy broadcasting (ONNX's variadic Max is a chain)")
OP(EQUAL,             "Equal",                 2,    2, 1,    1, A, compare,        binary,         "",
   "y = a == b (bool), numpy broadcasting")
OP(LESS,              "Less",                  2,    2, 1,    1, N, compare,        binary,         "",
   "y = a < b (bool), numpy broadcasting")
OP(GREATER,           "Greater",               2,    2, 1,    1, N, compare,        binary,         "",
   "y = a > b (bool), numpy broadcasting")
OP(AND,               "And",                   2,    2, 1,    1, B, bcast,          binary,         "",
   "y = a && b, numpy broadcasting")
OP(OR,                "Or",                    2,    2, 1,    1, B, bcast,          binary,         "",
   "y = a || b, numpy broadcasting")
OP(XOR,               "Xor",                   2,    2, 1,    1, B, bcast,          binary,         "",
   "y = a != b, numpy broadcasting")
OP(WHERE,             "Where",                 3,    3, 1,    1, B, where,          where,          "",
   "y = c ? a : b, numpy broadcasting of all three")
OP(CAST,              "Cast",                  1,    1, 1,    1, A, cast,           cast,           "to:s",
   "y = x converted to element type 'to' (an IR type name: f32, i64, ...); float to int truncates, saturation is undefined as in ONNX")
OP(MATMUL,            "MatMul",                2,    2, 1,    1, N, matmul,         matmul,         "",
   "numpy matmul: batched over leading dims with broadcasting; 1-D operands are promoted")
OP(GEMM,              "Gemm",                  2,    3, 1,    1, N, gemm,           gemm,           "activation:s=none activation_params:floats? alpha:f=1 beta:f=1 transA:i=0 transB:i=0",
   "y = act(alpha*op(A)*op(B) + beta*C); A, B 2-D; C unidirectionally broadcast to y; act as Conv")
OP(CONV,              "Conv",                  2,    3, 1,    1, F, conv,           conv,           "activation:s=none activation_params:floats? auto_pad:s=NOTSET dilations:ints? group:i=1 kernel_shape:ints? pads:ints? strides:ints?",
   "N-D convolution (cross-correlation), NCHW, weight [M, C/group, k...], optional bias [M]; then a fused activation: none, Relu, Clip [lo, hi], LeakyRelu [alpha] (activation_params)")
OP(CONVTRANSPOSE,     "ConvTranspose",         2,    3, 1,    1, F, convtranspose,  convtranspose,  "auto_pad:s=NOTSET dilations:ints? group:i=1 kernel_shape:ints? output_padding:ints? output_shape:ints? pads:ints? strides:ints?",
   "N-D transposed convolution, weight [C, M/group, k...], optional bias [M]")
OP(MAXPOOL,           "MaxPool",               1,    1, 1,    1, N, pool,           pool,           "auto_pad:s=NOTSET ceil_mode:i=0 dilations:ints? kernel_shape:ints pads:ints? storage_order:i=0 strides:ints?",
   "max over each window; padding never wins")
OP(AVGPOOL,           "AveragePool",           1,    1, 1,    1, F, pool,           pool,           "auto_pad:s=NOTSET ceil_mode:i=0 count_include_pad:i=0 kernel_shape:ints pads:ints? strides:ints?",
   "mean over each window; count_include_pad decides the divisor at borders")
OP(GLOBALAVGPOOL,     "GlobalAveragePool",     1,    1, 1,    1, F, gpool,          gpool,          "",
   "mean over all spatial dims; y is [N, C, 1, ...]")
OP(GLOBALMAXPOOL,     "GlobalMaxPool",         1,    1, 1,    1, N, gpool,          gpool,          "",
   "max over all spatial dims; y is [N, C, 1, ...]")
OP(BATCHNORM,         "BatchNormalization",    5,    5, 1,    1, F, batchnorm,      norm,           "epsilon:f=1e-05 momentum:f=0.9",
   "inference: y = scale*(x-mean)/sqrt(var+epsilon) + bias, per channel (dim 1)")
OP(INSTANCENORM,      "InstanceNormalization", 3,    3, 1,    1, F, instnorm,       norm,           "epsilon:f=1e-05",
   "y = scale*(x-mean)/sqrt(var+epsilon) + B, mean and var per (n, c) over the spatial dims")
OP(LAYERNORM,         "LayerNormalization",    2,    3, 1,    3, F, layernorm,      norm,           "axis:i=-1 epsilon:f=1e-05 stash_type:i=1",
   "y = (x-mean)/sqrt(var+epsilon)*scale + B over dims axis..; optional results Mean and InvStdDev (keepdims shape)")
OP(REDUCEMEAN,        "ReduceMean",            1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "mean over axes (all when absent)")
OP(REDUCESUM,         "ReduceSum",             1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "sum over axes (all when absent, unless noop_with_empty_axes)")
OP(REDUCEMAX,         "ReduceMax",             1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "max over axes")
OP(REDUCEMIN,         "ReduceMin",             1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "min over axes")
OP(REDUCEPROD,        "ReduceProd",            1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "product over axes")
OP(REDUCEL1,          "ReduceL1",              1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "sum of |x| over axes")
OP(REDUCEL2,          "ReduceL2",              1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "sqrt(sum of x^2) over axes")
OP(REDUCESUMSQUARE,   "ReduceSumSquare",       1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "sum of x^2 over axes")
OP(REDUCELOGSUM,      "ReduceLogSum",          1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "log(sum) over axes")
OP(REDUCELOGSUMEXP,   "ReduceLogSumExp",       1,    1, 1,    1, N, reduce,         reduce,         "axes:ints? keepdims:i=1 noop_with_empty_axes:i=0",
   "log(sum(exp(x))) over axes")
OP(ARGMAX,            "ArgMax",                1,    1, 1,    1, N, argreduce,      argreduce,      "axis:i=0 keepdims:i=1 select_last_index:i=0",
   "i64 index of the maximum along axis (first, or last with select_last_index)")
OP(ARGMIN,            "ArgMin",                1,    1, 1,    1, N, argreduce,      argreduce,      "axis:i=0 keepdims:i=1 select_last_index:i=0",
   "i64 index of the minimum along axis")
OP(CUMSUM,            "CumSum",                1,    1, 1,    1, N, cumsum,         cumsum,         "axis:i exclusive:i=0 reverse:i=0",
   "running sum along axis (ONNX's axis operand, constant, becomes the attribute)")
OP(RESHAPE,           "Reshape",               2,    2, 1,    1, A, reshape,        copy,           "allowzero:i=0",
   "y = x with the shape given by the constant i64 operand (0 copies, -1 infers)")
OP(FLATTEN,           "Flatten",               1,    1, 1,    1, A, flatten,        copy,           "axis:i=1",
   "y = x as 2-D [prod(dims[:axis]), prod(dims[axis:])]")
OP(TRANSPOSE,         "Transpose",             1,    1, 1,    1, A, transpose,      transpose,      "perm:ints?",
   "y = x with dims permuted by perm (default: reversed)")
OP(SQUEEZE,           "Squeeze",               1,    2, 1,    1, A, squeeze,        copy,           "",
   "y = x without the size-1 dims named by the constant i64 axes operand (all size-1 dims if absent)")
OP(UNSQUEEZE,         "Unsqueeze",             2,    2, 1,    1, A, unsqueeze,      copy,           "",
   "y = x with size-1 dims inserted at the constant i64 axes operand (positions in y)")
OP(CONCAT,            "Concat",                1, 4096, 1,    1, A, concat,         concat,         "axis:i",
   "y = operands joined along axis; all other dims equal")
OP(SPLIT,             "Split",                 1,    1, 1, 4096, A, split,          split,          "axis:i=0 split:ints?",
   "results are consecutive slices along axis of the sizes in split (equal parts when absent)")
OP(SLICE,             "Slice",                 1,    1, 1,    1, A, slice,          slice,          "axes:ints? ends:ints starts:ints steps:ints?",
   "numpy slicing x[starts:ends:steps] on axes; ONNX clamping of out-of-range bounds")
OP(PAD,               "Pad",                   1,    2, 1,    1, A, pad,            pad,            "mode:s=constant pads:ints",
   "pads [begin..., end...] (negative crops); mode constant (optional scalar operand, else 0), reflect or edge")
OP(RESIZE,            "Resize",                1,    1, 1,    1, N, resize,         resize,         "coordinate_transformation_mode:s=half_pixel cubic_coeff_a:f=-0.75 exclude_outside:i=0 extrapolation_value:f=0 mode:s=nearest nearest_mode:s=round_prefer_floor scales:floats? sizes:ints?",
   "resize by scales or to sizes; modes nearest and linear; ONNX coordinate transforms")
OP(GATHER,            "Gather",                2,    2, 1,    1, A, gather,         gather,         "axis:i=0",
   "y = x indexed along axis by the i32/i64 indices operand (negative from the end)")
OP(GATHERELEMENTS,    "GatherElements",        2,    2, 1,    1, A, gatherelements, gather,         "axis:i=0",
   "y[i] = x[i with index[axis] replaced by indices[i]]; y has the indices' shape")
OP(EXPAND,            "Expand",                1,    1, 1,    1, A, expand,         expand,         "shape:ints",
   "y = x broadcast (numpy) with the shape attribute")
OP(TILE,              "Tile",                  1,    1, 1,    1, A, tile,           tile,           "repeats:ints",
   "y = x repeated repeats[i] times along dim i")
OP(DEPTHTOSPACE,      "DepthToSpace",          1,    1, 1,    1, A, depthtospace,   depthtospace,   "blocksize:i mode:s=DCR",
   "NCHW: moves blocksize^2 channel groups into spatial blocks (DCR or CRD order)")
OP(SPACETODEPTH,      "SpaceToDepth",          1,    1, 1,    1, A, spacetodepth,   depthtospace,   "blocksize:i",
   "NCHW: moves spatial blocks into channels")
OP(TRILU,             "Trilu",                 1,    1, 1,    1, A, trilu,          trilu,          "k:i=0 upper:i=1",
   "keeps the upper (or lower) triangle of the last two dims from diagonal k; zeroes the rest")
OP(QUANTIZE,          "QuantizeLinear",        2,    3, 1,    1, F, quantize,       quant,          "axis:i=1",
   "y = saturate(round_half_even(x/scale) + zero_point); y's type carries scale and zero point")
OP(DEQUANTIZE,        "DequantizeLinear",      2,    3, 1,    1, A, dequantize,     quant,          "axis:i=1",
   "y = (x - zero_point) * scale, f32")
OP(DYNQUANTIZE,       "DynamicQuantizeLinear", 1,    1, 3,    3, F, dynquantize,    quant,          "",
   "u8 y, f32 scale and u8 zero point computed from min(x, 0) and max(x, 0)")
OP(QLINEARCONV,       "QLinearConv",           8,    9, 1,    1, I, qlinearconv,    conv,           "auto_pad:s=NOTSET dilations:ints? group:i=1 kernel_shape:ints? pads:ints? strides:ints?",
   "quantized Conv: operands x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, optional i32 bias")
OP(QLINEARMATMUL,     "QLinearMatMul",         8,    8, 1,    1, I, qlinearmatmul,  matmul,         "",
   "quantized MatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp")
OP(CONVINTEGER,       "ConvInteger",           2,    4, 1,    1, I, convinteger,    conv,           "auto_pad:s=NOTSET dilations:ints? group:i=1 kernel_shape:ints? pads:ints? strides:ints?",
   "i32 Conv of (x - x_zp) and (w - w_zp); zero points optional")
OP(MATMULINTEGER,     "MatMulInteger",         2,    4, 1,    1, I, matmulinteger,  matmul,         "",
   "i32 MatMul of (a - a_zp) and (b - b_zp); zero points optional, b_zp per column allowed")
