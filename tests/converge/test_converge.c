/*
 * Convergence, short: 3 establishments of 2 devices each and the region
 * writing concurrently (the region resolving conflicts), changesets
 * delivered in random order with duplicates and cut-off replicas; every
 * replica ends with the state and the conflicts an independent oracle
 * derives (tests/converge/sim.h). Three seeds; the long run with 20
 * replicas and 100,000 writes is tests/converge/converge.sh.
 */
#include "test.h"
#include "sim.h"

int main(void)
{
	static const uint64_t seeds[] = { 1, 2, 20261122 };
	size_t i;

	if (sodium_init() < 0)
		return 1;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		sim_options o = { 3, 2, 600, seeds[i], 20, 3, 15, 0 };
		sim_result r;
		int rc = sim_run(&o, &r);

		sim_print(&o, &r);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(r.mismatches, 0);
		/* The run must exercise what it claims to: concurrency, duplicates, waiting, conflicts, resolutions. */
		CHECK(r.writes >= 500);
		CHECK(r.duplicates > 0);
		CHECK(r.waiting > 0 || r.gaps > 0);
		CHECK(r.conflicts > 0);
		CHECK(r.resolutions > 0);
	}
	return test_summary();
}
