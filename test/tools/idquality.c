/*
 * idquality - how well did idmerge find the people? Scores idmerge's output
 * against the ground truth gen-people puts in props.truth.
 *
 *   idquality [-m] [-v] [FILE]
 *
 * Reads events (NDJSON, FILE or standard input) with "oneid", "ids" and
 * "props":{"truth":…}; system records (type starting with '$') and lines
 * without oneid or truth are skipped. Prints one line:
 *
 *   events=N people_true=N oneids=N precision=P recall=R
 *   oracle_recall=O recall_vs_oracle=R/O ambiguous=N precision_placeable=P
 *   pairs=N false_pairs=N false_pairs_placeable=N
 *
 * Pairwise over events: a pair of events is predicted together when they
 * share a oneid, truly together when they share a truth. precision = pairs
 * both predicted and true / predicted pairs (1 with none predicted);
 * recall = the same / true pairs (1 with none true).
 *
 * The oracle is the best a deterministic linker can do without ever
 * merging two different people: events are joined (transitively) when they
 * carry an identical identifier (type and value) and have the same truth.
 * Its clusters are pure, so its precision is 1; oracle_recall is its
 * recall, and recall_vs_oracle = recall / oracle_recall says how much of
 * the findable linkage was found.
 *
 * An event is ambiguous when every identifier it carries is also carried
 * by events of another true person (a shared tablet's events without a
 * login): nothing in the input says whose it is, so no linker that reads
 * identifiers can place it for sure. ambiguous counts them, and
 * precision_placeable is the precision over the pairs of the other events.
 * pairs counts the predicted pairs, false_pairs those that are not true, and
 * false_pairs_placeable those among the events that are not ambiguous.
 *
 * idmerge writes each event with the oneid it had then; a later merge
 * does not rewrite earlier lines but follows as a $merge record. By
 * default the oneids are scored as written (what a consumer that ignores
 * $merge sees); -m applies the $merge records first and scores the final
 * people. -v adds the pair counts on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "json.h"

#define EMPTY UINT32_MAX

/* ---- u64 → u32, open addressing, linear probing ---- */

struct imap {
	uint64_t *k;
	uint32_t *v; /* EMPTY: free slot */
	size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static void imap_init(struct imap *m, size_t cap)
{
	m->cap = cap;
	m->n = 0;
	m->k = xmalloc(cap * sizeof *m->k);
	m->v = xmalloc(cap * sizeof *m->v);
	memset(m->v, 0xff, cap * sizeof *m->v);
}

static void imap_free(struct imap *m)
{
	free(m->k);
	free(m->v);
}

static size_t imap_slot(const struct imap *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = (size_t)mix64(key) & mask;

	while (m->v[i] != EMPTY && m->k[i] != key)
		i = (i + 1) & mask;
	return i;
}

static void imap_grow(struct imap *m)
{
	struct imap o = *m;
	size_t i;

	imap_init(m, o.cap * 2);
	for (i = 0; i < o.cap; i++)
		if (o.v[i] != EMPTY) {
			size_t j = imap_slot(m, o.k[i]);
			m->k[j] = o.k[i];
			m->v[j] = o.v[i];
			m->n++;
		}
	imap_free(&o);
}

/* The value slot for key, inserted with value v when absent. */
static uint32_t *imap_get(struct imap *m, uint64_t key, uint32_t v, int *found)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3)
		imap_grow(m);
	i = imap_slot(m, key);
	*found = m->v[i] != EMPTY;
	if (!*found) {
		m->k[i] = key;
		m->v[i] = v;
		m->n++;
	}
	return &m->v[i];
}

/* ---- byte string → u32, open addressing; keys live in an arena ---- */

struct sent {
	uint64_t h;
	uint64_t off; /* into arena */
	uint32_t len;
	uint32_t v; /* EMPTY: free slot */
};

struct smap {
	struct sent *e;
	size_t cap, n;
	struct buf arena;
};

