// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-path output: the layered trace (one line per step: program ->
 * allocator -> system calls -> kernel -> pages), the summary table (glibc /
 * lalloc / kmalloc side by side), JSON, Graphviz dot and gnuplot data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/lalloc.h>

#include "path.h"

#define U(x) ((unsigned long long)(x))

/* What the summary, JSON and dot share for one allocator. */
struct half_sum {
	uint64_t reallocs, moves, in_place, copied, held_peak, held_end;
	uint64_t origins[8], new_slabs_by_order[16], pages_taken, pages_returned;
};

static const char *kind_name(uint32_t k)
{
	switch (k) {
	case LALLOC_KIND_ZST: return "zero-size";
	case LALLOC_KIND_SLAB: return "slab";
	case LALLOC_KIND_PAGES: return "pages";
	case LALLOC_KIND_VMALLOC: return "vmalloc";
	case LALLOC_KIND_KMALLOC: return "kmalloc";
	}
	return "?";
}

static const char *human(uint64_t v, char *buf, size_t len)
{
	if (v >= 10ULL << 20)
		snprintf(buf, len, "%lluM", U(v >> 20));
	else if (v >= 10ULL << 10)
		snprintf(buf, len, "%lluK", U(v >> 10));
	else
		snprintf(buf, len, "%llu", U(v));
	return buf;
}

static const char *verdict(enum step_op op, bool moved)
{
	return op == OP_ALLOC ? "new" : op == OP_FREE ? "freed" : moved ? "moved" : "in place";
}

static uint64_t requested_peak(const struct plan *p)
{
	uint64_t m = 0;

	for (size_t i = 0; i < p->nr; i++)
		if (p->steps[i].new_bytes > m)
			m = p->steps[i].new_bytes;
	return m;
}

static void sum_glibc(const struct path_result *r, struct half_sum *h)
{
	const struct plan *p = r->plan;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < p->nr; i++) {
		const struct glibc_step *g = &r->glibc.steps[i];

		h->reallocs++;
		h->moves += g->moved;
		h->in_place += !g->moved && p->steps[i].op != OP_ALLOC && p->steps[i].op != OP_FREE;
		h->copied += g->copied;
		if (g->usable > h->held_peak)
			h->held_peak = g->usable;
		h->held_end = g->usable;
	}
}

static void sum_kern(const struct path_result *r, const struct kern_run *k, struct half_sum *h)
{
	const struct plan *p = r->plan;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < k->nr_done; i++) {
		const struct kern_step *s = &k->steps[i];
		enum step_op op = p->steps[i].op;

		h->reallocs++;
		h->moves += s->moved;
		h->in_place += !s->moved && op != OP_ALLOC && op != OP_FREE;
		h->copied += s->copied;
		if (s->usable > h->held_peak)
			h->held_peak = s->usable;
		h->held_end = op == OP_FREE ? 0 : s->usable;
		if (op != OP_FREE && (op == OP_ALLOC || s->moved) && s->origin < 8) {
			h->origins[s->origin]++;
			if (s->origin == LALLOC_ORIGIN_NEW_SLAB && s->slab_order < 16)
				h->new_slabs_by_order[s->slab_order]++;
		}
		h->pages_taken += s->pages_taken;
		h->pages_returned += s->pages_returned;
	}
}

/* "brk+132K mmap 264K ...": a step's system calls in @len characters. */
static const char *sc_summary(const struct glibc_run *g, const struct glibc_step *s,
			      char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < s->sc_nr; i++) {
		const struct sc_record *c = &g->sc[s->sc_first + i];
		char one[48], a[16], b[16];
		int n;

		switch (c->kind) {
		case SC_BRK:
			snprintf(one, sizeof(one), "brk%s%s", c->delta < 0 ? "-" : "+", human(c->len, a, sizeof(a)));
			break;
		case SC_MREMAP:
			snprintf(one, sizeof(one), "mremap %s>%s%s", human(c->len, a, sizeof(a)),
				 human(c->new_len, b, sizeof(b)),
				 c->result > 0 && (uint64_t)c->result != c->addr ? "(mv)" : "");
			break;
		default:
			snprintf(one, sizeof(one), "%s %s", sc_name(c->kind), human(c->len, a, sizeof(a)));
		}
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", one);
		if (n < 0 || used + n >= len) {
			snprintf(buf + (used < len - 4 ? used : len - 4), 4, "...");
			break;
		}
		used += n;
	}
	return buf[0] ? buf : "-";
}

