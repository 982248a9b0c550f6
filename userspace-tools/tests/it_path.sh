#!/bin/sh
# lalloc-path on both halves: RawVec's capacities, glibc's path through
# brk/mmap, and the kernel half's moves and origins consistent with INFO
# (an in-place resize keeps its origin, a move copies, kind matches origin).
set -e
j=/tmp/it_path.json

# One step's value: field NAME of a JSON line (numbers, booleans, strings).
check_kernel() {	# $1: lalloc or kmalloc, $2: the JSON file
	awk -v half="$1" '
	function get(line, key,   s) {
		if (!match(line, "\"" key "\":(\"[^\"]*\"|[^,}]*)"))
			return "?"
		s = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
		gsub("\"", "", s)
		return s
	}
	function bad(msg) { print half " step " get($0, "index") ": " msg ": " $0; failed = 1 }
	$0 ~ "^\"" half "\":[{]" { on = 1; next }
	on && /^ []][}],?$/ { on = 0 }
	on && /^  [{]"index"/ {
		n++
		op = get($0, "op"); mv = get($0, "moved"); o = get($0, "origin"); k = get($0, "kind")
		if (op == "free") { if (o != "-") bad("a freed block has an origin"); prev = ""; next }
		if (op == "alloc" && mv != "false") bad("an allocation moved")
		if (mv == "true" && get($0, "copied") + 0 == 0) bad("moved without copying")
		if (mv == "false" && get($0, "copied") + 0 != 0) bad("copied in place")
		if (mv == "false" && op != "alloc" && o != prev) bad("in place, but the origin changed from " prev)
		if (half == "kmalloc") {
			if (o != "kmalloc" || k != "kmalloc") bad("not kmalloc")
		} else if (k == "slab") {
			if (o != "per-cpu cache" && o != "partial slab" && o != "new slab") bad("slab kind, origin " o)
			if (get($0, "class_slot") + 0 < get($0, "usable") + 0) bad("usable past the slot")
		} else if (k == "pages") {
			if (o != "exact pages") bad("pages kind, origin " o)
		} else if (k == "vmalloc") {
			if (o != "vmalloc") bad("vmalloc kind, origin " o)
		} else bad("kind " k)
		prev = o
	}
	END { if (!n) { print half ": no steps"; exit 1 } exit failed }' "$2"
}

lalloc-path --json --elem 24 --count 100 > $j
grep -q '^"capacities":\[4,8,16,32,64,128\],$' $j
grep -q '^"kernel_note":null,$' $j
# 6 grows, shrink_to_fit 128 -> 100, two cycles: 9 steps on every allocator
test "$(grep -c '^ {"index":' $j)" = 9
grep -q '^  "glibc":{"reallocations":9,' $j
grep -q '^  "lalloc":{"reallocations":9,' $j
grep -q '^  "kmalloc":{"reallocations":9,' $j
grep -q '^  {"index":0,"op":"alloc","moved":false,"where":"heap",' $j
check_kernel lalloc $j
check_kernel kmalloc $j

# Past the mmap threshold and the slab classes: glibc mmaps and mremaps,
# lalloc takes pages from the page allocator.
lalloc-path --json --elem 24 --count 100000 > $j
grep -q '^"capacities":\[4,8,16,.*,65536,131072\],$' $j
grep -q '"where":"mmap"' $j
grep -q '"syscalls":{"brk":{[^}]*},"mmap":{"count":[1-9]' $j
grep -q '"mremap":true' $j
grep -Eq '"kind":"(pages|vmalloc)"' $j
grep -Eq '^  "lalloc":\{.*"pages_taken":[1-9]' $j
check_kernel lalloc $j
check_kernel kmalloc $j

# Aligned elements take the aligned_alloc + memcpy + free path: every resize moves.
lalloc-path --json --elem 320:64 --count 300 --cycles 0 > $j
grep -q '^  "glibc":{"reallocations":9,"moves":8,' $j
check_kernel lalloc $j
echo "it_path: ok"
