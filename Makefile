# The two set-up commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PORT       ?= 5300

.PHONY: all deps build test test-release test-asan run experiments fuzz-long clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAFTDNS_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Release build with every suite, then an ASan+UBSan clang build of the pure libraries, their
# tests and short bounded libFuzzer runs of every parser.
test: test-release test-asan

test-release: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DRAFTDNS_ONLY_PURE=ON -DRAFTDNS_SANITIZE=ON \
	  -DRAFTDNS_FUZZ=ON -DRAFTDNS_BENCHMARKS=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

run: build
	@scripts/run-cluster

# Every experiment of experiments/*.json: CSVs, plots and REPORT.md in
# experiments/results/<date>-<commit>/ (under 15 minutes on 2 cores). QUICK=1: the 2-minute smoke
# set the tests run; ONLY=name[,name]: some experiments.
experiments: build
	@experiments/run $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

# A longer fuzzing session for one parser, e.g. `make fuzz-long FUZZER=message_decode_fuzz`.
fuzz-long: deps
	@$(MAKE) --no-print-directory test-asan
	$(ASAN_BUILD)/fuzz/$(FUZZER) -max_total_time=600 -max_len=4096 fuzz/corpus/$(FUZZER)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
