/*
** quant_ranges.c - the ranges file (format in quant_ranges.h).
**
** Labels are resolved through a sorted table of every value's printed
** label, so reading is O(n log n) in the graph size and never depends on
** how the graph was numbered beyond what the printer shows.
*/
#include "passes/quant_ranges.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/util.h"

/* Longest line of a ranges file: a label of IR's longest name plus two
** numbers fits with room to spare. */
#define QR_LINE_MAX 8192

quant_ranges *quant_ranges_new(ir_graph *g)
{
	quant_ranges *q = ir_alloc(g->ctx, sizeof *q);
	q->n_vals = g->n_vals;
	q->r = ir_alloc_array(g->ctx, g->n_vals, sizeof *q->r);
	q->has = ir_alloc_array(g->ctx, g->n_vals, sizeof *q->has);
	return q;
}

int quant_ranges_write(const ir_graph *g, const quant_ranges *q, FILE *out)
{
	uint32_t *num = ir_number_values(g);
	char label[QR_LINE_MAX];
	fprintf(out, "# condense ranges v1\n");
	if (q->method || q->samples)
		fprintf(out, "# method %s, samples %d\n", q->method ? q->method : "unknown",
			(int)q->samples);
	for (ir_val v = 1; v < q->n_vals && v < g->n_vals; v++) {
		if (!q->has[v])
			continue;
		ir_value_label(g, num, v, label, sizeof label);
		fprintf(out, "%s %.9g %.9g\n", label, (double)q->r[v].lo, (double)q->r[v].hi);
	}
	return ferror(out) ? -1 : 0;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct label_ent {
	const char *label;
	ir_val v;
} label_ent;

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const label_ent *)a)->label, ((const label_ent *)b)->label);
}

/* Every value's printed label, sorted for bsearch. */
static label_ent *label_table(ir_graph *g)
{
	uint32_t *num = ir_number_values(g);
	label_ent *t = ir_alloc_array(g->ctx, g->n_vals, sizeof *t);
	char buf[QR_LINE_MAX];
	for (ir_val v = 1; v < g->n_vals; v++) {
		ir_value_label(g, num, v, buf, sizeof buf);
		t[v - 1] = (label_ent){ir_strdup(g->ctx, buf), v};
	}
	if (g->n_vals > 1)
		qsort(t, g->n_vals - 1, sizeof *t, cmp_label);
	return t;
}

/* The label at *s ("%name", "%N" or "%\"name\""): its length, 0 if none. */
static size_t label_len(const char *s)
{
	if (s[0] != '%')
		return 0;
	if (s[1] == '"') {
		const char *e = strchr(s + 2, '"');
		return e ? (size_t)(e - s) + 1 : 0;
	}
	size_t n = 1;
	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n' && s[n] != '\r')
		n++;
	return n > 1 ? n : 0;
}

static bool parse_float(const char **s, float *f)
{
	char *end;
	errno = 0;
	*f = strtof(*s, &end);
	if (end == *s || errno == ERANGE)
		return false;
	*s = end;
	return true;
}

typedef struct reader {
	ir_graph *g;
	const char *path;
	int line;
	label_ent *tab;
	quant_ranges *q;
} reader;

static int rd_error(reader *r, const char *fmt, const char *arg)
{
	return ir_error(r->g->ctx, (ir_loc){r->path, r->line, 1}, fmt, arg);
}

/* One non-comment line: "LABEL LO HI". */
static int read_line(reader *r, char *s)
{
	size_t n = label_len(s);
	if (n == 0)
		return rd_error(r, "expected a value label (%%name) at the start of the line%s", "");
	char save = s[n];
	s[n] = '\0';
	label_ent key = {s, 0};
	label_ent *e = bsearch(&key, r->tab, r->g->n_vals - 1, sizeof key, cmp_label);
	if (e == NULL)
		return rd_error(r, "no value %s in the graph", s);
	if (!ir_dtype_is_float(ir_type_of(r->g, e->v)->dtype))
		return rd_error(r, "value %s is not a float tensor", s);
	if (r->q->has[e->v])
		return rd_error(r, "value %s has two ranges", s);
	s[n] = save;
	const char *p = s + n;
	float lo, hi;
	if (!parse_float(&p, &lo) || !parse_float(&p, &hi) || strspn(p, " \t\r\n") != strlen(p))
		return rd_error(r, "expected 'LABEL LO HI' with two decimal numbers%s", "");
	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		return rd_error(r, "range must be finite with lo <= hi%s", "");
	r->q->r[e->v] = (quant_range){lo, hi};
	r->q->has[e->v] = true;
	return 0;
}

static int read_lines(reader *r, FILE *f)
{
	char buf[QR_LINE_MAX];
	while (fgets(buf, sizeof buf, f)) {
		r->line++;
		if (strchr(buf, '\n') == NULL && !feof(f))
			return rd_error(r, "line longer than %s bytes", "8191");
		char *s = buf + strspn(buf, " \t");
		if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
			continue;
		if (read_line(r, s) < 0)
			return -1;
	}
	return ferror(f) ? rd_error(r, "read error%s", "") : 0;
}

quant_ranges *quant_ranges_read(ir_graph *g, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		ir_error(g->ctx, (ir_loc){path, 0, 0}, "cannot open ranges file: %s", strerror(errno));
		return NULL;
	}
	reader r = {g, path, 0, label_table(g), quant_ranges_new(g)};
	int rc = read_lines(&r, f);
	fclose(f);
	return rc < 0 ? NULL : r.q;
}
