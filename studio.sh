#!/usr/bin/env bash
# ABC Studio launcher: installs whatever is missing, then runs the studio.
#   ./studio.sh            open the window
#   ./studio.sh test       run the whole test suite (headless, in parallel)
#   ./studio.sh cli ARGS   the command line (python -m studio ARGS)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/scripts/bootstrap.sh"
py="$venv/bin/python"
case "${1:-}" in
  test)
    shift
    export QT_QPA_PLATFORM=offscreen
    # In parallel: one pytest-xdist worker per CPU (at most 4, each holds torch, Qt and the session's models); a
    # module whose tests share a module fixture runs in one worker, slow tests are dealt first (tests/parallel.py).
    # Your own -n (-n 0: one process, for debugging), --pdb or -p no:xdist wins.
    workers=(-n auto --maxprocesses 4 --dist loadgroup)
    for arg in "$@"; do
      case "$arg" in no:xdist|-pno:xdist) workers=() ;; esac
    done
    exec "$py" -m pytest "$here/tests" ${workers[@]+"${workers[@]}"} "$@" ;;
  cli)
    shift
    exec "$py" -m studio "$@" ;;
  *)
    exec "$py" "$here/main.py" "$@" ;;
esac
