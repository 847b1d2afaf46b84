"""Composing checks in code: the code API, all_of/any_of, and the docs that show them."""
