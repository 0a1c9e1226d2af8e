# wdk-mutex: the two commands a new user needs. Everything else is CMake.
#   make demo   builds and runs the examples (host model and Wine)
#   make test   every suite: host model under ASan+UBSan and TSan, cross
#               builds (mingw gcc x64/x86, clang x64), the test driver under Wine
#   make bench  benchmarks (optimised host build, callgrind instruction counts)
BUILD ?= build
export WM_BUILD_DIR := $(abspath $(BUILD))

.PHONY: all demo test bench deps clean

all: test

deps:
	@scripts/deps.sh host cross wine

test: deps
	@tests/run-all.sh

demo: deps
	@examples/run-demo.sh

bench:
	@scripts/deps.sh host bench
	@bench/run-bench.sh

clean:
	rm -rf $(BUILD)
