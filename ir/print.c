/*
** print.c - the text form (.cir) printer.
**
** The printer is the definition of the canonical text: ir_parse() accepts
** everything it prints, and printing what was parsed gives the same bytes.
** Canonical choices: unnamed values are numbered %0, %1, ... in order of
** definition (graph inputs first); attributes are sorted by name; floats
** use the shortest text that reads back to the same bits; a constant is
** inline when its data is at most IR_MAX_INLINE_BYTES and matches its type,
** otherwise it is a hash reference to a `data` entry at the end of the file,
** entries in order of first reference.  See docs/ir.md for the grammar.
*/
#include <inttypes.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/util.h"

#define B64_LINE 76 /* base64 chars per data line */

typedef struct printer {
	const ir_graph *g;
	FILE *out;
	uint32_t *num;      /* per value: number for unnamed values */
	uint8_t *want;      /* per blob: 1 when a data entry must be printed */
	uint32_t *order;    /* blobs in order of first reference */
	uint32_t n_order;
} printer;

static void put_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 32 || ch >= 127)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void put_name(FILE *out, char sigil, const char *s)
{
	if (sigil)
		fputc(sigil, out);
	if (ir_is_bare_ident(s, strlen(s)))
		fputs(s, out);
	else
		put_str(out, s);
}

static void put_val(printer *p, ir_val v)
{
	if (v == IR_NOVAL) {
		fputc('_', p->out);
		return;
	}
	if (v >= p->g->n_vals) { /* only an unverified graph gets here */
		fprintf(p->out, "%%<bad:%u>", (unsigned)v);
		return;
	}
	const char *name = p->g->vals[v].name;
	if (name)
		put_name(p->out, '%', name);
	else
		fprintf(p->out, "%%%u", (unsigned)p->num[v]);
}

static void put_f32(FILE *out, float f)
{
	char buf[32];
	ir_fmt_f32(buf, f);
	fputs(buf, out);
}

static void put_quant(FILE *out, const ir_quant *q)
{
	if (q->axis < 0 && q->n == 1) {
		fputs(" quant(scale=", out);
		put_f32(out, q->scale[0]);
		fprintf(out, ", zero=%" PRId32 ")", q->zero[0]);
		return;
	}
	fprintf(out, " quant(axis=%" PRId32 ", scale=[", q->axis);
	for (int32_t i = 0; i < q->n; i++) {
		fputs(i ? ", " : "", out);
		put_f32(out, q->scale[i]);
	}
	fputs("], zero=[", out);
	for (int32_t i = 0; i < q->n; i++)
		fprintf(out, "%s%" PRId32, i ? ", " : "", q->zero[i]);
	fputs("])", out);
}

