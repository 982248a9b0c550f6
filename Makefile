# lalloc: top-level Makefile.
#
#   make              build lalloc.ko (+ the KUnit module when the kernel has
#                     CONFIG_KUNIT) and the userspace tools
#   make demo         boot the stock kernel in QEMU and show lalloc at work
#   make check        every test: builds, tool tests, KUnit, VM integration
#   make fuzz         lalloc-fuzz for FUZZ_SECONDS (default 300) on 4 vCPUs of
#                     the debug kernel; FUZZ_SEED=N replays a seed
#   make load/unload  insmod/rmmod on this machine (needs its headers)
#
# KDIR picks the kernel: default /lib/modules/$(uname -r)/build when it
# exists, else Debian's stock kernel from scripts/kernel.

SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

ifeq ($(origin KDIR), undefined)
KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
ifeq ($(KDIR),)
KDIR = $(shell $(ROOT)/scripts/kernel --print-kdir stock)
endif
endif

.PHONY: all modules tools clean demo check fuzz load unload style help

all: modules tools

modules:
	$(MAKE) -C $(KDIR) M=$(ROOT) modules

tools:
	$(MAKE) -C $(ROOT)/userspace-tools

clean:
	$(MAKE) -C $(KDIR) M=$(ROOT) clean || true
	$(MAKE) -C $(ROOT)/userspace-tools clean
	rm -rf $(ROOT)/build

demo:
	$(ROOT)/scripts/demo

check:
	$(ROOT)/scripts/check

# The long fuzz run. scripts/vm fails with a one-line reason on any kernel
# report (oops, KASAN, lockdep, a kmemleak leak), whatever the fuzzer says.
FUZZ_SECONDS ?= 300
FUZZ_THREADS ?= 4
fuzz:
	@rc=0; $(ROOT)/scripts/vm --kernel debug --smp 4 --timeout $$(( $(FUZZ_SECONDS) + 600 )) -- \
		lalloc-fuzz --seconds $(FUZZ_SECONDS) --threads $(FUZZ_THREADS) --files 4 \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) || rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "fuzz: PASS: no failure, no kernel report"; \
	elif [ $$rc -ge 250 ]; then echo "fuzz: FAIL: the kernel reported a fault (vm exit $$rc, reason above)"; \
	else echo "fuzz: FAIL: lalloc-fuzz exit $$rc (its first failure above)"; fi; exit $$rc

style:
	$(ROOT)/scripts/style

load: modules
	insmod $(ROOT)/module/lalloc.ko

unload:
	rmmod lalloc

help:
	@sed -n '2,13p' $(ROOT)/Makefile | sed 's/^# \{0,1\}//'
