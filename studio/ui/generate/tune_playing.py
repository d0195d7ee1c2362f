"""Playing the Generate tab's current tune: play (generating or waiting for the engraving first when there is
nothing to play yet), pause, stop, the score's highlight following the sound, and the audio probe after start-up.

A mixin of :class:`~studio.ui.generate.panel.GeneratePanel`: ``playback`` (the playback bar), ``score``,
``preview``, ``current_entry``, ``generate``, ``request_preview`` and the flags ``_play_when_ready``,
``_highlighted`` and ``_closed`` are the panel's.
"""

from __future__ import annotations


class TunePlaying:
    """The panel's playing (see the module docstring)."""

    @property
    def program(self) -> int:
        return self.playback.program

    def can_play(self) -> bool:
        return self.preview is not None and self.preview.midi is not None and self.playback.player.loaded

    def play(self) -> None:
        """Plays the current tune; with nothing to play, generates (or waits for the engraving) first."""
        if not self.can_play():
            entry = self.current_entry
            if entry is None or not entry.text.strip():
                if self.generate():
                    self._play_when_ready = True
                return
            if entry.generating or (self.preview is None or self.preview.text != entry.text):
                self._play_when_ready = True
                if not entry.generating:
                    self.request_preview(entry.text)
                return
            self._status(f"Cannot play this tune: {self.preview.midi_error if self.preview else ''}")
            return
        self.playback.play()

    def pause(self) -> None:
        self.playback.pause()

    def toggle_play(self) -> None:
        if self.playback.is_playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self._play_when_ready = False
        self.playback.stop()
        self.score.highlight([])
        self._highlighted = []

    def _highlight_at(self, ms: float) -> None:
        """Highlights the notes sounding at ``ms`` (file time) in the score."""
        if self.preview is None or not self.preview.engraved:
            return
        sounding = self.playback.ids_at(ms) if ms > 0 or self.playback.is_playing else []
        if sounding != self._highlighted:
            self._highlighted = sounding
            self.score.highlight(sounding)

    def _start_audio_probe(self) -> None:
        if not self._closed:
            self.playback.start_audio_probe()
