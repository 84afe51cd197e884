# Set-up and everyday commands. `make quickstart` and `make test` each install what they need first.
PYTHON ?= python3
# A CPU build of torch, installed only when no torch is present (GPU users keep their CUDA torch).
TORCH_SPEC ?= torch==2.13.0
PIP := $(PYTHON) -m pip install --disable-pip-version-check -q

.PHONY: install install-test quickstart test test-fast install-check bench

install:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) "$(TORCH_SPEC)"
	$(PIP) -e .

install-test: install
	$(PIP) -e ".[test]"

quickstart: install
	workbench run recipes/quickstart.yaml

test: install-test
	$(PYTHON) -m pytest -q

test-fast: install-test
	$(PYTHON) -m pytest -q -m "not slow"

# Build a wheel, install it in a fresh virtual environment outside the checkout and use it (what CI checks).
install-check:
	$(PYTHON) .ci/install_check.py

bench: install
	$(PYTHON) -m bench
