/* The table of subcommands: see commands.h. */
#include "commands.h"

#include <string.h>

const mlv_command mlv_commands[] = {
    { "seal", mlv_cmd_seal, "seal a message and files to the editors of a manifest" },
    { "open", mlv_cmd_open, "decrypt an envelope with an editor key into a directory" },
    { "submit", mlv_cmd_submit, "seal and upload to a Malyava drop-box, resuming on failure" },
    { "init", mlv_cmd_init, "create an editors' vault" },
    { "key", mlv_cmd_key, "add, list, retire or remove (revoke) the editor keys that open the vault" },
    { "desk", mlv_cmd_desk, "unlock the vault once and work in the browser (the editors' desk)" },
    { "import", mlv_cmd_import, "import an export bundle into the vault; writes the ack file" },
    { "list", mlv_cmd_list, "list testimonies, filtered by status, tag, assignee, date, field or key" },
    { "search", mlv_cmd_search, "find testimonies by words in text, fields, file names, tags or notes" },
    { "show", mlv_cmd_show, "show one testimony: text, fields, files, receipt, triage" },
    { "history", mlv_cmd_history, "what editors did with one testimony, in order" },
    { "report", mlv_cmd_report, "counts by status, place and month; --svg writes a chart" },
    { "status", mlv_cmd_status, "set a testimony's status" },
    { "tag", mlv_cmd_tag, "tag a testimony (--remove takes a tag off)" },
    { "note", mlv_cmd_note, "add a note to a testimony" },
    { "assign", mlv_cmd_assign, "say which editor works on a testimony" },
    { "extract", mlv_cmd_extract, "write a testimony's text and files to a directory (--strip cleans photos)" },
    { "reply", mlv_cmd_reply, "seal a reply to the source of a testimony" },
    { "export-replies", mlv_cmd_export_replies, "write the replies bundle to carry to the server" },
    { "delete", mlv_cmd_delete, "delete testimonies no key of the vault opens (kept in the history)" },
    { "backup", mlv_cmd_backup, "copy the vault into a new file and check it (--check checks a copy)" },
    { "rewrap", mlv_cmd_rewrap, "re-seal stored envelopes' keys for a new editor key, or away from an old one" },
    { "replies", mlv_cmd_replies, "for a source: fetch and read replies with a codename" },
};
const size_t mlv_commands_count = sizeof mlv_commands / sizeof mlv_commands[0];

const mlv_command *mlv_command_find(const char *name)
{
    for (size_t i = 0; i < mlv_commands_count; i++) {
        if (strcmp(name, mlv_commands[i].name) == 0)
            return &mlv_commands[i];
    }
    return NULL;
}