static void origin_label(const struct kern_step *k, enum step_op op, char *buf, size_t len)
{
	if (op == OP_FREE)
		snprintf(buf, len, "-");
	else if (k->origin == LALLOC_ORIGIN_NEW_SLAB)
		snprintf(buf, len, "new slab o%u", k->slab_order);
	else
		snprintf(buf, len, "%s", origin_name(k->origin));
}

void out_trace(const struct path_result *r)
{
	const struct plan *p = r->plan;
	bool g = r->glibc.ran, l = r->lalloc.ran, km = r->kmalloc.ran;
	char gname[32];

	printf("lalloc-path: %llu elements of %llu bytes (align %llu), growth %s, %u cycles: %zu reallocations\n",
	       U(p->count), U(p->elem), U(p->align), growth_name(&p->growth, gname, sizeof(gname)),
	       p->cycles, p->nr);
	if (r->kernel_note)
		printf("note: %s\n", r->kernel_note);
	printf("%-50s", "program (Vec)");
	if (g)
		printf("| %-16s| %-34s| %-15s", "allocator: glibc", "system calls", "pages: faults");
	if (l)
		printf("| %-31s| %-12s", "kernel: lalloc", "pages");
	if (km)
		printf("| %s", "kernel: kmalloc");
	printf("\n%5s %-6s %-6s %9s %9s %9s ", "#", "phase", "op", "len", "cap", "bytes");
	if (g)
		printf("| %-8s %-7s| %-34s| %6s %7s ", "result", "where", "brk mmap munmap mremap madvise",
		       "minflt", "rss_kB");
	if (l)
		printf("| %5s %-8s %-16s| %5s %5s ", "class", "result", "origin", "taken", "freed");
	if (km)
		printf("| %9s %-8s", "usable", "result");
	printf("\n");
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_step *s = &p->steps[i];
		char scbuf[35], org[24], cls[12];

		printf("%5zu %-6.6s %-6s %9llu %9llu %9llu ", i, phase_name(s->phase), op_name(s->op),
		       U(s->len), U(s->new_cap), U(s->new_bytes));
		if (g) {
			const struct glibc_step *gs = &r->glibc.steps[i];

			printf("| %-8s %-7s| %-34s| %6llu %7llu ", verdict(s->op, gs->moved),
			       gs->mremap ? "mremap" : gs->where == WHERE_MMAP ? "mmap" :
			       gs->where == WHERE_HEAP ? "heap" : "-",
			       sc_summary(&r->glibc, gs, scbuf, sizeof(scbuf)), U(gs->minflt), U(gs->rss_kb));
		}
		if (l) {
			const struct kern_step *k = &r->lalloc.steps[i];

			origin_label(k, s->op, org, sizeof(org));
			if (k->class_slot && s->op != OP_FREE)
				snprintf(cls, sizeof(cls), "%u", k->class_slot);
			else
				snprintf(cls, sizeof(cls), "-");
			printf("| %5s %-8s %-16s| +%-4llu -%-4llu ", cls, verdict(s->op, k->moved), org,
			       U(k->pages_taken), U(k->pages_returned));
		}
		if (km && i >= r->kmalloc.nr_done) {
			printf("| %9s %-8s", "-", i == r->kmalloc.nr_done ? "failed" : "-");
		} else if (km) {
			const struct kern_step *k = &r->kmalloc.steps[i];

			printf("| %9llu %-8s", U(k->usable), verdict(s->op, k->moved));
		}
		printf("\n");
	}
	printf("\n");
}

/* One row of the summary: a label and three cells. */
static void row(const char *label, const char *a, const char *b, const char *c)
{
	printf("%-34s %16s %16s %16s\n", label, a, b, c);
}

