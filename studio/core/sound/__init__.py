"""Sound: MIDI files and ports, FluidSynth, real-time playback, arrangement with chords and bass."""
