# lit.cfg.py - the condense lit suite.
#
# Run it on the build tree, never the source tree:
#   /usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test
# (ctest does this as the test "lit").  Tests are the .cir and .test files
# under test/, outside the excluded directories; each holds RUN: lines for
# lit's internal shell.
#
# Substitutions: %condense-opt and %condense expand to the full paths of the
# tools of this build, %unit to its directory of unit test binaries, %python
# to the Python running lit (Debian's, with onnx, numpy and torch).  PATH has the build's bin/ first, then the LLVM 19
# tools (FileCheck, not, count, split-file).

import os
import sys

import lit.TestRunner
import lit.formats

if not hasattr(config, "condense_obj_root"):
    lit_config.fatal("run lit on the build tree (lit build/test), "
                     "which holds the generated lit.site.cfg.py")

config.name = "condense"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".cir", ".test"]
# Inputs/ holds files that tests read; unit/ holds the C unit tests (ctest
# runs them); fuzz/ and fuzz-corpus/ hold fuzzer inputs, which may be .cir.
config.excludes = ["Inputs", "unit", "fuzz", "fuzz-corpus"]

# A hung test fails after 10 minutes (ctest passes the same --timeout).
lit_config.maxIndividualTestTime = 600


def _cancel_timer_on_error(tr):
    """
    lit 19's internal shell leaves a test's timeout timer running when a RUN
    line fails with an exception ("'x': command not found"); lit then waits
    the whole timeout before it exits.  Wrap executeShCmd so that the timer
    is always cancelled.  Only applied where lit has the functions patched.
    """
    if not all(hasattr(tr, f) for f in ("executeShCmd", "_executeShCmd", "TimeoutHelper")):
        return

    def execute_sh_cmd(cmd, shenv, results, timeout=0):
        helper = tr.TimeoutHelper(timeout)
        if timeout > 0:
            helper.startTimer()
        try:
            code = tr._executeShCmd(cmd, shenv, results, helper)
        finally:
            helper.cancel()
        info = None
        if helper.timeoutReached():
            info = "Reached timeout of {} seconds".format(timeout)
        return (code, info)

    tr.executeShCmd = execute_sh_cmd


_cancel_timer_on_error(lit.TestRunner)

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.condense_obj_root, "test")

# Before lit's own %p, which would otherwise eat the start of %python; and
# longest first, as %condense is a prefix of %condense-opt.
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%condense-opt", os.path.join(config.condense_tools_dir, "condense-opt")))
config.substitutions.append(
    ("%condense", os.path.join(config.condense_tools_dir, "condense")))
# The C unit test binaries (unit/unit_<name>), for tests that feed them files.
config.substitutions.append(("%unit", os.path.join(config.condense_obj_root, "unit")))

config.environment["PATH"] = os.pathsep.join(
    [config.condense_tools_dir, config.filecheck_dir, config.environment["PATH"]])
config.environment["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:abort_on_error=1"

if config.condense_sanitize:
    config.available_features.add("sanitize")
