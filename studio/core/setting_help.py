"""What the studio says about each choice of a training setting: the Train form's tooltips, the command line's help
and the runs table read these through :mod:`studio.core.configs` (``Setting.choices``)."""

from __future__ import annotations

CLOCK_HELP = {"none": "none: the text alone (the lab's network)",
              "bar": "bar: beside each character, how far into its bar the tune stands (a share of the meter), so "
                     "the network need not count a bar's time from the characters alone",
              "strain": "strain: the bar clock, and the strain's pickup and the bar's number in its strain, so a "
                        "strain's last bar can add up with its pickup"}
TEXT_LEVEL_HELP = {
    "raw": "raw: the tunes as collected (only cleaned), each transcriber's own writing: the lab's exact replication",
    "canonical": "canonical: the same music written one way (one spelling of keys and meters, no line "
                 "continuations, spaces only where they break beams, four bars a line), so the model learns the "
                 "music rather than the writing; the default for new runs",
    "melody": "melody: canonical without slurs, decorations, grace notes and chord symbols (what folk-rnn "
              "learns from)",
}
CONTEXT_HELP = {"stream": "stream: whole tunes, the network's memory carried from one window to the next (and "
                          "validated on whole tunes, as sampling reads them)",
                "window": "window: random windows, each read from a blank memory (the lab's)"}
TONIC_HELP = {"written": "as written: every tune in its own key (the lab's)",
              "D": "D (or another letter): every tune written with that tonic, its mode kept (a reel in G major in "
                   "D major, a jig in A dorian in D dorian), so cadences are learnt on one note; the model writes in "
                   "that key, and the Generate tab's Key moves its tunes to yours"}
UNITS_HELP = {"characters": "characters: one character at a time (the lab's)",
              "tokens": "tokens: one ABC token at a time, as folk-rnn reads (a note with its length, a bar line, a "
                        "field); a measurement for now: strict bars, regeneration and the inspector need characters"}
