# sigmakql - GNU Makefile. Variants build into build/<variant>/ so release
# and sanitizer objects never mix: `make`, `make test`, `make check`.
PREFIX   ?= /usr/local
CC       ?= cc
CFLAGS   ?= -O2 -g
STD       = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wold-style-definition -Wwrite-strings -Wundef -Wformat=2 \
            -Wimplicit-fallthrough -Wvla -Wno-format-nonliteral -fno-common
PKGS      = yaml-0.1 libutf8proc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lutf8proc)
CPPFLAGS += -Iinclude -iquote src $(PKG_CFLAGS)
# RE2 checks 're' values (src/re2_check.cc, the one C++ file).
LDLIBS   += $(PKG_LIBS) -lre2 -lstdc++
CXXSTD    = -std=c++17
CXXWARN   = -Wall -Wextra -Wshadow -Wformat=2 -Wimplicit-fallthrough -Wvla -fno-common
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# V selects the variant: release | asan | fuzz
V        ?= release
B         = build/$(V)

LIB_SRC   = $(filter-out src/main.c src/check_data.c src/test_%.c src/fuzz_%.c,$(wildcard src/*.c))
LIB_OBJ   = $(LIB_SRC:src/%.c=$(B)/%.o) $(B)/re2_check.o

all: $(B)/sigmakql $(B)/data-checked

# The mapping data is checked against the schemas on every build.
$(B)/data-checked: $(B)/check-data
	$(B)/check-data && touch $@

$(B)/check-data: $(B)/check_data.o $(B)/libsigmakql.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: src/%.c
	@mkdir -p $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/%.o: src/%.cc
	@mkdir -p $(B)
	$(CXX) $(CXXSTD) $(CXXWARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/libsigmakql.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/sigmakql: $(B)/main.o $(B)/libsigmakql.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/sigmakql-test: $(B)/test_main.o $(B)/libsigmakql.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The whole suite: unit tests, golden and error tests, then the checks
# that need ../shared (skipped with a message when it is absent).
test: $(B)/sigmakql $(B)/sigmakql-test $(B)/data-checked
	SK=$(B)/sigmakql SK_TEST=$(B)/sigmakql-test sh testdata/run.sh

# What CI runs: the suite built with -Werror, then again under ASan+UBSan
# with gcc and, where it is installed, with clang, whose UBSan also checks
# float-to-int overflow and arithmetic on NULL (two fuzzing findings that
# gcc's did not see).
check: deps
	$(MAKE) V=release CFLAGS="$(CFLAGS) -Werror" test
	$(MAKE) V=asan CFLAGS="-O1 -g $(SAN) -DSK_ARENA_DEBUG" LDFLAGS="$(SAN)" test
	@if command -v clang >/dev/null 2>&1; then \
	  $(MAKE) V=clang-asan CC=clang CXX=clang++ CFLAGS="-O1 -g $(SAN) -DSK_ARENA_DEBUG" \
	    LDFLAGS="$(SAN)" test; \
	else \
	  echo "SKIP clang sanitizer build: clang is not installed"; \
	fi

# Quick start: install what is missing, build, convert the bundled example.
example: deps
	$(MAKE) $(B)/sigmakql
	$(B)/sigmakql convert testdata/golden/clr_usage_log/rule.yml

deps:
	sh tools/install-deps.sh

# libFuzzer targets (clang), each run FUZZ_TIME seconds; see docs/robustness.md.
FUZZ_TIME ?= 300
FUZZERS   = fuzz_rule fuzz_cond fuzz_quote
fuzz:
	sh tools/install-deps.sh clang
	$(MAKE) V=fuzz CC=clang CXX=clang++ \
	  CFLAGS="-O1 -g $(SAN) -fsanitize=fuzzer-no-link -DSK_ARENA_DEBUG" fuzzers
	FUZZ_TIME=$(FUZZ_TIME) sh tools/fuzz.sh build/fuzz $(FUZZERS)

fuzzers: $(FUZZERS:%=$(B)/%)
.SECONDARY: $(FUZZERS:%=$(B)/%.o)

$(B)/fuzz_%: $(B)/fuzz_%.o $(B)/libsigmakql.a
	$(CXX) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Microsoft's KQL parser for the validation tests (npm registry).
kqlcheck-deps:
	npm ci --prefix tools/kqlcheck --no-audit --no-fund

# The corpus against the reference converter and Microsoft's KQL parser
# (needs ../shared and `make kqlcheck-deps`; skips, saying so, without).
conformance: $(B)/sigmakql
	node tools/conformance.js --sigmakql $(B)/sigmakql

install: $(B)/sigmakql
	install -D -m 755 $(B)/sigmakql $(DESTDIR)$(PREFIX)/bin/sigmakql

regen:
	tools/gen-keywords.sh
	python3 tools/gen-data.py
	python3 tools/gen-attack.py

clean:
	rm -rf build

# Benchmark (docs/benchmark.md): the libyaml floor against every target and
# format, scaling, start-up, pathological inputs, peak RSS. Optimized build;
# options through BENCH_ARGS, e.g. BENCH_ARGS="--runs 5 --generate 3141".
$(B)/bench_%.o: tools/bench/%.c tools/bench/gen.h
	@mkdir -p $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/sigmakql-bench: $(B)/bench_bench.o $(B)/bench_gen.o $(B)/libsigmakql.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The corpus through valgrind's memcheck (a few minutes); docs/robustness.md.
valgrind: $(B)/sigmakql
	sh tools/valgrind.sh $(B)/sigmakql

bench:
	$(MAKE) V=release CFLAGS="-O2 -g" build/release/sigmakql build/release/sigmakql-bench
	build/release/sigmakql-bench --sk build/release/sigmakql $(BENCH_ARGS)

# The pathological inputs alone; run.sh sources the same script.
pathological: $(B)/sigmakql
	SK=$(B)/sigmakql sh testdata/pathological.sh

.PHONY: bench pathological

.PHONY: conformance all test check example deps fuzz fuzzers valgrind kqlcheck-deps install regen clean
-include $(wildcard $(B)/*.d)
