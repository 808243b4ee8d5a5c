#!/usr/bin/env python3
"""Write a .cir input holding bytes that a lit test file should not hold
itself (NUL, control bytes, invalid UTF-8) or that must end the file at a
given point.  Usage: gen_bytes.py KIND > out.cir; see lex-errors.cir."""
import sys



def graph(byte):
    """A graph whose line 2 holds byte at column 21."""
    return b'graph @g {\n  input %x : f32[1] ' + byte + b'\n  output "y" = %x\n}\n'


CASES = {
    # an unexpected byte at line 2, column 21
    "nul": graph(b"\x00"),
    "ctrl": graph(b"\x01"),
    "del": graph(b"\x7f"),
    "high": graph(b"\xff"),
    # the input ends inside a string literal that starts at 3:10
    "eof-string": b'graph @g {\n  input %x : f32[1]\n  output "y',
    # the input ends right after a '%' at 3:16
    "eof-sigil": b'graph @g {\n  input %x : f32[1]\n  output "y" = %',
    # a NUL byte inside a string literal that starts at 3:10
    "nul-string": b'graph @g {\n  input %x : f32[1]\n  output "y\x00" = %x\n}\n',
    # CR LF line ends and tabs
    "crlf": b'graph @g {\r\n\tinput %x :\tf32[1]\r\n\toutput "y" = %x\r\n}\r\n',
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.stderr.write("usage: gen_bytes.py {%s}\n" % "|".join(sorted(CASES)))
        return 2
    sys.stdout.buffer.write(CASES[sys.argv[1]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