static void put_type(FILE *out, const ir_type *t)
{
	fprintf(out, "%s[", ir_dtype_name(t->dtype));
	for (int i = 0; i < t->rank && i < IR_MAX_RANK; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", t->dims[i]);
	fputc(']', out);
	if (t->quant)
		put_quant(out, t->quant);
}

static void put_attr(FILE *out, const ir_attr *a)
{
	put_name(out, 0, a->name);
	fputs(" = ", out);
	switch (a->kind) {
	case IR_ATTR_INT: fprintf(out, "%" PRId64, a->u.i); break;
	case IR_ATTR_FLOAT: put_f32(out, a->u.f); break;
	case IR_ATTR_STR: put_str(out, a->u.s); break;
	case IR_ATTR_INTS:
		fputc('[', out);
		for (int32_t i = 0; i < a->n; i++)
			fprintf(out, "%s%" PRId64, i ? ", " : "", a->u.ints[i]);
		fputc(']', out);
		break;
	case IR_ATTR_FLOATS:
		fputc('[', out);
		for (int32_t i = 0; i < a->n; i++) {
			fputs(i ? ", " : "", out);
			put_f32(out, a->u.floats[i]);
		}
		fputc(']', out);
		break;
	}
}

/* Element i of data as text; returns 0 when it has no canonical inline form. */
static int put_elem(FILE *out, ir_dtype dt, const uint8_t *d, int64_t i)
{
	char buf[32];
	switch (dt) {
	case IR_F32: { float f; memcpy(&f, d + 4 * i, 4); ir_fmt_f32(buf, f); fputs(buf, out); return 1; }
	case IR_F16: { uint16_t h; memcpy(&h, d + 2 * i, 2); ir_fmt_f16(buf, h); fputs(buf, out); return 1; }
	case IR_I8: fprintf(out, "%d", (int8_t)d[i]); return 1;
	case IR_U8: fprintf(out, "%u", d[i]); return 1;
	case IR_BOOL: fprintf(out, "%u", d[i]); return 1;
	case IR_I16: { int16_t v; memcpy(&v, d + 2 * i, 2); fprintf(out, "%d", v); return 1; }
	case IR_I32: { int32_t v; memcpy(&v, d + 4 * i, 4); fprintf(out, "%" PRId32, v); return 1; }
	case IR_I64: { int64_t v; memcpy(&v, d + 8 * i, 8); fprintf(out, "%" PRId64, v); return 1; }
	case IR_I4: { int nib = (d[i / 2] >> (4 * (i & 1))) & 15; fprintf(out, "%d", nib >= 8 ? nib - 16 : nib); return 1; }
	default: return 0;
	}
}

/* True when b can print inline as elements of t and read back identically. */
static bool inline_ok(const ir_type *t, const ir_blob *b)
{
	int64_t n, bytes;
	if (ir_type_numel(t, &n) < 0 || ir_type_bytes(t, &bytes) < 0)
		return false;
	if (bytes != b->size || b->size > IR_MAX_INLINE_BYTES)
		return false;
	if (t->dtype == IR_BOOL)
		for (int64_t i = 0; i < n; i++)
			if (b->data[i] > 1)
				return false;
	if (t->dtype == IR_I4 && (n & 1) && (b->data[n / 2] >> 4))
		return false; /* the pad nibble is not zero */
	return true;
}

static void put_blob_ref(printer *p, uint32_t bi)
{
	const ir_blob *b = &p->g->blobs[bi];
	fprintf(p->out, "#%016" PRIx64 "%016" PRIx64, b->hash.hi, b->hash.lo);
	if (!p->want[bi]) {
		p->want[bi] = 1;
		p->order[p->n_order++] = bi;
	}
}

/* The mask is a bitset: bit i (LSB first) set when element i is kept. */
static void put_mask(printer *p, const ir_type *t, uint32_t mi)
{
	const ir_blob *m = &p->g->blobs[mi];
	int64_t n;
	fputs(" mask ", p->out);
	bool small = ir_type_numel(t, &n) == 0 && n <= 64 && m->size == (n + 7) / 8;
	if (!small || (n % 8 && (m->data[n / 8] >> (n % 8)))) {
		put_blob_ref(p, mi); /* too big, or stray bits past n */
		return;
	}
	fputc('[', p->out);
	for (int64_t i = 0; i < n; i++)
		fprintf(p->out, "%s%d", i ? ", " : "", (m->data[i / 8] >> (i % 8)) & 1);
	fputc(']', p->out);
}

static void put_const(printer *p, const ir_op *op)
{
	const ir_type *t = &p->g->vals[op->out[0]].type;
	fputs("const ", p->out);
	put_type(p->out, t);
	fputc(' ', p->out);
	if (op->blob == 0 || op->blob >= p->g->n_blobs) {
		fputs("#<missing>", p->out);
		return;
	}
	const ir_blob *b = &p->g->blobs[op->blob];
	if (inline_ok(t, b)) {
		int64_t n;
		ir_type_numel(t, &n);
		fputc('[', p->out);
		for (int64_t i = 0; i < n; i++) {
			fputs(i ? ", " : "", p->out);
			put_elem(p->out, t->dtype, b->data, i);
		}
		fputc(']', p->out);
	} else {
		put_blob_ref(p, op->blob);
	}
	if (op->mask && op->mask < p->g->n_blobs)
		put_mask(p, t, op->mask);
}

static void put_op(printer *p, const ir_op *op)
{
	FILE *out = p->out;
	fputs("  ", out);
	for (int32_t i = 0; i < op->n_out; i++) {
		fputs(i ? ", " : "", out);
		put_val(p, op->out[i]);
	}
	fputs(" = ", out);
	if (op->kind == IR_OP_CONST) {
		put_const(p, op);
	} else {
		fputs(ir_op_name(op->kind), out);
		for (int32_t i = 0; i < op->n_in; i++) {
			fputs(i ? ", " : " ", out);
			put_val(p, op->in[i]);
		}
		if (op->n_attrs) {
			fputs(" {", out);
			for (int32_t i = 0; i < op->n_attrs; i++) {
				fputs(i ? ", " : "", out);
				put_attr(out, &op->attrs[i]);
			}
			fputc('}', out);
		}
		fputs(" : ", out);
		for (int32_t i = 0; i < op->n_out; i++) {
			fputs(i ? ", " : "", out);
			put_type(out, &p->g->vals[op->out[i]].type);
		}
	}
	if (op->name) {
		fputs(" loc(", out);
		put_str(out, op->name);
		fputc(')', out);
	}
	fputc('\n', out);
}

static void put_data(printer *p, uint32_t bi)
{
	const ir_blob *b = &p->g->blobs[bi];
	fprintf(p->out, "\ndata #%016" PRIx64 "%016" PRIx64 " : %" PRId64 "\n", b->hash.hi, b->hash.lo, b->size);
	for (int64_t off = 0; off < b->size; off += B64_LINE / 4 * 3) {
		int64_t n = b->size - off < B64_LINE / 4 * 3 ? b->size - off : B64_LINE / 4 * 3;
		char line[B64_LINE + 1];
		ir_b64_encode(b->data + off, (size_t)n, line);
		fprintf(p->out, "  \"%s\"\n", line);
	}
	if (b->size == 0)
		fputs("  \"\"\n", p->out);
}

uint32_t *ir_number_values(const ir_graph *g)
{
	uint32_t *num = ir_alloc_array(g->ctx, g->n_vals, sizeof *num);
	uint32_t next = 0;
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (g->inputs[i] < g->n_vals && !g->vals[g->inputs[i]].name)
			num[g->inputs[i]] = next++;
	for (uint32_t i = 0; i < g->n_ops; i++)
		for (int32_t j = 0; j < g->ops[i]->n_out; j++) {
			ir_val v = g->ops[i]->out[j];
			if (v < g->n_vals && !g->vals[v].name)
				num[v] = next++;
		}
	return num;
}

void ir_value_label(const ir_graph *g, const uint32_t *num, ir_val v, char *buf, size_t n)
{
	if (v == IR_NOVAL || v >= g->n_vals)
		snprintf(buf, n, "%s", v == IR_NOVAL ? "_" : "<invalid>");
	else if (g->vals[v].name && ir_is_bare_ident(g->vals[v].name, strlen(g->vals[v].name)))
		snprintf(buf, n, "%%%s", g->vals[v].name);
	else if (g->vals[v].name)
		snprintf(buf, n, "%%\"%s\"", g->vals[v].name);
	else
		snprintf(buf, n, "%%%u", (unsigned)num[v]);
}

typedef struct print_job {
	const ir_graph *g;
	FILE *out;
} print_job;

static int print_graph(ir_ctx *c, void *ud)
{
	const ir_graph *g = ((print_job *)ud)->g;
	FILE *out = ((print_job *)ud)->out;
	printer p = {g, out, NULL, NULL, NULL, 0};
	p.num = ir_number_values(g);
	p.want = ir_alloc_array(c, g->n_blobs, 1);
	p.order = ir_alloc_array(c, g->n_blobs, sizeof *p.order);
	fputs("graph ", out);
	put_name(out, '@', g->name);
	fputs(" {\n", out);
	for (uint32_t i = 0; i < g->n_inputs; i++) {
		fputs("  input ", out);
		put_val(&p, g->inputs[i]);
		fputs(" : ", out);
		put_type(out, &g->vals[g->inputs[i]].type);
		fputc('\n', out);
	}
	for (uint32_t i = 0; i < g->n_ops; i++)
		put_op(&p, g->ops[i]);
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		fputs("  output ", out);
		put_str(out, g->outputs[i].name ? g->outputs[i].name : "");
		fputs(" = ", out);
		put_val(&p, g->outputs[i].val);
		fputc('\n', out);
	}
	fputs("}\n", out);
	for (uint32_t i = 0; i < p.n_order; i++)
		put_data(&p, p.order[i]);
	return ferror(out) ? ir_error(c, (ir_loc){0}, "write error while printing the graph") : 0;
}

int ir_print(const ir_graph *g, FILE *out)
{
	print_job job = {g, out};
	return ir_protect(g->ctx, print_graph, &job);
}
