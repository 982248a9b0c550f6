# lalloc: top-level Makefile.
#
#   make              build lalloc.ko (+ the KUnit module when the kernel has
#                     CONFIG_KUNIT) and the userspace tools
#   make demo         boot the stock kernel in QEMU and show lalloc at work
#   make check        every test: builds, tool tests, KUnit, VM integration
#   make matrix       per kernel (stock 6.1, stock612, rt612, debug): builds,
#                     sparse, DKMS, KUnit, integration; a kernel x test table
#   make bench        lalloc against kmalloc and kmem_caches on Debian's 6.1
#                     and 6.12 (scripts/bench): a table, build/bench/results.md
#                     and PNG charts
#   make htmldocs     Documentation/ as HTML in build/htmldocs/ (Sphinx and
#                     the kernel's kernel-doc)
#   make style        checkpatch and kernel-doc (also part of make check)
#   make fuzz         lalloc-fuzz for FUZZ_SECONDS (default 300) on 4 vCPUs of
#                     the debug kernel; FUZZ_SEED=N replays a seed
#   make torture      the torture module (torture/lalloc_torture.ko) for
#                     TORTURE_SECONDS (default 300) on 4 vCPUs of the debug
#                     kernel: every context, CPU hotplug, the shrinker
#   make coverage     line and branch coverage of module/ from the whole
#                     suite in one debug guest (scripts/coverage): lcov's
#                     figures, build/coverage/html/ and uncovered.txt; the
#                     torture test for COVERAGE_TORTURE_SECONDS (default 20)
#   make load/unload  insmod/rmmod on this machine (needs its headers)
#   make install      the tools, <linux/lalloc.h> and the man pages under
#                     $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall
#                     removes exactly those files
#   make modules_install  lalloc.ko into the kernel's module tree
#                     (INSTALL_MOD_PATH honoured)
#   make dkms-source  the DKMS package's sources in $(DESTDIR)/usr/src/lalloc-VERSION
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

.PHONY: all modules tools clean demo check matrix bench htmldocs fuzz torture coverage load unload style help
.PHONY: install uninstall modules_install dkms-source

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

matrix:
	$(ROOT)/scripts/check --matrix

htmldocs:
	$(ROOT)/scripts/htmldocs

bench:
	$(ROOT)/scripts/bench

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

# The long torture run: tests/torture.sh prints PASS:/FAIL: (errors 0, ops
# > 0, lalloc's stats back at baseline); scripts/vm fails on any kernel
# report. TORTURE_ARGS: more module parameters (seed=N, threads=2, ...).
TORTURE_SECONDS ?= 300
TORTURE_ARGS ?=
torture:
	@rc=0; $(ROOT)/scripts/vm --kernel debug --smp 4 --timeout $$(( $(TORTURE_SECONDS) + 600 )) -- \
		sh tests/torture.sh $(TORTURE_SECONDS) $(TORTURE_ARGS) || rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "torture: PASS: no error, no kernel report"; \
	elif [ $$rc -ge 250 ]; then echo "torture: FAIL: the kernel reported a fault (vm exit $$rc, reason above)"; \
	else echo "torture: FAIL: tests/torture.sh exit $$rc (its FAIL line above)"; fi; exit $$rc

COVERAGE_TORTURE_SECONDS ?= 20
coverage:
	$(ROOT)/scripts/coverage $(COVERAGE_TORTURE_SECONDS)

style:
	$(ROOT)/scripts/style

load: modules
	insmod $(ROOT)/module/lalloc.ko

unload:
	rmmod lalloc

help:
	@sed -n '2,29p' $(ROOT)/Makefile | sed 's/^# \{0,1\}//'

# Installation. /dev/lalloc needs no udev rule: devtmpfs creates it with the
# module's device_mode and device_gid (Documentation/admin-guide.rst).
VERSION := $(shell cat $(ROOT)/VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL ?= install
BINDIR := $(DESTDIR)$(PREFIX)/bin
INCLUDEDIR := $(DESTDIR)$(PREFIX)/include
MANDIR := $(DESTDIR)$(PREFIX)/share/man

# The tools users run; the test programs stay in the build tree.
INSTALL_TOOLS := lalloc-top lalloc-path lalloc-stress lalloc-record lalloc-membench lalloc-hold
# lalloc-record finds its preload library next to itself by default.
INSTALL_LIBS := liblalloc-record.so
MAN1 := $(patsubst %,Documentation/man/%.1,$(INSTALL_TOOLS))
MAN4 := Documentation/man/lalloc.4

# Every path install creates, for uninstall to remove and nothing else.
INSTALLED := $(addprefix $(BINDIR)/,$(INSTALL_TOOLS) $(INSTALL_LIBS)) \
	$(INCLUDEDIR)/linux/lalloc.h \
	$(addprefix $(MANDIR)/man1/,$(notdir $(MAN1))) \
	$(addprefix $(MANDIR)/man4/,$(notdir $(MAN4)))

install:
	$(MAKE) -C $(ROOT)/userspace-tools $(addprefix bin/,$(INSTALL_TOOLS) $(INSTALL_LIBS))
	$(INSTALL) -d $(BINDIR) $(INCLUDEDIR)/linux $(MANDIR)/man1 $(MANDIR)/man4
	$(INSTALL) -m 0755 $(addprefix $(ROOT)/userspace-tools/bin/,$(INSTALL_TOOLS) $(INSTALL_LIBS)) $(BINDIR)/
	$(INSTALL) -m 0644 $(ROOT)/module/include/uapi/linux/lalloc.h $(INCLUDEDIR)/linux/lalloc.h
	$(INSTALL) -m 0644 $(addprefix $(ROOT)/,$(MAN1)) $(MANDIR)/man1/
	$(INSTALL) -m 0644 $(addprefix $(ROOT)/,$(MAN4)) $(MANDIR)/man4/

# The directories stay: bin/, include/linux/ and the man sections are shared.
uninstall:
	rm -f $(INSTALLED)

# The kernel's own modules_install: lalloc.ko in
# $(INSTALL_MOD_PATH)/lib/modules/<release>/extra/, then depmod where the
# build directory has a System.map (Debian's headers have none: run depmod).
modules_install: modules
	$(MAKE) -C $(KDIR) M=$(ROOT) modules_install

# The sources DKMS builds: Kbuild, VERSION, dkms.conf and module/ (no KUnit
# module, no build products). Then: dkms add/install lalloc/$(VERSION).
DKMS_SOURCE_DIR ?= $(DESTDIR)/usr/src/lalloc-$(VERSION)
dkms-source:
	rm -rf $(DKMS_SOURCE_DIR)
	$(INSTALL) -d $(DKMS_SOURCE_DIR)
	$(INSTALL) -m 0644 $(ROOT)/Kbuild $(ROOT)/VERSION $(ROOT)/dkms.conf $(DKMS_SOURCE_DIR)/
	cd $(ROOT) && find module -name '*.[ch]' -print0 | \
		xargs -0 -I{} $(INSTALL) -D -m 0644 {} $(DKMS_SOURCE_DIR)/{}
