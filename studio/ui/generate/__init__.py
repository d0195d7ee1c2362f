"""The Generate tab: ``panel.GeneratePanel`` coordinates the sampling form, the tune list and editor, the playback
bar, the score view and export; ``tune_preview`` checks, engraves and converts a tune off the GUI thread."""
