# Sourced by guest scripts (it_fault_storm.sh, torture.sh): random allocation
# failures for the tasks marked make-it-fail (task-filter), from lalloc's
# fail_alloc and from the kernel's failslab and fail_page_alloc confined to
# lalloc.ko's code: require-start/-end span its loaded .text, so a call
# fails only with lalloc on its stack (the device's kmallocs, slab pages,
# page blocks, vmalloc's pages), never a test program's own mmap()s and page
# faults. Sleeping allocations and order 0 included. Not failed: calls under
# the kernel's alloc_vmap_area(), which WARNs when it cannot split a free
# area (a state the kernel deems impossible, not a path of lalloc's).
#
#   faults_on PERCENT   arm every source (fails the script if none exists)
#   faults_count        sets faults_total and faults_none (the sources that
#                       injected nothing yet)
#   faults_report       the same, and one "SOURCE: N failures injected" line
#                       each
#   faults_off          disarm, every knob back as it was (also done on
#                       exit by faults_on's trap)
faults_dir=/sys/kernel/debug
faults_attrs="lalloc/fail_alloc failslab fail_page_alloc"
faults_times=100000000

faults_set() { # faults_set ATTR KNOB VALUE: where the knob exists
	if [ -e "$faults_dir/$1/$2" ]; then
		echo "$3" > "$faults_dir/$1/$2"
	fi
}

# The knobs faults_on changes, as the kernel had them: faults_off puts them
# back, so a later test in the same boot (lalloc-init-faults-test's
# fail-nth) finds failslab and fail_page_alloc as the kernel left them, not
# confined to an earlier load's .text.
faults_knobs="probability interval times verbose task-filter require-start require-end reject-start reject-end stacktrace-depth ignore-gfp-wait min-order"
faults_saved=

# faults_knob_values: "ATTR KNOB VALUE", a line per knob of faults_knobs
# that exists.
faults_knob_values() {
	local a k
	for a in $faults_attrs; do
		for k in $faults_knobs; do
			[ ! -e "$faults_dir/$a/$k" ] || echo "$a $k $(cat "$faults_dir/$a/$k")"
		done
	done
}

faults_save() {
	[ -n "$faults_saved" ] || faults_saved=$(faults_knob_values)
}

faults_off() {
	local a k v
	# Disarmed first, so nothing fails while the filters are put back.
	for a in $faults_attrs; do
		faults_set "$a" probability 0
	done
	printf '%s\n' "$faults_saved" | while read -r a k v; do
		[ -n "$a" ] || continue
		faults_set "$a" "$k" "$v"
	done
}

faults_on() {
	local text text_size text_end a va va_end
	[ -d "$faults_dir/lalloc/fail_alloc" ] && [ -d "$faults_dir/failslab" ] &&
		[ -d "$faults_dir/fail_page_alloc" ] || { echo "FAIL: no fault injection here"; exit 1; }
	# lalloc.ko's .text once loaded: its address, and its size from the
	# host's build (scripts/vm copies size -A of lalloc.ko).
	text=$(cat /sys/module/lalloc/sections/.text)
	text_size=$(awk '$1 == ".text" { print $2 }' /lalloc/module/lalloc.sections)
	[ -n "$text_size" ] || { echo "FAIL: no .text size in /lalloc/module/lalloc.sections"; exit 1; }
	text_end=$(printf '0x%x' $((text + text_size)))
	# The kernel's alloc_vmap_area() WARNs when both its vmap_area
	# allocations fail (it cannot split a free area then), a state it
	# treats as a bug: no call with it on the stack is failed (neither its
	# slab objects nor the pages of their slabs).
	va=$(awk '$3 == "alloc_vmap_area" { print $1; exit }' /proc/kallsyms)
	[ -n "$va" ] || { echo "FAIL: no alloc_vmap_area in /proc/kallsyms"; exit 1; }
	va_end=$(awk -v s="$va" '($2 == "t" || $2 == "T") && $1 > s { if (m == "" || $1 < m) m = $1 } END { print m }' /proc/kallsyms)
	faults_save
	trap 'rc=$?; faults_off; exit $rc' EXIT
	for a in $faults_attrs; do
		faults_set "$a" verbose 0
		faults_set "$a" interval 1
		faults_set "$a" times $faults_times
		faults_set "$a" task-filter Y
		faults_set "$a" require-start "$text"
		faults_set "$a" require-end "$text_end"
		faults_set "$a" stacktrace-depth 32
		faults_set "$a" ignore-gfp-wait N
		faults_set "$a" min-order 0
		faults_set "$a" probability "$1"
	done
	for a in failslab fail_page_alloc; do
		faults_set "$a" reject-start "0x$va"
		faults_set "$a" reject-end "0x$va_end"
	done
}

# faults_count: sets faults_total and faults_none, prints nothing.
faults_count() {
	local a n
	faults_total=0 faults_none= faults_lines=
	for a in $faults_attrs; do
		n=$((faults_times - $(cat "$faults_dir/$a/times")))
		faults_lines="$faults_lines$a: $n failures injected
"
		faults_total=$((faults_total + n))
		[ "$n" -gt 0 ] || faults_none="$faults_none $a"
	done
}

faults_report() {
	faults_count
	printf '%s' "$faults_lines"
}