static const char *cell(bool ran, uint64_t v, char *buf)
{
	if (!ran)
		return "-";
	snprintf(buf, 24, "%llu", U(v));
	return buf;
}

void out_summary(const struct path_result *r)
{
	struct half_sum hs[3];
	bool ran[3] = { r->glibc.ran, r->lalloc.ran, r->kmalloc.ran };
	char a[24], b[24], c[24], label[48];
	uint64_t vmt[NR_VM] = { 0 };
	const struct plan *p = r->plan;

	if (ran[0])
		sum_glibc(r, &hs[0]);
	if (ran[1])
		sum_kern(r, &r->lalloc, &hs[1]);
	if (ran[2])
		sum_kern(r, &r->kmalloc, &hs[2]);
#define ROW3(lbl, field) row(lbl, cell(ran[0], hs[0].field, a), cell(ran[1], hs[1].field, b), \
			     cell(ran[2], hs[2].field, c))
	row("", "glibc", "lalloc", "kmalloc");
	ROW3("reallocations", reallocs);
	ROW3("moves", moves);
	ROW3("resized in place", in_place);
	ROW3("bytes copied", copied);
	for (int k = 0; k < NR_SC; k++) {
		snprintf(label, sizeof(label), "syscalls: %s (bytes)", sc_name(k));
		snprintf(a, sizeof(a), "%llu (%llu)", U(r->glibc.sc_count[k]), U(r->glibc.sc_bytes[k]));
		row(label, ran[0] ? a : "-", "-", "-");
	}
	row("mmap threshold at end (inferred)", cell(ran[0], r->glibc.mmap_threshold, a), "-", "-");
	row("minor page faults", cell(ran[0], r->glibc.minflt, a), "-", "-");
	row("peak VmRSS kB (start)", ran[0] ? (snprintf(a, sizeof(a), "%llu (%llu)",
	    U(r->glibc.rss_peak_kb), U(r->glibc.rss_start_kb)), a) : "-", "-", "-");
	for (int ph = 0; ph < NR_PHASES; ph++)
		for (int v = 0; v < NR_VM; v++)
			vmt[v] += r->glibc.vm[ph][v];
	row("vmstat pgalloc normal+dma32", ran[0] ? (snprintf(a, sizeof(a), "%llu+%llu",
	    U(vmt[VM_PGALLOC_NORMAL]), U(vmt[VM_PGALLOC_DMA32])), a) : "-", "-", "-");
	row("vmstat pgfault / pgfree", ran[0] ? (snprintf(a, sizeof(a), "%llu / %llu",
	    U(vmt[VM_PGFAULT]), U(vmt[VM_PGFREE])), a) : "-", "-", "-");
	row("from per-cpu cache / partial slab", "-",
	    ran[1] ? (snprintf(b, sizeof(b), "%llu / %llu", U(hs[1].origins[LALLOC_ORIGIN_CPU_CACHE]),
			       U(hs[1].origins[LALLOC_ORIGIN_PARTIAL_SLAB])), b) : "-", "-");
	row("new slabs / exact pages / vmalloc", "-",
	    ran[1] ? (snprintf(b, sizeof(b), "%llu / %llu / %llu", U(hs[1].origins[LALLOC_ORIGIN_NEW_SLAB]),
			       U(hs[1].origins[LALLOC_ORIGIN_PAGES]), U(hs[1].origins[LALLOC_ORIGIN_VMALLOC])), b) : "-",
	    "-");
	row("pages taken / given back", "-",
	    ran[1] ? (snprintf(b, sizeof(b), "%llu / %llu", U(hs[1].pages_taken), U(hs[1].pages_returned)), b) : "-",
	    "-");
	row("lalloc held_bytes peak (start)", "-",
	    ran[1] ? (snprintf(b, sizeof(b), "%llu (%llu)", U(r->lalloc.held_peak), U(r->lalloc.held_start)), b) : "-",
	    "-");
	snprintf(a, sizeof(a), "%llu", U(requested_peak(p)));
	row("requested bytes, peak", ran[0] ? a : "-", ran[1] ? a : "-", ran[2] ? a : "-");
	ROW3("held bytes (usable), peak", held_peak);
	snprintf(a, sizeof(a), "%llu", U(p->nr ? p->steps[p->nr - 1].new_bytes : 0));
	row("requested bytes, end", ran[0] ? a : "-", ran[1] ? a : "-", ran[2] ? a : "-");
	ROW3("held bytes (usable), end", held_end);
