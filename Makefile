# onestop-monitor — the two commands the README promises:
#   make demo   run the service on the bundled model and the demo config (http://127.0.0.1:8000)
#   make test   run the test suite (installs the Debian packages the tests use when missing; needs root)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install system-deps demo test lint bench clean

$(VENV)/.installed: pyproject.toml requirements/torch.txt scripts/install.sh
	bash scripts/install.sh

install: $(VENV)/.installed

system-deps:
	bash scripts/install-system-deps.sh

demo: install
	$(VENV)/bin/onestop-monitor run --config configs/demo.yaml

test: system-deps install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check monitor tests
	$(VENV)/bin/mypy monitor

clean:
	rm -rf $(VENV) state .pytest_cache
