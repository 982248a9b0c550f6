# lalloc: top-level Makefile.
#
#   make              build lalloc.ko (+ the KUnit module when the kernel has
#                     CONFIG_KUNIT) and the userspace tools
#   make demo         boot the stock kernel in QEMU and show lalloc at work
#   make check        every test: builds, tool tests, KUnit, VM integration
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

.PHONY: all modules tools clean demo check load unload style help

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

style:
	$(ROOT)/scripts/style

load: modules
	insmod $(ROOT)/module/lalloc.ko

unload:
	rmmod lalloc

help:
	@sed -n '2,12p' $(ROOT)/Makefile | sed 's/^# \{0,1\}//'
