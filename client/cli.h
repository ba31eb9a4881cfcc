/*
 * cli.h - the command line: one table of commands (main.c), one options table
 * per command driving both parsing and --help. Only the command line prints
 * or exits. Exit status: 0 success, 1 failure, 2 usage.
 */
#ifndef WK_CLI_H
#define WK_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "remote.h"
#include "store.h"

enum { WK_EXIT_OK = 0, WK_EXIT_FAIL = 1, WK_EXIT_USAGE = 2 };

enum { WK_OPT_END = 0, WK_OPT_FLAG, WK_OPT_STR };

typedef struct {
	int kind;
	const char *name;   /* long name without "--" */
	const char *arg;    /* placeholder shown in help, e.g. "DATE" */
	const char *help;
} wk_opt;

#define WK_OPTS_END { WK_OPT_END, NULL, NULL, NULL }
#define WK_MAX_OPTS 40

/* What a command needs before it runs. */
enum {
	WK_CMD_STORE = 1 << 0, /* open the store */
	WK_CMD_WRITE = 1 << 1, /* it writes: takes --person, sets the actor */
	WK_CMD_READ = 1 << 2,  /* it reads: takes --json */
	WK_CMD_NOGUARD = 1 << 3 /* its writes are not validated by the rules (catalogue, scripts) */
};

typedef struct wk_cli wk_cli;

typedef struct {
	const char *name;     /* "plan create" */
	const char *args;     /* positional arguments for the usage line */
	const char *summary;  /* one line */
	int (*fn)(wk_cli *cli);
	const wk_opt *opts;
	int min_pos, max_pos;
	unsigned flags;
	const char *details;  /* more help text, or NULL */
} wk_command;

struct wk_cli {
	const char *dir;        /* -C DIR */
	const char *person;     /* --person, or the store's default */
	int json;               /* --json */
	wk_store *store;        /* opened when WK_CMD_STORE */
	const wk_command *cmd;
	const char *optval[WK_MAX_OPTS];
	int npos;
	char **pos;
};

/* The value of option name, or NULL when not given. Flags give "1". */
const char *wk_cli_opt(const wk_cli *cli, const char *name);

/* Report the library's last error on stderr and return WK_EXIT_FAIL. */
int wk_cli_fail(const wk_cli *cli);
/* Report a usage error on stderr and return WK_EXIT_USAGE. */
int wk_cli_usage(const wk_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print json (stolen) to stdout as indented JSON; returns WK_EXIT_OK. */
int wk_cli_print_json(json_t *json);

/* Print "key: value" lines for a flat object's string/number members. */
void wk_cli_print_fields(const json_t *obj, const char *const *keys, const char *const *labels);

/*
 * Run fn inside one write transaction with the actor set; unless the command
 * is WK_CMD_NOGUARD, the rules validate the change before it commits (a
 * change that adds a validation error is refused). Rolls back on failure.
 */
int wk_cli_write(wk_cli *cli, int (*fn)(wk_cli *cli, void *arg), void *arg);

/* "<dir>/.wicket/store.db" into buf. */
void wk_cli_store_path(const wk_cli *cli, char *buf, size_t size);

/*
 * Call fn with this folder's store and its site code, or, in a region's
 * folder, with each establishment's replica in turn (sites/<SITE>.db).
 */
int wk_cli_each_store(wk_cli *cli, int (*fn)(wk_cli *cli, wk_store *st, const char *site, void *arg), void *arg);

/* The regional repository's settings (remote set) as transfer options, with progress on the terminal or as JSON. */
typedef struct {
	wk_remote_options o;
	char *url, *key, *kh, *stall;
	int json, tty;
	long last;
} wk_cli_remote;

int wk_cli_remote_load(wk_store *st, wk_cli_remote *c, int json);
void wk_cli_remote_free(wk_cli_remote *c);

/* The directory holding this program (from /proc/self/exe), or NULL. */
const char *wk_cli_exe_dir(void);
/* The directory holding national and site policies. */
const char *wk_cli_policy_dir(void);

/* Each command family, defined in its cmd_*.c file. */
extern const wk_command wk_cmd_init[], wk_cmd_edm[], wk_cmd_plan[], wk_cmd_baseline[],
	wk_cmd_action[], wk_cmd_rec[], wk_cmd_actionplan[], wk_cmd_log[], wk_cmd_check[],
	wk_cmd_decision[], wk_cmd_policy[], wk_cmd_readiness[], wk_cmd_keys[], wk_cmd_region[], wk_cmd_bundle[], wk_cmd_sync[], wk_cmd_audit[], wk_cmd_report[], wk_cmd_signoff[], wk_cmd_conflicts[];

/* "<dir>/.wicket/<name>" into buf: the key files. */
void wk_cli_key_path(const wk_cli *cli, const char *name, char *buf, size_t size);

#endif
