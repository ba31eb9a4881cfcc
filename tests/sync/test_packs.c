/*
 * Which packs are merged (wk_packs_plan): the smallest ones that break a
 * progression where each pack holds at least twice the objects of those
 * before it, and those the merged pack would then break it with; never a
 * merge of more than cap objects; an empty pack weighs one. Then
 * wk_packs_merge on a real repository made by git: the merged packs' objects
 * are all still there, nothing is merged until enough packs may be, a pack
 * with a .keep file and a pack of cap objects or more are left alone, and
 * packs that already form the progression stay. Packs holding deltas of
 * both kinds (by offset and by id) and objects held twice are merged by
 * copying their entries as they are stored; the large packs merge among
 * themselves; a damaged pack stops the merge and nothing is deleted.
 */
#include "test.h"
#include "error.h"
#include "packs.h"

#include <dirent.h>
#include <git2.h>
#include <unistd.h>

#define PLAN(cap, ...) wk_packs_plan((const size_t[]){ __VA_ARGS__ }, sizeof((size_t[]){ __VA_ARGS__ }) / \
                                     sizeof(size_t), cap)

/* Run a shell command with $R the repository (or the folder above it, while making it). */
static int sh(const char *cmd)
{
	return system(cmd) == 0;
}

/* How many packs dir/objects/pack holds. */
static int packs(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/objects/pack", dir);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".idx") == 0;
	closedir(d);
	return n;
}

/* $R and dir: the repository sub ("/r.git") of the test's folder, or back to the folder. */
static void enter(char *dir, const char *sub)
{
	strcat(dir, sub);
	setenv("R", dir, 1);
}

static void leave(char *dir)
{
	*strrchr(dir, '/') = '\0';
	setenv("R", dir, 1);
}

/* wk_packs_merge(dir, cap, least) merges `want` packs into one of `objects`, and `left` packs remain. */
static void merges(const char *dir, size_t cap, size_t least, size_t want, size_t objects, int left)
{
	wk_packs_result res;

	CHECK(wk_packs_merge(dir, cap, least, &res) == 0);
	CHECK_EQ_INT(res.merged, want);
	CHECK_EQ_INT(res.objects, objects);
	CHECK_EQ_INT(packs(dir), left);
}

