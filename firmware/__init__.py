"""C sources shipped as package data of tfsparse (kernels, runtime, board support)."""
