#!/usr/bin/env python3
"""Print a one-graph .cir in a form that ignores value labels and the order
of constants, for comparing two graphs that must be the same program:
inputs become in0.., op results r0.. in op order, constants are named by
their type and data (a data block's label is the hash of its bytes), and
the constant definitions are printed sorted.  Ops keep their order,
attributes, types and loc(...).

Usage: cir_canon.py FILE.cir
"""
import re
import sys

NAME = r'%(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_.$\-]+)'


def main():
    lines = open(sys.argv[1]).read().split("\n")
    canon, consts, ops, outs = {}, [], [], []
    n_in = n_op = 0
    for line in lines:
        m = re.match(r"\s+input (%s) : (.*)$" % NAME, line)
        if m:
            canon[m.group(1)] = "in%d" % n_in
            ops.append("input in%d : %s" % (n_in, m.group(2)))
            n_in += 1
            continue
        m = re.match(r"\s+(%s) = const (.*)$" % NAME, line)
        if m:
            canon[m.group(1)] = "c<%s>" % m.group(2)
            consts.append("const " + m.group(2))
            continue
        m = re.match(r"\s+(%s) = (.*)$" % NAME, line)
        if m:
            body = re.sub(NAME, lambda r: canon.get(r.group(0), "?" + r.group(0)), m.group(2))
            canon[m.group(1)] = "r%d" % n_op
            ops.append("r%d = %s" % (n_op, body))
            n_op += 1
            continue
        m = re.match(r'\s+output ("[^"]*") = (%s)$' % NAME, line)
        if m:
            outs.append("output %s = %s" % (m.group(1), canon.get(m.group(2), "?")))
    print("\n".join(sorted(set(consts)) + ops + outs))


if __name__ == "__main__":
    main()
