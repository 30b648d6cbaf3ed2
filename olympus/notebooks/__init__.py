"""Notebooks (issue 12): ordered cells that chain, parameters, versions, history, result cache."""
