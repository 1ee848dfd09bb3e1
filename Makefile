# Two commands on a fresh machine:  make run   (reference solution end to end)
#                                   make test  (every test)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup chromium lessons course clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP) chromium

# The HTML report is checked in a real headless browser (Debian's chromium).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get install -y -qq chromium >/dev/null; fi; }

run: $(STAMP)
	$(BIN)/anime-genre run

test: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q

course: $(STAMP)
	$(BIN)/python -m autograder build-course

clean:
	rm -rf $(VENV) runs autograder/course .pytest_cache
