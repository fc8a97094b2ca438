"""Jinja2 templates shipped as package data of tfsparse (rendered by tfsparse.codegen)."""
