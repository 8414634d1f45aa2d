/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands; each parses its own options (argv[0] is the subcommand) and returns an exit code. */
#ifndef VP_COMMANDS_H
#define VP_COMMANDS_H

int cmd_top(int argc, char **argv);	/* cmd/cmd_top.c */
int cmd_load(int argc, char **argv);	/* cmd/cmd_load.c */
int cmd_testbed(int argc, char **argv); /* cmd/cmd_testbed.c */
int cmd_run(int argc, char **argv);	/* cmd/cmd_run.c */
int cmd_compare(int argc, char **argv); /* cmd/cmd_compare.c */
int cmd_report(int argc, char **argv);	/* cmd/cmd_report.c */
int cmd_diff(int argc, char **argv);	/* cmd/cmd_diff.c */
int cmd_serve(int argc, char **argv);	/* cmd/cmd_serve.c */

#endif
