# The README's commands. `make test` and `make lab` work on a fresh machine:
# they make the venv, start a Docker engine and build the host images first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lab lab-down lint unit molecule images engine venv host-tools clean help

help:
	@echo "make test      venv, engine, images, lint, unit tests, molecule scenarios (exit 0 = green)"
	@echo "make lab       venv, engine, images, 3 local hosts, the whole stack provisioned on them"
	@echo "make lab-down  remove the lab's hosts and network"
	@echo "make lint | unit | molecule | images | engine   one stage alone"
	@echo "make clean     remove the venv and caches (not the Docker images)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Tools the host image builder needs on the machine itself.
host-tools:
	@command -v debootstrap >/dev/null && command -v gpg >/dev/null || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap gnupg)

engine: venv
	$(PY) -m tools.engine

images: venv engine host-tools
	$(PY) -m tools.images build

test: venv host-tools
	$(PY) -m tools.testsuite

lint: venv
	$(PY) -m tools.testsuite --only lint

unit: venv
	$(PY) -m tools.testsuite --only unit

molecule: venv host-tools
	$(PY) -m tools.testsuite --only engine,images,molecule

lab: venv images
	$(PY) -m tools.lab up
	$(PY) -m tools.provision -i .lab/inventory.yml site.yml
	$(PY) -m tools.lab status

lab-down: venv
	$(PY) -m tools.lab down

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache *.egg-info