int main(void)
{
	char dir[64] = "/tmp/wk-test-packs.XXXXXX";
	wk_packs_result res;

	/* The plan. */
	CHECK_EQ_INT(wk_packs_plan(NULL, 0, 100), 0);
	CHECK_EQ_INT(PLAN(100, 5), 0);
	CHECK_EQ_INT(PLAN(100, 1, 50), 0);         /* a progression already */
	CHECK_EQ_INT(PLAN(100, 1, 2, 4, 8, 16), 0); /* each twice the one before: still one */
	CHECK_EQ_INT(PLAN(100, 1, 1, 50), 2);      /* two equal small ones */
	CHECK_EQ_INT(PLAN(100, 5, 6, 50), 2);      /* 5+6 = 11: 50 still at least twice that */
	CHECK_EQ_INT(PLAN(100, 1, 1, 2, 50), 3);   /* 1+1 = 2 would break it with the 2: taken in */
	CHECK_EQ_INT(PLAN(100, 3, 4, 12, 13), 4);  /* 13 is not twice 12: all four */
	CHECK_EQ_INT(PLAN(100, 0, 0, 50), 2);      /* empty packs weigh one */
	CHECK_EQ_INT(PLAN(5, 3, 3), 0);            /* 6 objects: over the cap */
	CHECK_EQ_INT(PLAN(6, 3, 3, 3), 2);         /* as many of the smallest as fit */
	CHECK_EQ_INT(PLAN(100, 30, 30, 30, 30), 3);
	/* A big pack is not rewritten for a few new objects: 9,000 is more than twice 3 (or 48). */
	CHECK_EQ_INT(PLAN(20000, 3, 9000), 0);
	CHECK_EQ_INT(PLAN(20000, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 9000), 16);
	CHECK_EQ_INT(PLAN(20000, 3, 9000, 9000, 9000), 3); /* two of 9,000 merge; cap leaves out the third */
	CHECK_EQ_INT(PLAN(100, 20, 25, 40), 3);      /* 40 is less than twice 45: rewritten with them */

	/* A repository with one commit per pack: three packs of 3 objects, one of 6. */
	if (!mkdtemp(dir))
		return test_summary();
	git_libgit2_init();
	setenv("R", dir, 1);
	CHECK(sh("git init -q --bare $R/r.git && git init -q $R/w && cd $R/w && git config user.name t && "
	         "git config user.email t@t && for i in 1 2 3; do echo $i >f && git add f && git commit -qm $i && "
	         "git push -q ../r.git HEAD:refs/heads/main && "
	         "git rev-list --objects -1 --no-walk HEAD | cut -c1-40 | git --git-dir=../r.git pack-objects -q "
	         "../r.git/objects/pack/pack >/dev/null; done && git --git-dir=../r.git prune-packed && "
	         "test -z \"$(find ../r.git/objects -type f -path '*/objects/[0-9a-f][0-9a-f]/*')\" && "
	         "git rev-list --objects --all | head -6 | cut -c1-40 | git --git-dir=../r.git pack-objects -q "
	         "../r.git/objects/pack/pack >/dev/null"));
	enter(dir, "/r.git");
	CHECK_EQ_INT(packs(dir), 4);

	/* Three packs may be merged (under a cap of 8, fewer than 4 objects): not when 4 are wanted. */
	CHECK(wk_packs_merge(dir, 8, 4, &res) == 0);
	CHECK_EQ_INT(res.merged, 0);
	CHECK_EQ_INT(packs(dir), 4);

	/* cap 8: the 6-object pack stays out (half of 8 or more); 3+3 fit, a third 3 would not. */
	CHECK(wk_packs_merge(dir, 8, 2, &res) == 0);
	CHECK_EQ_INT(res.before, 4);
	CHECK_EQ_INT(res.merged, 2);
	CHECK_EQ_INT(res.objects, 6);
	CHECK_EQ_INT(packs(dir), 3);
	CHECK(sh("git --git-dir=$R fsck --full --no-dangling >/dev/null 2>&1 && "
	         "git --git-dir=$R rev-list --objects --all | wc -l | grep -qx 9"));

	/* A pack with a .keep file is left alone: the smallest (3 objects) kept, the two of 6 merge. */
	CHECK(sh("k=$(ls -S $R/objects/pack/pack-*.idx | tail -1) && touch ${k%.idx}.keep"));
	CHECK(wk_packs_merge(dir, 100, 2, &res) == 0);
	CHECK_EQ_INT(res.merged, 2);
	CHECK(res.objects > 6 && res.objects <= 9); /* the two held 6 each, some of them the same */
	CHECK_EQ_INT(packs(dir), 2);
	CHECK(sh("k=$(ls $R/objects/pack/*.keep) && test -f \"${k%.keep}.pack\" && test -f \"${k%.keep}.idx\""));
	CHECK(sh("git --git-dir=$R fsck --full --no-dangling >/dev/null 2>&1 && "
	         "git --git-dir=$R rev-list --objects --all | wc -l | grep -qx 9"));

	/* Without the .keep, 3 and 9 objects are a progression already: nothing changes. */
	CHECK(sh("rm -f $R/objects/pack/*.keep"));
	CHECK(wk_packs_merge(dir, 100, 2, &res) == 0);
	CHECK_EQ_INT(res.before, 2);
	CHECK_EQ_INT(res.merged, 0);
	CHECK_EQ_INT(packs(dir), 2);

	leave(dir);

	/*
	 * Deltas and duplicates: a file grown over 12 commits, so its versions
	 * are stored as deltas. Pack A, commits 1-6, deltas by offset, all of
	 * them on the file of commit 6; pack B, commits 4-12, deltas by id (a
	 * plain pack-objects); pack C, commit 6 again, the smallest, so merged
	 * first: A's copy of that file is dropped as a duplicate, and A's deltas
	 * must now reach back into C's part of the merged pack. 36 objects, 48
	 * entries.
	 */
	CHECK(sh("cd $R && git init -q --bare d.git && git init -q dw && cd dw && git config user.name t && "
	         "git config user.email t@t && for i in $(seq 1 12); do seq 1 $((i * 300)) >f && echo v$i >>f && "
	         "git add f && git commit -qm $i; done && "
	         "pack() { git rev-list --objects $1 | git pack-objects -q $2 ../d.git/objects/pack/pack >/dev/null; } && "
	         "pack HEAD~6 --delta-base-offset && pack 'HEAD ^HEAD~9' '' && pack 'HEAD~6 ^HEAD~7' --delta-base-offset && "
	         "git --git-dir=../d.git update-ref refs/heads/main $(git rev-parse HEAD) && "
	         "git --git-dir=../d.git cat-file --batch-all-objects --batch-check >../before && wc -l <../before | grep -qx 36"));
	enter(dir, "/d.git");
	CHECK_EQ_INT(packs(dir), 3);
	CHECK(sh("for i in $R/objects/pack/*.idx; do git verify-pack -v $i; done | grep -c 'chain length' | grep -qv '^0$'"));
	merges(dir, 100, 2, 3, 36, 1);
	CHECK(sh("git --git-dir=$R fsck --full --strict --no-dangling >/dev/null 2>&1 && "
	         "git --git-dir=$R cat-file --batch-all-objects --batch-check | cmp -s - $R/../before && "
	         "git --git-dir=$R log --format=%s main | wc -l | grep -qx 12 && "
	         "git --git-dir=$R show main~5:f | tail -1 | grep -qx v7"));
	/* Copied as stored: the deltas are still deltas. */
	CHECK(sh("git verify-pack -v $R/objects/pack/*.idx | grep -q 'chain length = 1:'"));
	leave(dir);

	/* The large packs (half of cap or more): three of 6 objects under cap 8 merge among themselves. */
	CHECK(sh("cd $R && git init -q --bare t.git && cd dw && for n in 1 3 5; do "
	         "git rev-list --objects HEAD~$n --not HEAD~$((n + 2)) | git pack-objects -q ../t.git/objects/pack/pack "
	         ">/dev/null; done && git --git-dir=../t.git update-ref refs/heads/main $(git rev-parse HEAD~1) && "
	         "cp -a ../t.git ../t-copy.git"));
	enter(dir, "/t.git");
	CHECK_EQ_INT(packs(dir), 3);
	CHECK(wk_packs_merge(dir, 8, 4, &res) == 0); /* not while fewer than least */
	CHECK_EQ_INT(res.merged, 0);
	/*
	 * A damaged entry, the last of the pack copied first (the indexer sees
	 * it only with the next pack's bytes): the merge stops, with that pack
	 * named, and every pack stays.
	 */
	CHECK(sh("p=$(ls $R/objects/pack/*.pack | head -1) && printf 'XXXX' | "
	         "dd of=$p bs=1 seek=$(($(stat -c %s $p) - 24)) conv=notrunc 2>/dev/null"));
	CHECK(sh("ls $R/objects/pack/*.pack | head -1 | xargs basename >$R.damaged"));
	CHECK_EQ_INT(wk_packs_merge(dir, 8, 3, &res), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "does not match its index");
	{
		char name[128] = "", *nl;
		FILE *f = fopen(strcat(strcpy(name, dir), ".damaged"), "r");

		name[0] = '\0';
		if (f && fgets(name, sizeof(name), f) && (nl = strchr(name, '\n')))
			*nl = '\0';
		if (f)
			fclose(f);
		CHECK(name[0] != '\0');
		CHECK_CONTAINS(wk_error_msg(), name); /* the damaged pack, by name */
	}
	CHECK_EQ_INT(packs(dir), 3);
	CHECK(sh("rm -rf $R && cp -a ${R%/t.git}/t-copy.git $R"));
	/* A damaged index (an object id changed): its checksum refuses it before anything is copied. */
	CHECK(sh("i=$(ls $R/objects/pack/*.idx | tail -1) && chmod u+w $i && printf 'X' | "
	         "dd of=$i bs=1 seek=1040 conv=notrunc 2>/dev/null"));
	CHECK_EQ_INT(wk_packs_merge(dir, 8, 3, &res), WK_ECORRUPT);
	CHECK_CONTAINS(wk_error_msg(), "the index's checksum does not match it");
	CHECK_EQ_INT(packs(dir), 3);
	CHECK(sh("rm -rf $R && cp -a ${R%/t.git}/t-copy.git $R"));
	merges(dir, 8, 3, 3, 18, 1);
	/* (A history cut at HEAD~7: fsck would miss its parents. Every object is there, and reads.) */
	CHECK(sh("git --git-dir=$R cat-file --batch-all-objects --batch-check >$R.after && wc -l <$R.after | grep -qx 18 && "
	         "git --git-dir=${R%/t.git}/t-copy.git cat-file --batch-all-objects --batch-check | cmp -s - $R.after && "
	         "git --git-dir=$R cat-file --batch-all-objects --batch >/dev/null"));
	leave(dir);
	if (!test_failed)
		sh("rm -rf $R");
	else
		fprintf(stderr, "kept for a look: %s\n", dir);
	git_libgit2_shutdown();
	return test_summary();
}