#undef ROW3
	if (r->kernel_note)
		printf("note: %s\n", r->kernel_note);
	if (r->kmalloc.error[0])
		printf("note: %s: the kmalloc column stops at step %zu of %zu\n", r->kmalloc.error,
		       r->kmalloc.nr_done, p->nr);
}

/* ---- JSON ---- */

static void json_str(const char *key, const char *v, bool comma)
{
	printf("\"%s\":\"%s\"%s", key, v, comma ? "," : "");
}

static void json_sum(const char *name, bool ran, const struct half_sum *h, bool kern, bool comma)
{
	printf("  \"%s\":", name);
	if (!ran) {
		printf("null%s\n", comma ? "," : "");
		return;
	}
	printf("{\"reallocations\":%llu,\"moves\":%llu,\"in_place\":%llu,\"bytes_copied\":%llu,"
	       "\"held_peak\":%llu,\"held_end\":%llu",
	       U(h->reallocs), U(h->moves), U(h->in_place), U(h->copied), U(h->held_peak),
	       U(h->held_end));
	if (kern)
		printf(",\"origins\":{\"per-cpu cache\":%llu,\"partial slab\":%llu,\"new slab\":%llu,"
		       "\"exact pages\":%llu,\"vmalloc\":%llu,\"kmalloc\":%llu},"
		       "\"pages_taken\":%llu,\"pages_returned\":%llu",
		       U(h->origins[LALLOC_ORIGIN_CPU_CACHE]), U(h->origins[LALLOC_ORIGIN_PARTIAL_SLAB]),
		       U(h->origins[LALLOC_ORIGIN_NEW_SLAB]), U(h->origins[LALLOC_ORIGIN_PAGES]),
		       U(h->origins[LALLOC_ORIGIN_VMALLOC]), U(h->origins[LALLOC_ORIGIN_KMALLOC]),
		       U(h->pages_taken), U(h->pages_returned));
	printf("}%s\n", comma ? "," : "");
}

static void json_kern(const char *name, const struct path_result *r, const struct kern_run *k)
{
	const struct plan *p = r->plan;

	printf("\"%s\":", name);
	if (!k->ran) {
		printf("null,\n");
		return;
	}
	printf("{\n \"held_start\":%llu,\"held_peak\":%llu,\"held_end\":%llu,\n \"page_allocs\":[",
	       U(k->held_start), U(k->held_peak), U(k->held_end));
	for (int o = 0; o < 16; o++)
		printf("%s%llu", o ? "," : "", U(k->page_calls[o]));
	printf("],\n \"error\":");
	if (k->error[0])
		printf("\"%s\",", k->error);
	else
		printf("null,");
	printf("\n \"steps\":[\n");
	for (size_t i = 0; i < k->nr_done; i++) {
		const struct kern_step *s = &k->steps[i];

		printf("  {\"index\":%zu,\"op\":\"%s\",\"moved\":%s,\"usable\":%llu,\"origin\":\"%s\","
		       "\"kind\":\"%s\",\"slab_order\":%u,\"class_slot\":%u,\"copied\":%llu,"
		       "\"held_delta\":%lld,\"pages_taken\":%llu,\"pages_returned\":%llu}%s\n",
		       i, op_name(p->steps[i].op), s->moved ? "true" : "false", U(s->usable),
		       p->steps[i].op == OP_FREE ? "-" : origin_name(s->origin),
		       p->steps[i].op == OP_FREE ? "-" : kind_name(s->kind), s->slab_order,
		       s->class_slot, U(s->copied), (long long)s->held_delta, U(s->pages_taken),
		       U(s->pages_returned), i + 1 < k->nr_done ? "," : "");
	}
	printf(" ]},\n");
}

