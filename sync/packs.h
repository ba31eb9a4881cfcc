/*
 * packs.h - keeping the packs of a repository wicket writes few.
 *
 * libgit2 never repacks, and no `git gc --auto` runs when it writes. Every
 * sync that commits or fetches something leaves one more pack in the
 * mirror, and every push one more in a file:// regional repository; a
 * lookup may try each pack's index, so a no-op sync slows as they pile up
 * (300 syncs: 46.7 ms against 29.7 ms once repacked, docs/performance.md).
 *
 * After a sync the smallest packs are merged into one, as `git repack
 * --geometric=2` chooses them: the packs' object counts, smallest first,
 * should each be at least twice the sum of those before; the smallest ones
 * that break that are merged. The merged pack is written and fsynced, every
 * object of the packs it replaces is checked to be in it, and only then are
 * they deleted. So nothing is lost if it stops half-way (the next merge
 * takes the duplicates in again), and two processes merging the same
 * repository at once (devices sharing a file:// regional repository) only
 * do the work twice: each deletes only packs whose every object it has
 * found in a pack it wrote. A device reading the repository meanwhile (a
 * pull) that finds a pack gone skips it, and, not finding an object, lists
 * the packs anew and finds the merged one (libgit2 does both, as git does;
 * tests/proof/test_pack_merge.sh deletes a pack as a pull opens it).
 *
 * The packs of fewer than half of `cap` objects (a large fetch writes packs
 * of `cap`) are the small ones; a merge of them makes a pack of at most
 * `cap` objects, and a pack at least twice the others of a merge together
 * is left out of it: the memory and time of one merge are bounded, and
 * each object rewritten comes with at least half as many new ones. Nothing
 * is merged until `least` packs may be: a merge costs a few fsyncs, which a
 * USB disk makes slow, and a few more packs cost a lookup little.
 *
 * The large packs, from half of `cap` to WK_PACKS_TIER times that, are
 * merged the same way among themselves, into packs of at most
 * WK_PACKS_TIER * `cap` objects, when the small ones have nothing to merge.
 * Without that a long history kept one pack per `cap` objects for ever, and
 * libgit2 1.5 lists a folder's packs in time that grows faster than their
 * number (it compares each name found with every pack it holds): 3,000
 * packs made a no-op sync 8x slower (docs/performance.md); a
 * multi-pack-index did not help, libgit2 1.5 did not use it. Such a merge
 * is rare, once per WK_PACKS_TIER * `cap` / 2 objects written or so: with
 * the default `cap` of 20,000, 73,500 objects took 0.8 s and 24 MB. The
 * memory is mostly libgit2's indexer, about 200 bytes an object, and it is
 * what bounds the tier: at 8, a merge of 157,500 objects (41 MB) at the end
 * of P4's region pull took its peak from 41.7 to 61.4 MB, near the 64 MB
 * target. The number of packs is then under 2 * `least` plus the lengths
 * of two progressions plus one for every WK_PACKS_TIER * `cap` / 2
 * objects: a quarter of what it was.
 *
 * A large merge's pack, of up to WK_PACKS_TIER * `cap` objects, stays in
 * the large tier while it holds fewer than WK_PACKS_TIER * `cap` / 2, and
 * may be merged again with others.
 *
 * Merging copies the packs' entries as they are stored (packs.c), so it
 * costs little more than reading them: libgit2's pack builder inflated and
 * deflated every object again, 15.6 s and 145 MB for 178,500 objects. Each
 * pack index's checksum is checked first: an object id damaged into
 * another pack's could otherwise pass for a duplicate and its entry be
 * dropped.
 */
#ifndef WK_PACKS_H
#define WK_PACKS_H

#include <stddef.h>

/* How much larger the large packs' tier is than the small packs' (see above). */
#define WK_PACKS_TIER 4

struct git_repository;

/*
 * How many of the packs, with these object counts in ascending order, to
 * merge: 0, or at least 2 (the smallest that many). The merge's total stays
 * at most cap, and its largest pack is less than twice the others together.
 */
size_t wk_packs_plan(const size_t *objects, size_t n, size_t cap);

typedef struct {
	size_t before;  /* packs before */
	size_t merged;  /* packs merged (0: nothing to do) */
	size_t objects; /* objects in the pack they made */
} wk_packs_result;

/*
 * Merge the smallest packs of the bare repository at gitdir, as planned by
 * wk_packs_plan, when at least `least` of its packs may be merged (fewer
 * than cap/2 objects, no .keep file); else, the same way, its large packs
 * (from cap/2 to WK_PACKS_TIER * cap/2 objects) under a cap of
 * WK_PACKS_TIER * cap. The packs' entries are copied as they are stored,
 * compressed (see packs.c). On failure the repository holds what it held
 * (perhaps one more pack, or a temporary file of libgit2's) and the error
 * says what failed.
 */
int wk_packs_merge(const char *gitdir, size_t cap, size_t least, wk_packs_result *out);

/*
 * Make packs of repo without the delta search, from a configuration file
 * written at path (see remote.c's copy for why). Should that fail, packing
 * only searches for deltas: it is slower, not wrong.
 */
void wk_packs_no_deltas(struct git_repository *repo, const char *path);

#endif
