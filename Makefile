# tfsparse: the README's two commands are `make demo` and `make test`.
# Both start with an idempotent set-up: Debian packages that are missing, then .venv with the
# package (editable) and its test extras. A second run with everything present takes seconds.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.tfsparse-installed
APT_PACKAGES := python3-venv gcc make gcc-arm-none-eabi libnewlib-arm-none-eabi \
                libstdc++-arm-none-eabi-newlib qemu-system-arm
PYTEST_ARGS ?=

.PHONY: all setup system-deps demo test bench tflm-cortex-m notebooks clean help

help:
	@echo "make demo   train, prune, convert, build and run LeNet-300-100 on emulated Cortex-M4"
	@echo "make test   run the whole test suite (slow tests included)"
	@echo "make bench  run the benchmarks in benchmarks/ (writes benchmarks/results/)"
	@echo "make tflm-cortex-m TFLM_DIR=... [TFLM_ARGS=...]  generated TFLM sources on a Cortex-M4 build of real TFLM"
	@echo "make notebooks  re-execute notebooks/*.ipynb and store them with their outputs"

setup: system-deps $(STAMP)

# Installs only the Debian packages that are missing; apt-get as root, else through sudo.
system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "tfsparse set-up: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	  else echo "tfsparse set-up: cannot install$$missing: not root and no sudo." \
	            "Install them with: apt-get install$$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  ( $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $$missing > /tmp/tfsparse-apt.log 2>&1 ) \
	    || { tail -20 /tmp/tfsparse-apt.log >&2; echo "tfsparse set-up: apt-get failed; install these Debian packages by hand:$$missing" >&2; exit 1; }; \
	fi

$(STAMP): setup.cfg pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@echo "tfsparse set-up: installing tfsparse and its test extras into $(VENV) (log: $(VENV)/install.log)"
	@$(VPY) -m pip install --upgrade pip > $(VENV)/install.log 2>&1 \
	  && $(VPY) -m pip install -e '.[test]' >> $(VENV)/install.log 2>&1 \
	  || { tail -40 $(VENV)/install.log >&2; echo "tfsparse set-up: pip install failed (see $(VENV)/install.log)" >&2; exit 1; }
	@touch $(STAMP)

demo: setup
	$(VPY) -m tfsparse.demo

test: setup
	$(VPY) -m pytest $(PYTEST_ARGS)

bench: setup
	@for b in $(filter-out benchmarks/tflm_cortex_m.py,$(wildcard benchmarks/*.py)); do echo "== $$b"; $(VPY) $$b || exit 1; done

# Needs a tflite-micro checkout (never downloaded): benchmarks/tflm_cortex_m.py --help lists TFLM_ARGS.
tflm-cortex-m: setup
	@test -n "$(TFLM_DIR)" || { echo "make tflm-cortex-m: set TFLM_DIR to a tflite-micro checkout" >&2; exit 2; }
	$(VPY) benchmarks/tflm_cortex_m.py --tflm-dir $(TFLM_DIR) $(TFLM_ARGS)

notebooks: setup
	$(VPY) notebooks/store_executed.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
