"""Reports: the experiment report (Markdown) and the lab report as one HTML page, with their media."""
