/*
** The op table: the single source of truth for every op of the condense IR.
**
** Each row is one op.  The file is included several times with different
** definitions of OP() to build the op enum, the name table, the attribute
** schemas and the per-op dispatch tables of the printer, parser, verifier,
** shape inference and (later) the interpreter.  Adding an op is one row here
** plus its shape rule (ir/infer.c) when no existing rule fits.
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
**   ATTRS  attribute schema: space-separated "name:kind" entries, kind one
**          of i (int64), f (float), s (string), ints, floats; "=V" gives a
**          default, "?" marks an optional attribute with no default, and a
**          bare "name:kind" is required
**   DOC    one-line semantics
**
** Semantics follow ONNX (opset 17) for every op that has an ONNX name.
*/
/*  ID                 NAME                  IN    OUT   TY RULE       ATTRS                                                                                   DOC */
OP(CONST,              "const",              0, 0, 1, 1, A, konst,     "",                                                                                      "a constant tensor from the graph's content-addressed constant store")
OP(IDENTITY,           "Identity",           1, 1, 1, 1, A, same,      "",                                                                                      "y = x")
OP(RELU,               "Relu",               1, 1, 1, 1, N, same,      "",                                                                                      "y = max(x, 0)")
OP(LEAKYRELU,          "LeakyRelu",          1, 1, 1, 1, F, same,      "alpha:f=0.01",                                                                          "y = x < 0 ? alpha*x : x")
OP(ELU,                "Elu",                1, 1, 1, 1, F, same,      "alpha:f=1",                                                                             "y = x < 0 ? alpha*(exp(x)-1) : x")
OP(SIGMOID,            "Sigmoid",            1, 1, 1, 1, F, same,      "",                                                                                      "y = 1/(1+exp(-x))")
OP(HARDSIGMOID,        "HardSigmoid",        1, 1, 1, 1, F, same,      "alpha:f=0.2 beta:f=0.5",                                                                "y = max(0, min(1, alpha*x+beta))")
OP(HARDSWISH,          "HardSwish",          1, 1, 1, 1, F, same,      "",                                                                                      "y = x*max(0, min(1, x/6+1/2))")
OP(TANH,               "Tanh",               1, 1, 1, 1, F, same,      "",                                                                                      "y = tanh(x)")
OP(EXP,                "Exp",                1, 1, 1, 1, F, same,      "",                                                                                      "y = exp(x)")
OP(LOG,                "Log",                1, 1, 1, 1, F, same,      "",                                                                                      "y = log(x)")
OP(SQRT,               "Sqrt",               1, 1, 1, 1, F, same,      "",                                                                                      "y = sqrt(x)")
OP(ERF,                "Erf",                1, 1, 1, 1, F, same,      "",                                                                                      "y = erf(x)")
OP(RECIPROCAL,         "Reciprocal",         1, 1, 1, 1, F, same,      "",                                                                                      "y = 1/x")
OP(NEG,                "Neg",                1, 1, 1, 1, N, same,      "",                                                                                      "y = -x")
OP(ABS,                "Abs",                1, 1, 1, 1, N, same,      "",                                                                                      "y = |x|")
OP(FLOOR,              "Floor",              1, 1, 1, 1, F, same,      "",                                                                                      "y = floor(x)")
OP(CEIL,               "Ceil",               1, 1, 1, 1, F, same,      "",                                                                                      "y = ceil(x)")
OP(NOT,                "Not",                1, 1, 1, 1, B, same,      "",                                                                                      "y = !x")
OP(CLIP,               "Clip",               1, 3, 1, 1, N, clip,      "",                                                                                      "y = min(max(x, lo), hi); lo and hi are optional scalar operands of x's type")
OP(SOFTMAX,            "Softmax",            1, 1, 1, 1, F, softmax,   "axis:i=-1",                                                                             "y = exp(x - max) / sum(exp(x - max)) along axis")
OP(LOGSOFTMAX,         "LogSoftmax",         1, 1, 1, 1, F, softmax,   "axis:i=-1",                                                                             "y = log(Softmax(x)) along axis")
OP(ADD,                "Add",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = a + b, numpy broadcasting")
OP(SUB,                "Sub",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = a - b, numpy broadcasting")
OP(MUL,                "Mul",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = a * b, numpy broadcasting")
OP(DIV,                "Div",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = a / b, numpy broadcasting; integer division truncates")
OP(POW,                "Pow",                2, 2, 1, 1, F, bcast,     "",                                                                                      "y = a ^ b, numpy broadcasting")
OP(MIN,                "Min",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = min(a, b), numpy broadcasting")
OP(MAX,                "Max",                2, 2, 1, 1, N, bcast,     "",                                                                                      "y = max(a, b), numpy broadcasting")
OP(EQUAL,              "Equal",              2, 2, 1, 1, A, compare,   "",                                                                                      "y = a == b (bool), numpy broadcasting")
OP(LESS,               "Less",               2, 2, 1, 1, N, compare,   "",                                                                                      "y = a < b (bool), numpy broadcasting")
OP(GREATER,            "Greater",            2, 2, 1, 1, N, compare,   "",                                                                                      "y = a > b (bool), numpy broadcasting")
OP(AND,                "And",                2, 2, 1, 1, B, bcast,     "",                                                                                      "y = a && b, numpy broadcasting")
OP(OR,                 "Or",                 2, 2, 1, 1, B, bcast,     "",                                                                                      "y = a || b, numpy broadcasting")
OP(WHERE,              "Where",              3, 3, 1, 1, B, where,     "",                                                                                      "y = c ? a : b, numpy broadcasting of all three")
OP(CAST,               "Cast",               1, 1, 1, 1, A, cast,      "to:s",                                                                                  "y = x converted to element type 'to' (an IR type name: f32, i64, ...)")
OP(MATMUL,             "MatMul",             2, 2, 1, 1, N, matmul,    "",                                                                                      "numpy matmul: batched over leading dims with broadcasting; 1-D operands are promoted")
OP(GEMM,               "Gemm",               2, 3, 1, 1, F, gemm,      "alpha:f=1 beta:f=1 transA:i=0 transB:i=0",                                             "y = alpha*op(A)*op(B) + beta*C; A, B 2-D; C unidirectionally broadcast to y")
OP(CONV,               "Conv",               2, 3, 1, 1, F, conv,      "auto_pad:s=NOTSET dilations:ints? group:i=1 kernel_shape:ints? pads:ints? strides:ints?", "N-D convolution (cross-correlation), NCHW, weight [M, C/group, k...], optional bias [M]")
OP(MAXPOOL,            "MaxPool",            1, 1, 1, 1, N, pool,      "auto_pad:s=NOTSET ceil_mode:i=0 dilations:ints? kernel_shape:ints pads:ints? storage_order:i=0 strides:ints?", "max over each window; padding never wins")
OP(AVGPOOL,            "AveragePool",        1, 1, 1, 1, F, pool,      "auto_pad:s=NOTSET ceil_mode:i=0 count_include_pad:i=0 kernel_shape:ints pads:ints? strides:ints?", "mean over each window; count_include_pad decides the divisor at borders")
OP(GLOBALAVGPOOL,      "GlobalAveragePool",  1, 1, 1, 1, F, gpool,     "",                                                                                      "mean over all spatial dims; y is [N, C, 1, ...]")
OP(GLOBALMAXPOOL,      "GlobalMaxPool",      1, 1, 1, 1, N, gpool,     "",                                                                                      "max over all spatial dims; y is [N, C, 1, ...]")
OP(BATCHNORM,          "BatchNormalization", 5, 5, 1, 1, F, batchnorm, "epsilon:f=1e-05 momentum:f=0.9",                                                       "inference: y = scale*(x-mean)/sqrt(var+epsilon) + bias, per channel (dim 1)")
OP(RESHAPE,            "Reshape",            2, 2, 1, 1, A, reshape,   "allowzero:i=0",                                                                         "y = x with the shape given by the constant i64 operand (0 copies, -1 infers)")
OP(FLATTEN,            "Flatten",            1, 1, 1, 1, A, flatten,   "axis:i=1",                                                                              "y = x as 2-D [prod(dims[:axis]), prod(dims[axis:])]")
OP(TRANSPOSE,          "Transpose",          1, 1, 1, 1, A, transpose, "perm:ints?",                                                                            "y = x with dims permuted by perm (default: reversed)")
OP(SQUEEZE,            "Squeeze",            1, 2, 1, 1, A, squeeze,   "",                                                                                      "y = x without the size-1 dims named by the constant i64 axes operand (all size-1 dims if absent)")
OP(UNSQUEEZE,          "Unsqueeze",          2, 2, 1, 1, A, unsqueeze, "",                                                                                      "y = x with size-1 dims inserted at the constant i64 axes operand (positions in y)")
OP(CONCAT,             "Concat",             1, 64, 1, 1, A, concat,   "axis:i",                                                                                "y = operands joined along axis; all other dims equal")
OP(QUANTIZE,           "QuantizeLinear",     2, 3, 1, 1, F, quantize,  "axis:i=1",                                                                              "y = saturate(round_half_even(x/scale) + zero_point); y's type carries scale and zero point")
OP(DEQUANTIZE,         "DequantizeLinear",   2, 3, 1, 1, A, dequantize,"axis:i=1",                                                                              "y = (x - zero_point) * scale, f32")