void out_json(const struct path_result *r)
{
	const struct plan *p = r->plan;
	const struct glibc_run *g = &r->glibc;
	struct half_sum hs[3];
	char gname[32];
	bool first = true;

	printf("{\n");
	json_str("tool", "lalloc-path", true);
	json_str("version", LALLOC_VERSION, true);
	printf("\n\"elem\":%llu,\"align\":%llu,\"count\":%llu,", U(p->elem), U(p->align), U(p->count));
	json_str("growth", growth_name(&p->growth, gname, sizeof(gname)), true);
	printf("\"cycles\":%u,\n\"mallopt\":{\"mmap_threshold\":%ld,\"trim_threshold\":%ld,"
	       "\"top_pad\":%ld,\"mmap_max\":%ld},\n",
	       p->cycles, r->knobs.mmap_threshold, r->knobs.trim_threshold, r->knobs.top_pad,
	       r->knobs.mmap_max);
	printf("\"capacities\":[");
	for (size_t i = 0; i < p->nr; i++)
		if (p->steps[i].phase == PHASE_PUSH) {
			printf("%s%llu", first ? "" : ",", U(p->steps[i].new_cap));
			first = false;
		}
	printf("],\n\"steps\":[\n");
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_step *s = &p->steps[i];

		printf(" {\"index\":%zu,\"phase\":\"%s\",\"cycle\":%u,\"op\":\"%s\",\"len\":%llu,"
		       "\"pushed\":%llu,\"old_cap\":%llu,\"new_cap\":%llu,\"old_bytes\":%llu,"
		       "\"new_bytes\":%llu}%s\n",
		       i, phase_name(s->phase), s->cycle, op_name(s->op), U(s->len), U(s->pushed),
		       U(s->old_cap), U(s->new_cap), U(s->old_bytes), U(s->new_bytes),
		       i + 1 < p->nr ? "," : "");
	}
	printf("],\n\"glibc\":");
	if (!g->ran) {
		printf("null,\n");
	} else {
		printf("{\n \"minflt\":%llu,\"rss_start_kb\":%llu,\"rss_peak_kb\":%llu,"
		       "\"mmap_threshold\":%llu,\n \"syscalls\":{",
		       U(g->minflt), U(g->rss_start_kb), U(g->rss_peak_kb), U(g->mmap_threshold));
		for (int k = 0; k < NR_SC; k++)
			printf("%s\"%s\":{\"count\":%llu,\"bytes\":%llu}", k ? "," : "", sc_name(k),
			       U(g->sc_count[k]), U(g->sc_bytes[k]));
		printf("},\n \"vmstat\":{");
		for (int ph = 0; ph < NR_PHASES; ph++)
			printf("%s\"%s\":{\"pgalloc_normal\":%llu,\"pgalloc_dma32\":%llu,"
			       "\"pgfault\":%llu,\"pgfree\":%llu}",
			       ph ? "," : "", phase_name(ph), U(g->vm[ph][VM_PGALLOC_NORMAL]),
			       U(g->vm[ph][VM_PGALLOC_DMA32]), U(g->vm[ph][VM_PGFAULT]),
			       U(g->vm[ph][VM_PGFREE]));
		printf("},\n \"steps\":[\n");
		for (size_t i = 0; i < p->nr; i++) {
			const struct glibc_step *s = &g->steps[i];

			printf("  {\"index\":%zu,\"op\":\"%s\",\"moved\":%s,\"where\":\"%s\",\"mremap\":%s,"
			       "\"usable\":%llu,\"copied\":%llu,\"minflt\":%llu,\"rss_kb\":%llu,"
			       "\"mmap_threshold\":%llu,\"syscalls\":[",
			       i, op_name(p->steps[i].op), s->moved ? "true" : "false",
			       s->where == WHERE_MMAP ? "mmap" : s->where == WHERE_HEAP ? "heap" : "none",
			       s->mremap ? "true" : "false", U(s->usable), U(s->copied), U(s->minflt),
			       U(s->rss_kb), U(s->mmap_threshold));
			for (size_t j = 0; j < s->sc_nr; j++) {
				const struct sc_record *c = &g->sc[s->sc_first + j];

				printf("%s{\"name\":\"%s\",\"addr\":%llu,\"len\":%llu,\"new_len\":%llu,"
				       "\"arg\":%llu,\"delta\":%lld,\"result\":%lld}",
				       j ? "," : "", sc_name(c->kind), U(c->addr), U(c->len), U(c->new_len),
				       U(c->arg), (long long)c->delta, (long long)c->result);
			}
			printf("]}%s\n", i + 1 < p->nr ? "," : "");
		}
		printf(" ]},\n");
	}
	json_kern("lalloc", r, &r->lalloc);
	json_kern("kmalloc", r, &r->kmalloc);
	printf("\"kernel_note\":");
	if (r->kernel_note)
		printf("\"%s\",\n", r->kernel_note);
	else
		printf("null,\n");
	if (g->ran)
		sum_glibc(r, &hs[0]);
	if (r->lalloc.ran)
		sum_kern(r, &r->lalloc, &hs[1]);
	if (r->kmalloc.ran)
		sum_kern(r, &r->kmalloc, &hs[2]);
	printf("\"summary\":{\n");
	json_sum("glibc", g->ran, &hs[0], false, true);
	json_sum("lalloc", r->lalloc.ran, &hs[1], true, true);
	json_sum("kmalloc", r->kmalloc.ran, &hs[2], true, false);
	printf("}\n}\n");
}

