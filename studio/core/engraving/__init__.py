"""Engraving: verovio notation, the score map and cursor, MusicXML, printable sheet music."""
