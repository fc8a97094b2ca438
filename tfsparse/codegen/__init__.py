"""tfsparse.codegen."""
