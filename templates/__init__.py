"""Jinja2 templates of the pages.

This file makes the folder a package, so that the wheel can ship it as ``registry.templates``
and ``registry.resources`` can find it through ``importlib.resources`` (a namespace package
would not give a plain directory path).
"""
