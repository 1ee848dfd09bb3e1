# Two commands on a fresh machine:  make run   (reference solution end to end)
#                                   make test  (every test)
# Neither needs root. `make setup` creates .venv with $(PYTHON) (any Python 3.10 to 3.13),
# installs exactly uv.lock into it, and installs the Debian packages some tests need only when
# it runs as root; anyone else is told what to ask the administrator for.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# uv installs the lock. It is bootstrapped into the venv with pip, at the version pinned in
# pyproject.toml's dependency group "dev" (so uv.lock pins it too, with its hashes).
UV_VERSION := $(shell sed -n 's/^dev = \["uv==\([0-9.]*\)"\]$$/\1/p' pyproject.toml)
# uv works on .venv only, with the Python .venv was made with; it never downloads a Python, and
# it trusts the system's certificates as pip and curl do (a proxy's own CA, say).
UV := UV_PROJECT_ENVIRONMENT="$(abspath $(VENV))" UV_PYTHON_DOWNLOADS=never UV_SYSTEM_CERTS=1 \
      $(BIN)/uv

.PHONY: run test setup system-packages lock course clean
.DELETE_ON_ERROR:

setup: $(STAMP) system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --force-reinstall "uv==$(UV_VERSION)"

# --locked: stop if uv.lock no longer matches pyproject.toml (then: make lock).
# --all-extras: the course and test extras. The sync is exact: it also removes what the lock
# no longer has.
$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	$(UV) sync --locked --all-extras --compile-bytecode --python "$(abspath $(BIN))/python" \
	  || { echo "make setup: uv sync failed (if uv.lock needs to be updated: make lock)" >&2; exit 1; }
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Debian packages some tests need: chromium (tests/test_report_browser.py opens the report in a
# real browser) and bubblewrap (bwrap, the grading sandbox of autograder/sandbox.py). Installed
# only as root (apt-get); anyone else is told what to ask for, and setup goes on: the tests that
# need them are skipped (and fail under CI=true, where this runs as root).
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || missing="$$missing chromium"; \
	command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make setup: installing the Debian packages$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq$$missing >/dev/null; \
	else \
	  echo "make setup: missing system packages:$$missing (not installed: this needs root)."; \
	  echo "  Ask your administrator for:  apt-get install$$missing"; \
	  echo "  Until then the tests that need them are skipped."; \
	fi

# After changing dependencies in pyproject.toml: resolve uv.lock again (for every Python
# 3.10+ and platform), then `make setup`.
lock: | $(BIN)/uv
	$(UV) lock

run: $(STAMP)
	$(BIN)/anime-genre run

# pytest-xdist, one worker more than the cores: the tests often wait (kernels starting, cells
# running into their time limits), and the extra worker fills those gaps (on 2 cores: 15.4 min
# with 3 workers). Each test file stays on one worker, so a module's expensive fixture (a graded
# class, a built course) is built once; the slowest files are handed out first (tests/conftest.py).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

course: $(STAMP)
	$(BIN)/python -m autograder build-course

clean:
	rm -rf $(VENV) runs autograder/course .pytest_cache