/* ---- dot ---- */

int out_dot(const struct path_result *r, const char *file)
{
	const struct plan *p = r->plan;
	FILE *f = fopen(file, "w");
	struct half_sum h;
	char gname[32];
	uint64_t heap = 0, mmapd = 0, mrem = 0, fresh = 0;

	if (!f) {
		fprintf(stderr, "lalloc-path: %s: %s\n", file, strerror(errno));
		return -1;
	}
	fprintf(f, "digraph lalloc_path {\n\trankdir=LR;\n\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
		"\tedge [fontname=\"Helvetica\", fontsize=10];\n"
		"\tlabelloc=t; label=\"lalloc-path: %llu x %llu-byte elements (align %llu), growth %s\";\n",
		U(p->count), U(p->elem), U(p->align), growth_name(&p->growth, gname, sizeof(gname)));
	fprintf(f, "\tvec [label=\"Vec: %llu pushes\\nshrink_to_fit, %u cycles\"];\n", U(p->count), p->cycles);
	fprintf(f, "\trawvec [label=\"RawVec\\n%zu reallocations\"];\n", p->nr);
	fprintf(f, "\tvec -> rawvec [label=\"%zu\"];\n", p->nr);
	if (r->glibc.ran) {
		const struct glibc_run *g = &r->glibc;

		sum_glibc(r, &h);
		for (size_t i = 0; i < p->nr; i++) {
			const struct glibc_step *s = &g->steps[i];

			if (p->steps[i].op == OP_FREE)
				continue;
			if (s->mremap)
				mrem++;
			else if (s->where == WHERE_MMAP)
				mmapd++;
			else
				heap++;
			fresh += p->steps[i].op == OP_ALLOC;
		}
		fprintf(f, "\tsubgraph cluster_user { label=\"userspace\"; color=gray;\n"
			"\t\tglibc [label=\"glibc malloc/realloc\\n%llu moved, %llu bytes copied\"];\n"
			"\t\theap [label=\"heap chunk (brk arena)\"];\n"
			"\t\tmmapc [label=\"mmap'ed chunk\"];\n"
			"\t\tmremapc [label=\"mremap'ed chunk\\n(pages moved, not copied)\"];\n\t}\n",
			U(h.moves), U(h.copied));
		fprintf(f, "\trawvec -> glibc [label=\"%zu\"];\n", p->nr);
		fprintf(f, "\tglibc -> heap [label=\"%llu\"];\n\tglibc -> mmapc [label=\"%llu\"];\n"
			"\tglibc -> mremapc [label=\"%llu\"];\n", U(heap), U(mmapd), U(mrem));
		fprintf(f, "\tsubgraph cluster_sys { label=\"system calls\"; color=gray;\n");
		for (int k = 0; k < NR_SC; k++)
			fprintf(f, "\t\tsc_%s [label=\"%s\\n%llu bytes\"];\n", sc_name(k), sc_name(k),
				U(g->sc_bytes[k]));
		fprintf(f, "\t}\n");
		fprintf(f, "\theap -> sc_brk [label=\"%llu\"];\n\theap -> sc_madvise [label=\"%llu\"];\n",
			U(g->sc_count[SC_BRK]), U(g->sc_count[SC_MADVISE]));
		fprintf(f, "\tmmapc -> sc_mmap [label=\"%llu\"];\n\tmmapc -> sc_munmap [label=\"%llu\"];\n",
			U(g->sc_count[SC_MMAP]), U(g->sc_count[SC_MUNMAP]));
		fprintf(f, "\tmremapc -> sc_mremap [label=\"%llu\"];\n", U(g->sc_count[SC_MREMAP]));
		fprintf(f, "\tmm [label=\"kernel mm: page faults\\n%llu minor faults, peak RSS %llu kB\"];\n",
			U(g->minflt), U(g->rss_peak_kb));
		for (int k = 0; k < NR_SC; k++)
			fprintf(f, "\tsc_%s -> mm;\n", sc_name(k));
	}
	if (r->lalloc.ran) {
		static const uint32_t shown[] = { LALLOC_ORIGIN_CPU_CACHE, LALLOC_ORIGIN_PARTIAL_SLAB,
						  LALLOC_ORIGIN_NEW_SLAB, LALLOC_ORIGIN_PAGES,
						  LALLOC_ORIGIN_VMALLOC };

		sum_kern(r, &r->lalloc, &h);
		fprintf(f, "\tsubgraph cluster_kernel { label=\"kernel: /dev/lalloc\"; color=gray;\n"
			"\t\tdev [label=\"/dev/lalloc ioctls\\nALLOC GROW SHRINK FREE\"];\n"
			"\t\tlalloc [label=\"lalloc\\n%llu moved, %llu bytes copied\"];\n",
			U(h.moves), U(h.copied));
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
			fprintf(f, "\t\torigin_%u [label=\"%s\"];\n", shown[i], origin_name(shown[i]));
		fprintf(f, "\t}\n\tpagealloc [label=\"page allocator\\n%llu pages taken, %llu given back\"];\n",
			U(h.pages_taken), U(h.pages_returned));
		fprintf(f, "\trawvec -> dev [label=\"%zu\"];\n\tdev -> lalloc [label=\"%zu\"];\n", p->nr, p->nr);
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
			fprintf(f, "\tlalloc -> origin_%u [label=\"%llu\"];\n", shown[i], U(h.origins[shown[i]]));
		fprintf(f, "\tlalloc -> lalloc [label=\"%llu in place\"];\n", U(h.in_place));
		fprintf(f, "\torigin_%d -> pagealloc [label=\"%llu\"];\n", LALLOC_ORIGIN_NEW_SLAB,
			U(h.origins[LALLOC_ORIGIN_NEW_SLAB]));
		fprintf(f, "\torigin_%d -> pagealloc [label=\"%llu\"];\n", LALLOC_ORIGIN_PAGES,
			U(h.origins[LALLOC_ORIGIN_PAGES]));
		fprintf(f, "\torigin_%d -> pagealloc [label=\"%llu\"];\n", LALLOC_ORIGIN_VMALLOC,
			U(h.origins[LALLOC_ORIGIN_VMALLOC]));
	}
	if (r->kmalloc.ran) {
		sum_kern(r, &r->kmalloc, &h);
		fprintf(f, "\tkmalloc [label=\"kmalloc backend\\n%llu moved, %llu bytes copied\\npeak usable %llu\"];\n",
			U(h.moves), U(h.copied), U(h.held_peak));
		fprintf(f, "\tdev -> kmalloc [label=\"%zu\"];\n", r->kmalloc.nr_done);
	}
	fprintf(f, "}\n");
	if (fclose(f)) {
		fprintf(stderr, "lalloc-path: %s: %s\n", file, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- gnuplot ---- */

static const char *plot_name(const struct growth *g, char *buf, size_t len)
{
	if (g->kind == GROWTH_PLUS1)
		snprintf(buf, len, "plus1");
	else
		growth_name(g, buf, len);
	return buf;
}

int out_plot(const struct path_result *const *runs, size_t n, const char *dir)
{
	char path[4096], name[32], title[32];
	FILE *f;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "lalloc-path: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (size_t r = 0; r < n; r++) {
		const struct plan *p = runs[r]->plan;
		const struct glibc_run *g = &runs[r]->glibc;
		uint64_t model = 0, measured = 0;

		snprintf(path, sizeof(path), "%s/%s.dat", dir, plot_name(&p->growth, name, sizeof(name)));
		f = fopen(path, "w");
		if (!f)
			goto fail;
		fprintf(f, "# lalloc-path --growth %s --elem %llu:%llu --count %llu\n"
			"# pushed capacity requested_bytes held_bytes copied_if_moved copied_glibc\n",
			growth_name(&p->growth, title, sizeof(title)), U(p->elem), U(p->align), U(p->count));
		for (size_t i = 0; i < p->nr; i++) {
			const struct plan_step *s = &p->steps[i];

			if (s->op == OP_GROW || s->op == OP_SHRINK)
				model += s->old_bytes < s->new_bytes ? s->old_bytes : s->new_bytes;
			measured += g->ran ? g->steps[i].copied : 0;
			fprintf(f, "%llu %llu %llu %llu %llu %llu\n", U(s->pushed), U(s->new_cap),
				U(s->new_bytes), U(g->ran ? g->steps[i].usable : 0), U(model), U(measured));
		}
		if (fclose(f))
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/path.gp", dir);
	f = fopen(path, "w");
	if (!f)
		goto fail;
	fprintf(f, "# gnuplot script written by lalloc-path: run it in this directory.\n"
		"set terminal png size 1000,700 font \",11\"\nset key below\nset grid\n"
		"set xlabel \"elements pushed\"\nset format y \"%%.1s%%c\"\n");
	static const struct { const char *out, *ylabel, *logscale; int col; const char *with; } charts[] = {
		{ "capacity.png", "capacity (elements)", "", 2, "steps" },
		{ "held.png", "bytes held (glibc usable size)", "", 4, "steps" },
		{ "copied.png", "cumulative bytes copied (log scale)", "set logscale y\n", 5, "lines" },
	};
	for (size_t c = 0; c < 3; c++) {
		fprintf(f, "\nset output \"%s\"\nset ylabel \"%s\"\n%sset title \"%s against elements pushed\"\nplot ",
			charts[c].out, charts[c].ylabel, charts[c].logscale, charts[c].ylabel);
		for (size_t r = 0; r < n; r++) {
			const struct plan *p = runs[r]->plan;

			plot_name(&p->growth, name, sizeof(name));
			growth_name(&p->growth, title, sizeof(title));
			fprintf(f, "%s\"%s.dat\" using 1:%d with %s lw 2 title \"%s%s\"", r ? ", \\\n     " : "",
				name, charts[c].col, charts[c].with, title,
				c == 2 ? ": if every realloc moved" : "");
			if (c == 2)
				fprintf(f, ", \\\n     \"%s.dat\" using 1:($6 > 0 ? $6 : 1/0) with lines lw 2 dt 2 title \"%s: glibc measured\"",
					name, title);
		}
		fprintf(f, "\n%s", charts[c].logscale[0] ? "unset logscale y\n" : "");
	}
	if (fclose(f))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "lalloc-path: %s: %s\n", path, strerror(errno));
	return -1;
}
