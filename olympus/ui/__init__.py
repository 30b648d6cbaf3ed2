"""Streamlit glue: cached resources, session state, shared widgets and the page bodies.

This is the only part of the `olympus` package that imports streamlit.
"""
