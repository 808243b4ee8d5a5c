#!/bin/sh
# bench/venv.sh VENV - create or update the benchmark's virtual environment.
#
# A venv of Debian's /usr/bin/python3 (not a pyenv or other python3 first on
# PATH) with --system-site-packages, so Debian's python3-torch and
# python3-torchvision, which export the models, stay visible; then the pinned
# packages of bench/requirements.txt, and bench/requirements-nodeps.txt
# without dependencies.  When installing everything at once fails, each
# package is tried on its own, so one unavailable peer does not take the
# others with it (bench/bench.py reports a missing peer as not measured).
# VENV/.bench-stamp is written only when everything installed.
set -u
venv=${1:-.venv-bench}
py=/usr/bin/python3
here=$(dirname "$0")
req=$here/requirements.txt
nodeps=$here/requirements-nodeps.txt

if ! $py -c 'import venv, ensurepip' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "bench-venv: installing python3-venv"
		apt-get update && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends python3-venv || exit 1
	else
		echo "bench-venv: $py has no venv module; install it with:" >&2
		echo "  sudo apt-get install python3-venv" >&2
		exit 1
	fi
fi
if [ ! -x "$venv/bin/python" ]; then
	echo "bench-venv: creating $venv from $py"
	$py -m venv --system-site-packages "$venv" || exit 1
fi
pip="$venv/bin/python -m pip --disable-pip-version-check"
ok=1
echo "bench-venv: installing $req (TensorFlow alone is about 600 MB the first time)"
if ! $pip install -q -r "$req"; then
	echo "bench-venv: installing all of $req at once failed; trying each package" >&2
	for r in $(grep -v '^[[:space:]]*#' "$req" | sed 's/[[:space:]]*#.*//'); do
		$pip install -q -c "$req" "$r" || {
			ok=0
			echo "bench-venv: cannot install $r; the peers needing it will be reported as not measured" >&2
		}
	done
fi
$pip install -q --no-deps -r "$nodeps" || {
	ok=0
	echo "bench-venv: cannot install $nodeps; TFLite will be reported as not measured" >&2
}
if [ $ok -eq 1 ]; then
	date -u '+%Y-%m-%d %H:%M UTC' > "$venv/.bench-stamp"
	echo "bench-venv: $venv ready"
fi
exit 0
