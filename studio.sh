#!/usr/bin/env bash
# ABC Studio launcher: installs whatever is missing, then runs the studio.
#   ./studio.sh            open the window
#   ./studio.sh test       run the whole test suite (headless)
#   ./studio.sh cli ARGS   the command line (python -m studio ARGS)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/scripts/bootstrap.sh"
py="$venv/bin/python"
case "${1:-}" in
  test)
    shift
    export QT_QPA_PLATFORM=offscreen
    exec "$py" -m pytest "$here/tests" "$@" ;;
  cli)
    shift
    exec "$py" -m studio "$@" ;;
  *)
    exec "$py" "$here/main.py" "$@" ;;
esac
