"""tfsparse.convert.ops."""
