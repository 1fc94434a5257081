# uops - user operations: small Unix filters over NDJSON or Kafka with one LMDB.
#
#   make               build every tool into bin/
#   make check         unit, e2e and pipeline tests (SANITIZE=address,undefined to sanitize)
#   make bench         print throughput and memory figures beside peers
#   make fuzz          run each fuzz harness FUZZ_SECONDS (default 60); check replays their corpora
#   make demo          run the pipeline on the bundled data set and say what it did
#   make install       PREFIX=/usr/local

CC ?= cc
CFLAGS ?= -O2 -g
SANITIZE ?=
PREFIX ?= /usr/local

TOOLS = ingest idmerge tagger segmenter scheduler dispatch report
LIBMODS = adapter addrbook buf caps channel cli clock cohort colstore cond condbind conf csv deferq defnames dict due endpoint engage evscan evtab filter fold funnel group handoff hash htmlpage io jcount jexplain jfold jlog journey jperson jqprog json jstatus jwrite kafka lifecycle lookalike map norm outbox outcome pclock pool profile rbits rfm rows schedule seen segdefs segdue segeval sendstats sha256 stats step store strtab sysrec tagdefs template ticker timer tz
UNITS = $(patsubst test/unit/%.c,%,$(wildcard test/unit/t-*.c))
HELPERS = kmock gen-events rusage gen-people idquality gen-tagged pipesz dbdump lockprobe hookd

FLAVOR = $(if $(SANITIZE),san,opt)
B = build/$(FLAVOR)
JQ_VERSION := $(shell dpkg-query -W -f='$${Version}' libjq-dev 2>/dev/null)

PKGS = rdkafka lmdb libzstd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lrdkafka -llmdb -lzstd -lcurl)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-missing-field-initializers \
	-Ilib $(PKG_CFLAGS) -DUOPS_JQ_VERSION='"$(JQ_VERSION)"' \
	$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all) \
	$(CFLAGS)
ALL_LDFLAGS = $(if $(SANITIZE),-fsanitize=$(SANITIZE)) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lroaring -ljq -lonig -lm -lpthread

LIBOBJS = $(addprefix $(B)/lib/,$(addsuffix .o,$(LIBMODS)))
BINS = $(addprefix bin/,$(TOOLS))

all: $(BINS) helpers

.PHONY: all setup helpers check unit e2e bench demo install uninstall clean FORCE \
	fuzz fuzz-build fuzz-replay

# Every entry point a newcomer uses installs what is missing first, then
# re-reads this file (pkg-config flags need the packages).
setup:
	@sh scripts/setup

build/flavor: FORCE
	@mkdir -p build
	@echo '$(FLAVOR) $(CC) $(CFLAGS) $(PREFIX)' | cmp -s - $@ || echo '$(FLAVOR) $(CC) $(CFLAGS) $(PREFIX)' > $@

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# where `make install` puts the shipped definitions; the tools also look
# beside their own binary (PREFIX/bin/../share/uops), so a DESTDIR or a
# moved tree works too
$(B)/lib/conf.o: ALL_CFLAGS += -DUOPS_DATADIR='"$(PREFIX)/share/uops"'
$(B)/lib/conf.o: build/flavor

$(B)/libuops.a: $(LIBOBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/cmd/%.o: cmd/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

bin/%: $(B)/cmd/%.o $(B)/libuops.a build/flavor
	@mkdir -p bin
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libuops.a $(LIBS)

$(B)/test/%: test/tools/%.c $(B)/libuops.a build/flavor
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Itest/unit -o $@ $< $(B)/libuops.a $(LIBS)

# the bench's webhook receiver links libmicrohttpd too
$(B)/test/hookd: test/tools/hookd.c $(B)/libuops.a build/flavor
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libuops.a $(LIBS) \
		$(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)

$(B)/unit/%: test/unit/%.c test/unit/t.h $(B)/libuops.a build/flavor
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Itest/unit -o $@ $< $(B)/libuops.a $(LIBS)

# test helpers, for the flavour just built, on PATH as build/tools
helpers: $(addprefix $(B)/test/,$(HELPERS))
	@mkdir -p build/tools
	@for h in $(HELPERS); do ln -sfn ../$(FLAVOR)/test/$$h build/tools/$$h; done

unit: $(addprefix $(B)/unit/,$(UNITS))
	@set -e; for t in $^; do $$t; done

e2e: all
	@sh test/run-e2e

check: setup
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@sh test/run-e2e
	@$(MAKE) --no-print-directory fuzz-replay
	@echo "check: all tests passed"

# Fuzzing (test/fuzz): the harnesses and the library are built with clang,
# ASan, UBSan and libFuzzer's coverage into build/fuzz, whatever SANITIZE
# says. Each harness links twice: with libFuzzer (fuzz-NAME, for make
# fuzz) and with test/fuzz/replay.c (replay-NAME, for make check, which
# feeds it the seed corpus and every past finding).
FUZZ_CC = clang
FUZZ_SECONDS ?= 60
FUZZERS = $(patsubst test/fuzz/%.c,%,$(filter-out test/fuzz/replay.c,$(wildcard test/fuzz/*.c)))
FB = build/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-missing-field-initializers \
	-Wno-unknown-attributes -Ilib $(PKG_CFLAGS) -DUOPS_JQ_VERSION='"$(JQ_VERSION)"' \
	-DFUZZ_TOP='"$(CURDIR)"' -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link

$(FB)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FB)/libuops.a: $(addprefix $(FB)/lib/,$(addsuffix .o,$(LIBMODS)))
	rm -f $@
	ar rcs $@ $^

# a harness may include a tool's source (cmd/TOOL.c) to reach its record path
$(FB)/obj/%.o: test/fuzz/%.c test/fuzz/fuzz.h $(wildcard lib/*.h) $(wildcard cmd/*.c)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itest/fuzz -c $< -o $@

.PRECIOUS: $(FB)/obj/%.o

$(FB)/fuzz-%: $(FB)/obj/%.o $(FB)/libuops.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FB)/libuops.a $(LIBS)

$(FB)/replay-%: $(FB)/obj/%.o $(FB)/obj/replay.o $(FB)/libuops.a
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $< $(FB)/obj/replay.o $(FB)/libuops.a $(LIBS)

fuzz-build: $(addprefix $(FB)/fuzz-,$(FUZZERS))

fuzz-replay: $(addprefix $(FB)/replay-,$(FUZZERS))
	@sh test/run-fuzz $(FUZZERS)

fuzz: setup
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/fuzz $(FUZZERS)

bench: setup
	@$(MAKE) --no-print-directory all
	@sh scripts/bench

demo: setup
	@$(MAKE) --no-print-directory all
	@sh scripts/demo

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(addprefix cmd/,$(addsuffix .1,$(TOOLS))) $(DESTDIR)$(PREFIX)/share/man/man1
	rm -rf $(DESTDIR)$(PREFIX)/share/uops
	install -d $(DESTDIR)$(PREFIX)/share/uops
	cp -R pipelines schemas $(DESTDIR)$(PREFIX)/share/uops/
	chmod -R u=rwX,go=rX $(DESTDIR)$(PREFIX)/share/uops

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(TOOLS)) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(addsuffix .1,$(TOOLS)))
	rm -rf $(DESTDIR)$(PREFIX)/share/uops

clean:
	rm -rf build bin
