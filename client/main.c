/*
 * main.c - `wicket [-C DIR] [--person NAME] COMMAND [ARGS]`: global options,
 * the command table, option parsing and --help. Each command lives in its
 * own cmd_*.c file with one options table.
 */
#include "cli.h"
#include "entity.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Built twice (CMakeLists.txt): wicket-full has every command; wicket, built
 * with WK_CLI_LIGHT, leaves out those that talk to the regional repository or
 * read bundles, and so is not linked with libgit2 and libarchive, whose
 * loading would be most of an edit's time. What it does not have (those
 * commands, the full help, an unknown command's error) it hands to
 * wicket-full with the same arguments.
 */
static const wk_command *const families[] = {
	wk_cmd_init, wk_cmd_edm, wk_cmd_plan, wk_cmd_baseline, wk_cmd_action, wk_cmd_rec,
	wk_cmd_actionplan, wk_cmd_decision, wk_cmd_readiness, wk_cmd_policy, wk_cmd_keys,
#ifndef WK_CLI_LIGHT
	wk_cmd_region, wk_cmd_bundle, wk_cmd_sync, wk_cmd_signoff,
#endif
	wk_cmd_audit, wk_cmd_report, wk_cmd_conflicts, wk_cmd_log, wk_cmd_check,
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

#ifdef WK_CLI_LIGHT
/* Run wicket-full: beside this binary in a build tree, in <prefix>/libexec/wicket/ when installed. */
static int run_full(char **argv)
{
	static const char *const where[] = { "/wicket-full", "/../libexec/wicket/wicket-full" };
	const char *exe = wk_cli_exe_dir();
	char path[4200];
	size_t i;
	int err = ENOENT;

	for (i = 0; exe && i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", exe, where[i]);
		execv(path, argv);
		if (errno != ENOENT)
			err = errno;
	}
	fprintf(stderr, "wicket: cannot run wicket-full, the part of wicket that syncs and reads bundles (%s); "
	        "reinstall wicket\n", strerror(err));
	return WK_EXIT_FAIL;
}
#endif

static const wk_opt common_json = { WK_OPT_FLAG, "json", NULL, "print JSON instead of text" };
static const wk_opt common_person = { WK_OPT_STR, "person", "NAME",
	"the person making this change (default: the one set at init)" };
static const wk_opt common_help = { WK_OPT_FLAG, "help", NULL, "show this help" };

static void print_opt(FILE *f, const wk_opt *o)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(f, "  %-24s %s\n", left, o->help);
}

static void command_help(FILE *f, const wk_command *c)
{
	const wk_opt *o;

	fprintf(f, "usage: wicket %s [options]%s%s\n\n%s\n", c->name,
	        c->args ? " " : "", c->args ? c->args : "", c->summary);
	if (c->details)
		fprintf(f, "\n%s\n", c->details);
	fprintf(f, "\noptions:\n");
	for (o = c->opts; o && o->kind != WK_OPT_END; o++)
		print_opt(f, o);
	if (c->flags & WK_CMD_READ)
		print_opt(f, &common_json);
	if (c->flags & WK_CMD_WRITE)
		print_opt(f, &common_person);
	print_opt(f, &common_help);
}

#ifndef WK_CLI_LIGHT
static void main_help(FILE *f)
{
	size_t i;
	const wk_command *c;

	fprintf(f,
		"usage: wicket [-C DIR] [--person NAME] COMMAND [ARGS] [--help]\n\n"
		"An establishment's regime recovery plans and inspection action plans, offline.\n\n"
		"global options:\n"
		"  -C DIR                   work in DIR (its store is DIR/.wicket/store.db)\n"
		"  --person NAME            the person acting (default: the one set at init)\n"
		"  --version                print the version\n"
		"  --help                   show this help\n\n"
		"commands:\n");
	for (i = 0; i < NFAMILIES; i++)
		for (c = families[i]; c->name; c++)
			fprintf(f, "  %-24s %s\n", c->name, c->summary);
	fprintf(f, "\n'wicket COMMAND --help' shows a command's options.\n");
}
#endif

const char *wk_cli_opt(const wk_cli *cli, const char *name)
{
	const wk_opt *o;
	int i = 0;

	for (o = cli->cmd->opts; o && o->kind != WK_OPT_END; o++, i++)
		if (strcmp(o->name, name) == 0)
			return cli->optval[i];
	return NULL;
}

int wk_cli_fail(const wk_cli *cli)
{
	const char *msg = wk_error_msg();

	fprintf(stderr, "wicket: %s\n", msg && *msg ? msg : "failed");
	if (wk_error_code() == WK_EUSAGE) {
		if (cli && cli->cmd)
			fprintf(stderr, "see 'wicket %s --help'\n", cli->cmd->name);
		return WK_EXIT_USAGE;
	}
	return WK_EXIT_FAIL;
}

int wk_cli_usage(const wk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wicket: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli && cli->cmd)
		fprintf(stderr, "\nsee 'wicket %s --help'\n", cli->cmd->name);
	else
		fprintf(stderr, "\nsee 'wicket --help'\n");
	return WK_EXIT_USAGE;
}

static const wk_opt *find_opt(const wk_command *c, const char *name, int *index)
{
	const wk_opt *o;
	int i = 0;

	for (o = c->opts; o && o->kind != WK_OPT_END; o++, i++)
		if (strcmp(o->name, name) == 0) {
			*index = i;
			return o;
		}
	return NULL;
}

