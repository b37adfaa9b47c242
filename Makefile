# One place for everything a contributor runs. `make test` is what CI runs after building the wheel.
PYTHON ?= python

.PHONY: develop wheel lint test test-rust fuzz bench clean

develop:            ## build the extension in release mode into the current environment
	maturin develop --release

wheel:              ## abi3 wheel in dist/ (thin LTO; `make wheel PROFILE=dist` for published wheels)
	maturin build --profile $(or $(PROFILE),release) --out dist

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --release -- -D warnings
	ruff check python tests benches
	ruff format --check python tests benches
	mypy
	$(PYTHON) -m mypy.stubtest scalecore._core

test:
	$(PYTHON) -m pytest

test-rust:
	cargo test -p scalecore-core --release

fuzz:               ## hostile random inputs against each core entry point for FUZZ_SECONDS seconds (default 600)
	SCALECORE_FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600) cargo test -p scalecore-core --release --test fuzz --test fuzz_models -- --nocapture --test-threads=1

bench:
	$(PYTHON) benches/run.py

clean:
	rm -rf target dist