static void smap_init(struct smap *m, size_t cap)
{
	size_t i;

	m->cap = cap;
	m->n = 0;
	m->e = xmalloc(cap * sizeof *m->e);
	for (i = 0; i < cap; i++)
		m->e[i].v = EMPTY;
}

static size_t smap_slot(const struct smap *m, uint64_t h, const char *s, size_t n)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	while (m->e[i].v != EMPTY &&
	       (m->e[i].h != h || m->e[i].len != n || memcmp(m->arena.p + m->e[i].off, s, n)))
		i = (i + 1) & mask;
	return i;
}

static void smap_grow(struct smap *m)
{
	struct sent *old = m->e;
	size_t ocap = m->cap, i, mask;

	m->cap = ocap * 2;
	mask = m->cap - 1;
	m->e = xmalloc(m->cap * sizeof *m->e);
	for (i = 0; i < m->cap; i++)
		m->e[i].v = EMPTY;
	for (i = 0; i < ocap; i++)
		if (old[i].v != EMPTY) {
			size_t j = (size_t)old[i].h & mask;
			while (m->e[j].v != EMPTY)
				j = (j + 1) & mask;
			m->e[j] = old[i];
		}
	free(old);
}

/* The value for s[0..n), inserted with value v when absent. */
static uint32_t smap_get(struct smap *m, const char *s, size_t n, uint32_t v, int *found)
{
	uint64_t h = hash64(s, n, 0x1d9a11);
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3)
		smap_grow(m);
	i = smap_slot(m, h, s, n);
	*found = m->e[i].v != EMPTY;
	if (!*found) {
		m->e[i].h = h;
		m->e[i].off = m->arena.len;
		m->e[i].len = (uint32_t)n;
		m->e[i].v = v;
		buf_add(&m->arena, s, n);
		m->n++;
	}
	return m->e[i].v;
}

static void smap_free(struct smap *m)
{
	free(m->e);
	buf_release(&m->arena);
}

/* ---- union-find: events (the oracle) and oneids ($merge) ---- */

static uint32_t find(uint32_t *par, uint32_t x)
{
	while (par[x] != x) {
		par[x] = par[par[x]];
		x = par[x];
	}
	return x;
}

static void unite(uint32_t *par, uint32_t a, uint32_t b)
{
	a = find(par, a);
	b = find(par, b);
	if (a < b)
		par[b] = a;
	else if (b < a)
		par[a] = b;
}

/* A growable array of u32 parents, each new element its own root. */
struct forest {
	uint32_t *par;
	size_t n, cap;
};

static uint32_t forest_add(struct forest *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1 << 12;
		f->par = xrealloc(f->par, f->cap * sizeof *f->par);
	}
	f->par[f->n] = (uint32_t)f->n;
	return (uint32_t)f->n++;
}

/* ---- input ---- */

static uint64_t pairs(uint64_t n)
{
	return n * (n - (n > 0)) / 2;
}

/* A JSON number token that is a whole number ≥ 0. */
static int tok_u64(const struct json_doc *d, uint32_t i, uint64_t *v)
{
	const struct json_tok *t = &d->t[i];
	uint64_t x = 0;
	uint32_t k;

	if (t->type != JSON_NUMBER || !t->len)
		return -1;
	for (k = 0; k < t->len; k++) {
		char c = d->s[t->off + k];
		if (c < '0' || c > '9' || x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(c - '0');
	}
	*v = x;
	return 0;
}

/* Append a scalar's value as text: strings unescaped, numbers as written. */
static int tok_text(const struct json_doc *d, uint32_t i, struct buf *b)
{
	const struct json_tok *t = &d->t[i];

	if (t->type == JSON_STRING)
		json_str_get(d, i, b);
	else if (t->type == JSON_NUMBER)
		buf_add(b, d->s + t->off, t->len);
	else
		return -1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: idquality [-m] [-v] [FILE]\n"
		   "  scores idmerge output (oneid) against props.truth: pairwise precision and\n"
		   "  recall, and recall of an oracle that links identical identifiers of one person\n"
		   "  -m  apply $merge records: score the final people, not the oneids as written\n"
		   "  -v  print pair counts and skipped lines on stderr\n");
}