/* Parse argv (after the command name) into cli; returns -1 on success or an exit status. */
static int parse(wk_cli *cli, int argc, char **argv)
{
	const wk_command *c = cli->cmd;
	int i, only_pos = 0, idx;

	cli->pos = calloc((size_t)argc + 1, sizeof(char *));
	if (!cli->pos)
		return WK_EXIT_FAIL;
	for (i = 0; i < argc; i++) {
		char *a = argv[i], *eq, name[64];
		const wk_opt *o;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			cli->pos[cli->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			command_help(stdout, c);
			return WK_EXIT_OK;
		}
		if (a[1] != '-')
			return wk_cli_usage(cli, "unknown option '%s'", a);
		eq = strchr(a, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2), a + 2);
		if ((c->flags & WK_CMD_READ) && strcmp(name, "json") == 0 && !eq) {
			cli->json = 1;
			continue;
		}
		if ((c->flags & WK_CMD_WRITE) && strcmp(name, "person") == 0) {
			const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return wk_cli_usage(cli, "option '--person' needs a value");
			cli->person = v;
			continue;
		}
		o = find_opt(c, name, &idx);
		if (!o)
			return wk_cli_usage(cli, "unknown option '--%s'", name);
		if (o->kind == WK_OPT_FLAG) {
			if (eq)
				return wk_cli_usage(cli, "option '--%s' takes no value", name);
			cli->optval[idx] = "1";
		} else {
			const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return wk_cli_usage(cli, "option '--%s' needs a value (%s)", name, o->arg);
			cli->optval[idx] = v;
		}
	}
	if (cli->npos < c->min_pos)
		return wk_cli_usage(cli, "'%s' needs %s", c->name, c->args ? c->args : "more arguments");
	if (c->max_pos >= 0 && cli->npos > c->max_pos)
		return wk_cli_usage(cli, "too many arguments for '%s' (starting at '%s')", c->name,
		                    cli->pos[c->max_pos]);
	return -1;
}

/* Find the command whose words match argv the longest. */
static const wk_command *lookup(int argc, char **argv, int *used)
{
	const wk_command *best = NULL, *c;
	size_t i;
	int bestw = 0;

	for (i = 0; i < NFAMILIES; i++)
		for (c = families[i]; c->name; c++) {
			char words[64], *w, *save = NULL;
			int n = 0, ok = 1;

			snprintf(words, sizeof(words), "%s", c->name);
			for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
				if (n >= argc || strcmp(argv[n], w) != 0) {
					ok = 0;
					break;
				}
			if (ok && n > bestw) {
				best = c;
				bestw = n;
			}
		}
	*used = bestw;
	return best;
}

#ifndef WK_CLI_LIGHT
/* Lists what follows a command-family word, for `wicket plan` alone. */
static int family_help(const char *word, const char *sub)
{
	size_t i;
	const wk_command *c;
	int found = 0;
	size_t n = strlen(word);

	for (i = 0; i < NFAMILIES; i++)
		for (c = families[i]; c->name; c++)
			if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ') {
				if (!found && sub)
					fprintf(stderr, "wicket: '%s %s' is not a wicket command\n", word, sub);
				if (!found)
					fprintf(stderr, "usage: wicket %s SUBCOMMAND\n\nsubcommands:\n", word);
				fprintf(stderr, "  %-24s %s\n", c->name, c->summary);
				found = 1;
			}
	return found;
}
#endif

static int open_store(wk_cli *cli)
{
	static char person_buf[256];
	char path[4096], *person = NULL, *device = NULL;
	int rc;

	wk_cli_store_path(cli, path, sizeof(path));
	if (wk_store_open(&cli->store, path) < 0)
		return wk_cli_fail(cli);
	if (!(cli->cmd->flags & WK_CMD_WRITE))
		return 0;
	rc = wk_store_meta_get(cli->store, "device", &device);
	if (rc == 0 && !cli->person) {
		rc = wk_store_meta_get(cli->store, "person", &person);
		if (rc == 0 && person) {
			snprintf(person_buf, sizeof(person_buf), "%s", person);
			cli->person = person_buf;
		}
	}
	if (rc == 0)
		rc = wk_entity_set_actor(cli->store, cli->person, device);
	free(person);
	free(device);
	return rc < 0 ? wk_cli_fail(cli) : 0;
}

int main(int argc, char **argv)
{
	wk_cli cli;
	int i = 1, used = 0, rc;

	memset(&cli, 0, sizeof(cli));
	cli.dir = ".";
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			cli.dir = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--person") == 0 && i + 1 < argc) {
			cli.person = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--person=", 9) == 0) {
			cli.person = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
#ifdef WK_CLI_LIGHT
			return run_full(argv);
#else
			main_help(stdout);
			return WK_EXIT_OK;
#endif
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("wicket %s\n", WICKET_VERSION);
			return WK_EXIT_OK;
		} else {
			return wk_cli_usage(NULL, "unknown global option '%s'", argv[i]);
		}
	}
	cli.cmd = i < argc ? lookup(argc - i, argv + i, &used) : NULL;
#ifdef WK_CLI_LIGHT
	if (!cli.cmd)
		return run_full(argv);
#else
	if (i >= argc) {
		main_help(stderr);
		return WK_EXIT_USAGE;
	}
	if (!cli.cmd) {
		if (i + 1 < argc && family_help(argv[i], argv[i + 1]))
			return WK_EXIT_USAGE;
		if (i + 1 >= argc && family_help(argv[i], NULL))
			return WK_EXIT_USAGE;
		return wk_cli_usage(NULL, "'%s' is not a wicket command", argv[i]);
	}
#endif
	rc = parse(&cli, argc - i - used, argv + i + used);
	if (rc >= 0)
		goto out;
	if ((cli.cmd->flags & WK_CMD_STORE) && (rc = open_store(&cli)) != 0)
		goto out;
	rc = cli.cmd->fn(&cli);
out:
	wk_store_close(cli.store);
	free(cli.pos);
	return rc;
}
