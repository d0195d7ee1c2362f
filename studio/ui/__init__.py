"""The Qt side of ABC Studio: widgets and thin adapters over the core. The only package that imports Qt."""
