/*
 * malyava: the editors' tool. This file only dispatches; each subcommand
 * lives in its own file (commands.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/proc.h>

#include "commands.h"

#ifndef MALYAVA_VERSION
#define MALYAVA_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "seal", mlv_cmd_seal, "seal a message and files to the editors of a manifest" },
    { "open", mlv_cmd_open, "decrypt an envelope with an editor key into a directory" },
    { "submit", mlv_cmd_submit, "seal and upload to a Malyava drop-box, resuming on failure" },
    { "init", mlv_cmd_init, "create an editors' vault" },
    { "key", mlv_cmd_key, "add, list or retire the editor keys that open the vault" },
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
    { "rewrap", mlv_cmd_rewrap, "re-seal stored envelopes' keys for a new editor key, or away from an old one" },
    { "replies", mlv_cmd_replies, "for a source: fetch and read replies with a codename" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`malyava COMMAND --help` shows a command's options; man malyava has the rest.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("malyava %s\n", MALYAVA_VERSION);
        return 0;
    }
    if (mlv_proc_no_core_dumps() != 0) {
        fprintf(stderr, "malyava: cannot turn core dumps off: %s\n", strerror(errno));
        return 1;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "malyava: libsodium failed to initialise; check that the system has a working random source\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "malyava: unknown command '%s'; run `malyava --help` for the list\n", argv[1]);
    return 2;
}
