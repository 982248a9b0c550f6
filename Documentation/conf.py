# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of lalloc's documentation (make htmldocs).
#
# The API reference comes from the kernel-doc comments in the sources,
# through the kernel's own kernel-doc extension and script: the 6.12 tree
# scripts/kernel gives (LALLOC_KERNEL_SRC, set by the Makefile).
import os
import sys

ksrc = os.environ.get('LALLOC_KERNEL_SRC')
if not ksrc or not os.path.isfile(os.path.join(ksrc, 'scripts', 'kernel-doc')):
    sys.exit('conf.py: LALLOC_KERNEL_SRC must name a kernel source tree (make htmldocs sets it)')
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, '..', 'VERSION')) as f:
    release = version = f.read().strip()

project = 'lalloc'
author = 'The lalloc developers'
copyright = 'The lalloc developers; GPL-2.0'

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.join(here, '..')
kerneldoc_verbosity = 1

# The kernel's C dialect, as the kernel's own conf.py declares it for
# Sphinx 3 and later.
primary_domain = 'c'
highlight_language = 'none'
c_id_attributes = ['__user', '__iomem', '__rcu', '__must_check', '__init',
                   '__exit', '__always_inline', 'noinline', 'notrace']
c_paren_attributes = ['__aligned', '__printf', '__attribute__']

master_doc = 'index'
exclude_patterns = ['man', '_build']
html_theme = 'alabaster'
html_title = 'lalloc %s' % release
html_show_sourcelink = False
