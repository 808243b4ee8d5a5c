#!/usr/bin/env python3
"""Round-trip every .cir file under a directory through condense-opt.

Usage: roundtrip_all.py DIR CONDENSE_OPT

Each .cir file under DIR (recursively, skipping directories named Inputs)
is cut at lines that start with "// -----", as condense-opt
--split-input-file does.  Every piece that condense-opt accepts (exit 0) is
printed once, the printed text is read back and printed again, and the two
printed texts must be byte for byte equal.  Pieces that condense-opt
rejects are skipped; a piece that crashes it (a signal, or a sanitizer
report on stderr) is a failure, as is printed text that does not read back.

Prints "roundtrip: N pieces checked, M skipped (rejected input)" and exits 1
after listing every failing file and piece index (0-based), else 0.
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

SPLIT_MARK = "// -----"
SKIP_DIRS = {"Inputs"}


def cir_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".cir"):
                yield os.path.join(dirpath, name)


def pieces(data):
    """The pieces of data (bytes) between split markers."""
    out, cur = [], []
    for line in data.splitlines(keepends=True):
        if line.startswith(SPLIT_MARK.encode()):
            out.append(b"".join(cur))
            cur = []
        else:
            cur.append(line)
    out.append(b"".join(cur))
    return out


def crashed(proc):
    err = proc.stderr.decode("utf-8", "replace")
    return proc.returncode < 0 or "Sanitizer" in err or "runtime error:" in err


def run(tool, path):
    return subprocess.run([tool, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def check_piece(tool, tmpdir, tag, text):
    """Returns ("checked" | "skipped" | "failed", detail)."""
    src = os.path.join(tmpdir, tag + ".in.cir")
    with open(src, "wb") as f:
        f.write(text)
    first = run(tool, src)
    if crashed(first):
        return "failed", "crashed on the input:\n" + first.stderr.decode("utf-8", "replace")
    if first.returncode != 0:
        return "skipped", ""
    printed = os.path.join(tmpdir, tag + ".out.cir")
    with open(printed, "wb") as f:
        f.write(first.stdout)
    second = run(tool, printed)
    if crashed(second) or second.returncode != 0:
        return "failed", "the printed form does not read back:\n" + second.stderr.decode("utf-8", "replace")
    if second.stdout != first.stdout:
        a = first.stdout.decode("utf-8", "replace").splitlines()
        b = second.stdout.decode("utf-8", "replace").splitlines()
        for i, (x, y) in enumerate(zip(a + [""] * len(b), b + [""] * len(a))):
            if x != y:
                return "failed", "prints differ at line %d:\n  first:  %s\n  second: %s" % (i + 1, x, y)
        return "failed", "prints differ"
    return "checked", ""


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    root, tool = sys.argv[1], sys.argv[2]
    jobs = []
    for path in cir_files(root):
        with open(path, "rb") as f:
            for i, text in enumerate(pieces(f.read())):
                jobs.append((os.path.relpath(path, root), i, text))
    counts = {"checked": 0, "skipped": 0, "failed": 0}
    failures = []
    with tempfile.TemporaryDirectory() as tmpdir:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
            futs = [pool.submit(check_piece, tool, tmpdir, "p%d" % n, text)
                    for n, (_, _, text) in enumerate(jobs)]
            for (rel, i, _), fut in zip(jobs, futs):
                status, detail = fut.result()
                counts[status] += 1
                if status == "failed":
                    failures.append("%s: piece %d: %s" % (rel, i, detail))
    for f in failures:
        print("FAIL: " + f)
    print("roundtrip: %d pieces checked, %d skipped (rejected input)" % (counts["checked"], counts["skipped"]))
    if failures:
        print("roundtrip: %d pieces failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
