# onestop-monitor — the two commands the README promises:
#   make demo   run the service on the bundled model and the demo config (http://127.0.0.1:8000; PORT=8080 for another)
#   make test   run the test suite (installs the Debian packages the tests use when missing; needs root)
# and the slim production install: make install-runtime (the service on the bundled OpenVINO models, no torch).
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_VENV := .venv-runtime
PORT ?=

.PHONY: install install-runtime system-deps demo test lint bench clean

$(VENV)/.installed: pyproject.toml requirements/torch.txt scripts/install.sh
	bash scripts/install.sh

$(RUNTIME_VENV)/.installed: pyproject.toml scripts/install.sh
	VENV=$(RUNTIME_VENV) bash scripts/install.sh --runtime

install: $(VENV)/.installed

install-runtime: $(RUNTIME_VENV)/.installed

system-deps:
	bash scripts/install-system-deps.sh

demo: install
	$(VENV)/bin/onestop-monitor run --config configs/demo.yaml $(if $(PORT),--port $(PORT))

# The runtime venv is built too: tests/deploy/test_runtime_install.py runs the demo in it.
test: system-deps install install-runtime
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check monitor tests benchmarks
	$(VENV)/bin/mypy monitor benchmarks

clean:
	rm -rf $(VENV) $(RUNTIME_VENV) state .pytest_cache
