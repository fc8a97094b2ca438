"""tfsparse.convert."""
