# Two commands: `make review` and `make test`. Both create the venv if it is missing.
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
STACK  ?= dev

CHECKOV_VENV := venv-checkov
STACKS := dev staging prod

.PHONY: review review-all test lint checkov inventories docs bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

review: $(VENV)/.installed ## review one stack offline (STACK=dev) and print its short summary
	$(PY) -m review $(STACK)
	@echo "bundle: build/review/$(STACK)/ (resources.json, k8s/, summary.md)"
	@sed -n '1,/^## Data services/p' build/review/$(STACK)/summary.md | head -n -1
	@grep '^\*\*Stack total' build/review/$(STACK)/summary.md

review-all: $(VENV)/.installed
	$(PY) -m review --all

test: $(VENV)/.installed ## the whole test suite
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# checkov pins an old `packaging`: it gets a venv of its own.
$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==3.3.30
	touch $@

checkov: review-all $(CHECKOV_VENV)/.installed ## checkov's Kubernetes checks on every stack's rendered manifests
	for stack in $(STACKS); do \
	  $(CHECKOV_VENV)/bin/checkov -d build/review/$$stack/k8s --framework kubernetes --skip-download \
	    --compact --quiet || exit 1; \
	done

inventories: $(VENV)/.installed ## regenerate tests/inventories/ after an intended change
	$(PY) -m tests.inventory --write

docs: $(VENV)/.installed ## rewrite the README's generated blocks (deployer roles) from every stack's review
	$(PY) -m review.docs

bench: $(VENV)/.installed ## review of prod with 20 and 200 synthetic tenants vs a trivial baseline
	$(PY) -m bench.tenants 20 200

clean:
	rm -rf build .pytest_cache
