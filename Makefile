# virtprof build.  `make` builds bpf/*.bpf.c into CO-RE objects and skeletons, every user/**/*.c
# into libvirtprof.a, and links the `virtprof` binary.  `make SAN=1` does the same with ASan+UBSan
# into build-san/ (used by `make check-san`).
#
# Adding a module needs no Makefile change: a new bpf/x.bpf.c yields build/x.skel.h, a new
# user/**/*.c joins the library, a new tests/unit/test_*.c becomes a unit-test binary.

ARCH      := x86
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
SAN       ?=

ifeq ($(SAN),1)
BUILD     := build-san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD     := build
SANFLAGS  :=
endif

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation -D_GNU_SOURCE \
	     -MMD -MP $(SANFLAGS)
INCLUDES  := -I$(BUILD) -Iuser -Ibpf
LDLIBS    := -lbpf -lelf -lz -lcurl -ljansson -lmicrohttpd -lyaml -lcrypt -lpthread -lm
BPFCFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Ivmlinux -Ibpf

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(shell find user -name '*.c' ! -path user/main.c | sort)
USER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(USER_SRCS))
LIB       := $(BUILD)/libvirtprof.a
BIN       := $(BUILD)/virtprof
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
HELPERS   := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

.PHONY: all tests-build deps test test-unit test-bpf test-e2e test-kernels lab-image check-san demo \
	demo-lab demo-study vmlinux clean format bench

all: $(SKELS) $(BIN) virtprof

virtprof: $(BIN)
	@ln -sf $(BIN) virtprof

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPFCFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Every user object may include any skeleton; order-only so a skeleton rebuild triggers through
# the -MMD dependency files only where it is included.
$(BUILD)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(LIB): $(USER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/user/main.o $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -Itests/unit $< -o $@ $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB) | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -Itests/bpf $< -o $@ $(LIB) $(LDLIBS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) $< -o $@ $(LDLIBS)

tests-build: $(BIN) $(UNIT_BINS) $(BPFT_BINS) $(HELPERS)

# The README's two commands: `make demo` and `make test`.  Both install what they need first.
deps:
	./scripts/deps.sh

test: deps
	$(MAKE) tests-build
	./tests/run.sh all

test-unit: tests-build
	./tests/run.sh unit

test-bpf: tests-build
	./tests/run.sh bpf

test-e2e: tests-build
	./tests/run.sh e2e

# The kernel lab (docs/lab.md): Debian 6.1 and 6.12 inside emulated hosts with real KVM and
# vhost-net.  `make test` runs it as its last suite; the kernels are fetched once into
# /var/cache/virtprof-lab (VIRTPROF_LAB_CACHE).
lab-image: deps
	for k in 6.1 6.12; do ./scripts/lab/image.sh "$$(./scripts/lab/kernel.sh $$k)" || exit 1; done

test-kernels: deps
	$(MAKE) tests-build
	./tests/run.sh lab

# The comparison users came for, inside the lab on Debian 6.12: a KVM guest with vhost-net, the
# same guest without vhost, a veth container, at light / medium / heavy load.
demo-lab: deps
	$(MAKE) tests-build
	./scripts/lab/demo.sh

# Sanitizers over the unit and e2e suites (root for e2e).
check-san:
	$(MAKE) SAN=1 tests-build
	VIRTPROF_BUILD=build-san ./tests/run.sh unit e2e

demo: deps
	$(MAKE) all
	./scripts/demo.sh

# The study this project grew out of, re-run with its own load generator (Debian's JMeter) at its
# thread counts against the testbed's VM and container, its figures beside virtprof's.
demo-study: deps
	$(MAKE) all
	./scripts/demo-study.sh

bench: all
	./scripts/bench/run-all.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

format:
	clang-format -i $$(git ls-files "user/*.[ch]" "bpf/*.[ch]" "tests/*.[ch]")

clean:
	rm -rf build build-san virtprof

.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
