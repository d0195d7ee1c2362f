"""What every tab shares: the one way off the GUI thread, deferred building, plot style, settings, reports."""
