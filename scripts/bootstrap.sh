#!/usr/bin/env bash
# Installs what ABC Studio needs and is missing: Debian/Ubuntu system packages (FluidSynth, a General MIDI
# SoundFont, Qt's runtime libraries, abcmidi), then a virtualenv in .venv with the Python packages.
# Safe to run again: each step is skipped when already done. Sourced by ./studio.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ABC_STUDIO_VENV:-$here/.venv}"

apt_packages=(
  libfluidsynth3 timgm6mb-soundfont          # synthesizer library + General MIDI SoundFont
  abcmidi                                     # abc2midi: independent bar checker used by the tests
  librsvg2-bin                                # rsvg-convert: sheet music pages -> PDF
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 fonts-dejavu-core
  xvfb                                        # virtual screen for screenshots and headless demos
  python3-venv
)
if [ "${1:-}" = test ]; then  # only the tests read sheet music back: MuseScore 3 (MusicXML), poppler (PDF text)
  apt_packages+=(musescore3 poppler-utils)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "[abc-studio] installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[abc-studio] not a Debian/Ubuntu system: please install FluidSynth, a GM SoundFont and Qt's libraries yourself" >&2
  fi
fi

python="${PYTHON:-python3}"
stamp="$venv/.abc-studio-installed"
if [ ! -x "$venv/bin/python" ]; then
  echo "[abc-studio] creating virtualenv $venv"
  "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  echo "[abc-studio] installing Python packages (first time takes a few minutes)"
  "$venv/bin/python" -m pip install -q --upgrade pip
  # The CPU build of torch first: an unpinned torch may pull a CUDA build of several GB.
  "$venv/bin/python" -m pip install -q "torch==2.13.0" || "$venv/bin/python" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
  "$venv/bin/python" -m pip install -q -e "$here[test]"
  touch "$stamp"
fi
