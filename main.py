"""``python main.py`` opens the ABC Studio window."""

from studio.app import main

if __name__ == "__main__":
    raise SystemExit(main())
