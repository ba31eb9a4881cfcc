/*
 * converge - the convergence simulation at any size (tests/converge/sim.h):
 *   converge [--sites N] [--devices N] [--ops N] [--seed N] [--dup PCT]
 *            [--cut PCT] [--resolve PCT] [--verbose]
 * Prints what it did and checked; exits 0 when every replica holds what the
 * oracle derives, 1 otherwise.
 */
#include "sim.h"

static int usage(void)
{
	fprintf(stderr, "usage: converge [--sites N] [--devices N] [--ops N] [--seed N] [--dup PCT] [--cut PCT] "
	                "[--resolve PCT] [--verbose]\n");
	return 2;
}

int main(int argc, char **argv)
{
	sim_options o = { 4, 4, 100000, 1, 20, 3, 15, 0 };
	sim_result r;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--verbose") == 0) {
			o.verbose = 1;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--sites") == 0) o.sites = atoi(v);
		else if (strcmp(a, "--devices") == 0) o.devices = atoi(v);
		else if (strcmp(a, "--ops") == 0) o.ops = atol(v);
		else if (strcmp(a, "--seed") == 0) o.seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--dup") == 0) o.dup_pct = atoi(v);
		else if (strcmp(a, "--cut") == 0) o.cut_pct = atoi(v);
		else if (strcmp(a, "--resolve") == 0) o.resolve_pct = atoi(v);
		else return usage();
	}
	if (o.sites < 1 || o.sites > 99 || o.devices < 1 || o.devices > 50 || o.ops < 1)
		return usage();
	if (sodium_init() < 0)
		return 1;
	rc = sim_run(&o, &r);
	sim_print(&o, &r);
	return rc == 0 ? 0 : 1;
}