/* The oneid's dense index, added to the forest when new. */
static uint32_t oneid_index(struct imap *oneids, struct forest *of, uint64_t oneid)
{
	int found;
	uint32_t oi = *imap_get(oneids, oneid, (uint32_t)oneids->n, &found);

	if (!found)
		forest_add(of);
	return oi;
}

/* $merge: {"oneid":survivor,"merged":[…]} joins the oneids. */
static void apply_merge(const struct json_doc *d, struct imap *oneids, struct forest *of)
{
	uint32_t t_oneid = json_get(d, 0, "oneid", 5), t_m = json_get(d, 0, "merged", 6), k, j;
	uint64_t v;
	uint32_t surv;

	if (!t_oneid || !t_m || d->t[t_m].type != JSON_ARRAY || tok_u64(d, t_oneid, &v))
		return;
	surv = oneid_index(oneids, of, v);
	for (k = 0, j = t_m + 1; k < d->t[t_m].size; k++, j = d->t[j].next)
		if (!tok_u64(d, j, &v))
			unite(of->par, surv, oneid_index(oneids, of, v));
}

int main(int argc, char **argv)
{
	struct json_doc doc = JSON_DOC_INIT;
	struct imap oneids, cells;
	struct smap truths, keys, idents;
	uint32_t *id_truth = NULL; /* per identifier: the first true person */
	unsigned char *id_multi = NULL; /* seen with another one too */
	size_t idcap = 0;
	uint32_t *ev_ids = NULL;   /* the events' identifiers, in order */
	size_t nevids = 0, evidcap = 0;
	uint32_t *ev_nids = NULL;  /* per event: how many */
	unsigned char *ev_amb;
	uint64_t tp2 = 0, pred2 = 0, namb = 0;
	double precision2;
	struct forest evf = {0}, of = {0};
	struct buf key = BUF_INIT;
	uint32_t *ev_oneid = NULL, *ev_truth = NULL;
	uint64_t *n_oneid, *n_truth, *n_root;
	uint64_t tp = 0, pred = 0, truep = 0, tp_oracle = 0;
	uint64_t bad = 0, skipped = 0, system = 0, merges = 0;
	size_t nev = 0, evcap = 0, npeople = 0, i;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	double precision, recall, oracle_recall, rvo;
	const char *path = "-";
	FILE *f = stdin;
	int opt, verbose = 0, apply = 0, found;

	opterr = 0;
	while ((opt = getopt(argc, argv, "hmv")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'm':
			apply = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "idquality: unknown option -%c\n", optopt);
			usage(stderr);
			return 64;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 64;
	}
	if (optind < argc)
		path = argv[optind];
	if (strcmp(path, "-")) {
		f = fopen(path, "r");
		if (!f) {
			fprintf(stderr, "idquality: %s: %s\n", path, strerror(errno));
			return 74;
		}
	}

	imap_init(&oneids, 1 << 12);
	smap_init(&truths, 1 << 12);
	smap_init(&keys, 1 << 14);
	smap_init(&idents, 1 << 14);

	while ((len = getline(&line, &linecap, f)) > 0) {
		uint32_t t_type, t_oneid, t_props, t_truth, t_ids, k, j, ev;
		uint64_t oneid;
		const char *why;
		size_t at;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		if (json_parse(&doc, line, (size_t)len, 64, &why, &at) || doc.t[0].type != JSON_OBJECT) {
			bad++;
			continue;
		}
		t_type = json_get(&doc, 0, "type", 4);
		if (t_type && doc.t[t_type].type == JSON_STRING && doc.t[t_type].len &&
		    doc.s[doc.t[t_type].off] == '$') {
			system++;
			if (apply && json_str_eq(&doc, t_type, "$merge", 6)) {
				apply_merge(&doc, &oneids, &of);
				merges++;
			}
			continue;
		}
		t_oneid = json_get(&doc, 0, "oneid", 5);
		t_props = json_get(&doc, 0, "props", 5);
		t_truth = t_props && doc.t[t_props].type == JSON_OBJECT
				  ? json_get(&doc, t_props, "truth", 5) : 0;
		buf_reset(&key);
		if (!t_oneid || tok_u64(&doc, t_oneid, &oneid) || !t_truth ||
		    tok_text(&doc, t_truth, &key)) {
			skipped++;
			continue;
		}
		if (nev >= EMPTY - 1) {
			fprintf(stderr, "idquality: too many events\n");
			return 70;
		}
		if (nev == evcap) {
			evcap = evcap ? evcap * 2 : 1 << 16;
			ev_oneid = xrealloc(ev_oneid, evcap * sizeof *ev_oneid);
			ev_truth = xrealloc(ev_truth, evcap * sizeof *ev_truth);
			ev_nids = xrealloc(ev_nids, evcap * sizeof *ev_nids);
		}
		ev = forest_add(&evf);
		ev_truth[ev] = smap_get(&truths, key.p, key.len, (uint32_t)truths.n, &found);
		ev_oneid[ev] = oneid_index(&oneids, &of, oneid);
		ev_nids[ev] = 0;
		nev++;

		/* the oracle: identical identifiers of the same true person */
		t_ids = json_get(&doc, 0, "ids", 3);
		if (!t_ids || doc.t[t_ids].type != JSON_OBJECT)
			continue;
		for (k = 0, j = t_ids + 1; k < doc.t[t_ids].size; k++, j = doc.t[j + 1].next) {
			uint32_t first;

			buf_reset(&key);
			buf_add(&key, &ev_truth[ev], sizeof ev_truth[ev]);
			json_str_get(&doc, j, &key);
			buf_addc(&key, ':');
			if (tok_text(&doc, j + 1, &key))
				continue;
			first = smap_get(&keys, key.p, key.len, ev, &found);
			if (found)
				unite(evf.par, ev, first);
			/* the identifier alone: whose is it? */
			{
				uint32_t id = smap_get(&idents, key.p + sizeof ev_truth[ev],
						       key.len - sizeof ev_truth[ev], (uint32_t)idents.n, &found);
				if (!found) {
					if (id >= idcap) {
						idcap = idcap ? idcap * 2 : 1 << 14;
						id_truth = xrealloc(id_truth, idcap * sizeof *id_truth);
						id_multi = xrealloc(id_multi, idcap);
					}
					id_truth[id] = ev_truth[ev];
					id_multi[id] = 0;
				} else if (id_truth[id] != ev_truth[ev]) {
					id_multi[id] = 1;
				}
				if (nevids == evidcap) {
					evidcap = evidcap ? evidcap * 2 : 1 << 16;
					ev_ids = xrealloc(ev_ids, evidcap * sizeof *ev_ids);
				}
				ev_ids[nevids++] = id;
				ev_nids[ev]++;
			}
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "idquality: %s: read error\n", path);
		return 74;
	}
	if (f != stdin)
		fclose(f);
	free(line);
	json_doc_release(&doc);
	buf_release(&key);
	smap_free(&keys);

	if (!nev) {
		fprintf(stderr, "idquality: no usable events (%llu skipped, %llu invalid, %llu system)\n",
			(unsigned long long)skipped, (unsigned long long)bad,
			(unsigned long long)system);
		imap_free(&oneids);
		smap_free(&truths);
		smap_free(&idents);
		free(of.par);
		free(evf.par);
		return 65;
	}

	/* cells of (person, truth); with -m a person is a oneid's survivor */
	imap_init(&cells, 1 << 12);
	n_oneid = xcalloc(oneids.n, sizeof *n_oneid);
	n_truth = xcalloc(truths.n, sizeof *n_truth);
	n_root = xcalloc(nev, sizeof *n_root);
	for (i = 0; i < nev; i++) {
		uint32_t oi = apply ? find(of.par, ev_oneid[i]) : ev_oneid[i];

		if (!n_oneid[oi]++)
			npeople++;
		n_truth[ev_truth[i]]++;
		n_root[find(evf.par, (uint32_t)i)]++;
		++*imap_get(&cells, (uint64_t)oi << 32 | ev_truth[i], 0, &found);
	}
	for (i = 0; i < oneids.n; i++)
		pred += pairs(n_oneid[i]);
	for (i = 0; i < truths.n; i++)
		truep += pairs(n_truth[i]);
	for (i = 0; i < nev; i++)
		tp_oracle += pairs(n_root[i]);
	for (i = 0; i < cells.cap; i++)
		if (cells.v[i] != EMPTY)
			tp += pairs(cells.v[i]);

	/* the same over the events an identifier places */
	ev_amb = xcalloc(nev + 1, 1);
	{
		size_t at = 0;
		for (i = 0; i < nev; i++) {
			uint32_t k;
			int amb = ev_nids[i] > 0;
			for (k = 0; k < ev_nids[i]; k++)
				amb &= id_multi[ev_ids[at + k]];
			at += ev_nids[i];
			ev_amb[i] = (unsigned char)amb;
			namb += (uint64_t)amb;
		}
	}
	memset(n_oneid, 0, oneids.n * sizeof *n_oneid);
	imap_free(&cells);
	imap_init(&cells, 1 << 12);
	for (i = 0; i < nev; i++) {
		uint32_t oi = apply ? find(of.par, ev_oneid[i]) : ev_oneid[i];
		if (ev_amb[i])
			continue;
		n_oneid[oi]++;
		++*imap_get(&cells, (uint64_t)oi << 32 | ev_truth[i], 0, &found);
	}
	for (i = 0; i < oneids.n; i++)
		pred2 += pairs(n_oneid[i]);
	for (i = 0; i < cells.cap; i++)
		if (cells.v[i] != EMPTY)
			tp2 += pairs(cells.v[i]);

	precision = pred ? (double)tp / (double)pred : 1.0;
	recall = truep ? (double)tp / (double)truep : 1.0;
	oracle_recall = truep ? (double)tp_oracle / (double)truep : 1.0;
	rvo = oracle_recall > 0 ? recall / oracle_recall : 1.0;
	precision2 = pred2 ? (double)tp2 / (double)pred2 : 1.0;
	printf("events=%zu people_true=%zu oneids=%zu precision=%.6f recall=%.6f "
	       "oracle_recall=%.6f recall_vs_oracle=%.6f ambiguous=%llu precision_placeable=%.6f "
	       "pairs=%llu false_pairs=%llu false_pairs_placeable=%llu\n",
	       nev, truths.n, npeople, precision, recall, oracle_recall, rvo,
	       (unsigned long long)namb, precision2, (unsigned long long)pred, (unsigned long long)(pred - tp),
	       (unsigned long long)(pred2 - tp2));
	if (verbose) {
		fprintf(stderr, "idquality: pairs: true=%llu predicted=%llu both=%llu oracle=%llu; "
				"lines skipped: %llu without oneid or truth, %llu invalid, %llu system",
			(unsigned long long)truep, (unsigned long long)pred,
			(unsigned long long)tp, (unsigned long long)tp_oracle,
			(unsigned long long)skipped, (unsigned long long)bad,
			(unsigned long long)system);
		if (apply)
			fprintf(stderr, " (%llu $merge applied)", (unsigned long long)merges);
		fputc('\n', stderr);
	}

	free(ev_amb);
	free(ev_ids);
	free(ev_nids);
	free(id_truth);
	free(id_multi);
	smap_free(&idents);
	free(n_oneid);
	free(n_truth);
	free(n_root);
	free(ev_oneid);
	free(ev_truth);
	free(evf.par);
	free(of.par);
	imap_free(&oneids);
	imap_free(&cells);
	smap_free(&truths);
	if (fflush(stdout)) {
		perror("idquality: stdout");
		return 74;
	}
	return 0;
}
