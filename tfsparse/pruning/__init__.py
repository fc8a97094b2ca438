"""tfsparse.pruning."""
