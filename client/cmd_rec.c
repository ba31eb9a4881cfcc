/*
 * cmd_rec.c - `wicket rec respond|show`: one recommendation of an inspection.
 */
#include "cli.h"
#include "inspection.h"
#include "query.h"

#include <stdlib.h>

static const wk_opt respond_opts[] = {
	{ WK_OPT_STR, "response", "RESPONSE", "agreed, partly_agreed or not_agreed (required)" },
	{ WK_OPT_STR, "reason", "CATEGORY", "commissioning, policy, operational or affordability" },
	{ WK_OPT_STR, "part", "TEXT", "which part will be implemented (partly_agreed)" },
	{ WK_OPT_STR, "text", "TEXT", "the response text; the rationale when not agreed" },
	WK_OPTS_END
};

static int do_respond(wk_cli *cli, void *arg)
{
	wk_rec_response r = { NULL, NULL, NULL, NULL };
	char *rec = NULL;
	int rc;

	(void)arg;
	r.response = wk_cli_opt(cli, "response");
	r.reason_category = wk_cli_opt(cli, "reason");
	r.part_implemented = wk_cli_opt(cli, "part");
	r.response_text = wk_cli_opt(cli, "text");
	if ((rc = wk_rec_resolve(cli->store, cli->pos[0], &rec)) == 0)
		rc = wk_rec_respond(cli->store, rec, &r);
	free(rec);
	return rc;
}

static int cmd_rec_respond(wk_cli *cli)
{
	int rc = wk_cli_write(cli, do_respond, NULL);

	if (rc == WK_EXIT_OK)
		printf("recommendation %s: %s\n", cli->pos[0], wk_cli_opt(cli, "response"));
	return rc;
}

static const wk_opt no_opts[] = { WK_OPTS_END };

static int cmd_rec_show(wk_cli *cli)
{
	static const char *const keys[] = { "id", "addressee", "response", "reason_category",
		"part_implemented", "text_missing", NULL };
	json_t *r = NULL, *a;
	char *rec = NULL;
	size_t i;
	int rc;

	if (wk_rec_resolve(cli->store, cli->pos[0], &rec) < 0)
		return wk_cli_fail(cli);
	rc = wk_query_json(cli->store, (const char *[]){ rec }, 1,
		"SELECT json_object('id', r.id, 'number', r.number, 'addressee', r.addressee, 'text', r.text,"
		" 'text_missing', json(CASE WHEN r.text_missing THEN 'true' ELSE 'false' END),"
		" 'response', r.response, 'reason_category', r.reason_category,"
		" 'part_implemented', r.part_implemented, 'response_text', r.response_text, 'note', r.note,"
		" 'actions', (SELECT json_group_array(json_object('id', a.id, 'text', a.text, 'owner', a.owner,"
		"   'target_text', a.target_text, 'status', a.status))"
		"   FROM (SELECT * FROM action WHERE recommendation = r.id ORDER BY position IS NULL, position, id) a))"
		" FROM recommendation r WHERE r.id = ?1", &r);
	free(rec);
	if (rc < 0)
		return wk_cli_fail(cli);
	if (cli->json)
		return wk_cli_print_json(r);
	wk_cli_print_fields(r, keys, NULL);
	printf("\n%s\n", json_is_string(json_object_get(r, "text")) ?
	       json_string_value(json_object_get(r, "text")) : "(text missing in the source)");
	json_array_foreach(json_object_get(r, "actions"), i, a)
		printf("\n- [%s] %s (%s; %s)\n  %s\n", json_string_value(json_object_get(a, "id")),
		       json_string_value(json_object_get(a, "status")), json_string_value(json_object_get(a, "owner")),
		       json_string_value(json_object_get(a, "target_text")), json_string_value(json_object_get(a, "text")));
	json_decref(r);
	return WK_EXIT_OK;
}

const wk_command wk_cmd_rec[] = {
	{ "rec respond", "REC", "record the response to a recommendation (NUMBER or INSPECTION/NUMBER)",
	  cmd_rec_respond, respond_opts, 1, 1, WK_CMD_STORE | WK_CMD_WRITE, NULL },
	{ "rec show", "REC", "show a recommendation, its response and actions", cmd_rec_show, no_opts, 1, 1,
	  WK_CMD_STORE | WK_CMD_READ, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};
