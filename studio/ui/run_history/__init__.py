"""The Runs & comparison view (the run history): every run in a table, their loss curves compared, and scoring a
model on a corpus."""
