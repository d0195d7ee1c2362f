"""The ABC language: split texts into tunes, read headers and field values, tokenize, validate, repair and rewrite
tunes (implied repeats)."""

from studio.core.abc.text import clean_tune, decode_abc_bytes, read_headers, split_tunes

__all__ = ["clean_tune", "decode_abc_bytes", "read_headers", "split_tunes"]
