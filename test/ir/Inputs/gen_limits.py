#!/usr/bin/env python3
"""Write a .cir input that sits at, or one past, a limit of ir/limits.h.

Usage: gen_limits.py KIND N > out.cir

Kinds (N is the count that the input holds):
  operands   one Concat with N operands
  results    one Relu with N results
  inputs     N graph inputs
  outputs    N graph outputs
  name       a bare value name of N bytes
  numname    a numbered value name (%000...0) of N digits
  global     a bare graph name of N bytes
  quoted     a quoted value name (%"...") of N bytes as written
  escaped    a string literal written as N bytes of \\xHH escapes (N/4 bytes decoded)
  attrname   a bare attribute name of N bytes
  string     an output name (string literal) of N bytes
  list       a list attribute of N ints
  scales     per-axis quantization with N scales (and N zero points)
  zeros      per-axis quantization with 4096 scales and N zero points
  attrs      one op with N attributes
  errors     N ops with one verifier error each
The graph is otherwise valid, so that an input at a limit is accepted by the
parser and, where the op table allows it, by the verifier.
"""
import sys

LIMIT = 4096


def graph(body, name="g"):
    return "graph @%s {\n%s}\n" % (name, "".join("  %s\n" % line for line in body))


def gen(kind, n):
    if kind == "operands":
        return graph(["input %x : f32[1]",
                      "%%y = Concat %s {axis = 0} : f32[%d]" % (", ".join(["%x"] * n), n),
                      'output "y" = %y'])
    if kind == "results":
        return graph(["input %x : f32[1]",
                      "%s = Relu %%x : %s" % (", ".join("%%r%d" % i for i in range(n)),
                                              ", ".join(["f32[1]"] * n)),
                      'output "y" = %r0'])
    if kind == "inputs":
        return graph(["input %%i%d : f32[1]" % i for i in range(n)] + ['output "y" = %i0'])
    if kind == "outputs":
        return graph(["input %x : f32[1]"] + ['output "o%d" = %%x' % i for i in range(n)])
    if kind == "name":
        v = "v" * n
        return graph(["input %%%s : f32[1]" % v, 'output "y" = %%%s' % v])
    if kind == "numname":
        v = "0" * n
        return graph(["input %x : f32[1]", "%%%s = Relu %%x : f32[1]" % v, 'output "y" = %%%s' % v])
    if kind == "global":
        return graph(["input %x : f32[1]", 'output "y" = %x'], name="G" * n)
    if kind == "quoted":
        v = '"%s"' % ("q" * n)
        return graph(["input %%%s : f32[1]" % v, 'output "y" = %%%s' % v])
    if kind == "escaped":
        assert n % 4 == 0
        return graph(["input %x : f32[1]", 'output "%s" = %%x' % ("\\x41" * (n // 4))])
    if kind == "attrname":
        return graph(["input %x : f32[1]", "%%y = Relu %%x {%s = 0} : f32[1]" % ("a" * n),
                      'output "y" = %y'])
    if kind == "string":
        return graph(["input %x : f32[1]", 'output "%s" = %%x' % ("s" * n)])
    if kind == "list":
        return graph(["input %x : f32[1]",
                      "%%y = Relu %%x {big = [%s]} : f32[1]" % ", ".join(["0"] * n),
                      'output "y" = %y'])
    if kind == "scales":
        return graph(["input %%x : i8[%d] quant(axis=0, scale=[%s], zero=[%s])"
                      % (n, ", ".join(["1.0"] * n), ", ".join(["0"] * n)),
                      'output "x" = %x'])
    if kind == "zeros":
        return graph(["input %%x : i8[%d] quant(axis=0, scale=[%s], zero=[%s])"
                      % (LIMIT, ", ".join(["1.0"] * LIMIT), ", ".join(["0"] * n)),
                      'output "x" = %x'])
    if kind == "attrs":
        return graph(["input %x : f32[1]",
                      "%%y = Relu %%x {%s} : f32[1]" % ", ".join("a%03d = %d" % (i, i) for i in range(n)),
                      'output "y" = %y'])
    if kind == "errors":
        body = ["input %x : f32[1]"]
        body += ["%%y%d = Relu %%x {bad%d = 0} : f32[1]" % (i, i) for i in range(n)]
        return graph(body + ['output "y" = %x'])
    raise KeyError(kind)


def main():
    try:
        kind, n = sys.argv[1], int(sys.argv[2])
        text = gen(kind, n)
    except (IndexError, ValueError, KeyError):
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
