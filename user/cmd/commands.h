/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands; each parses its own options (argv[0] is the subcommand) and returns an exit code. */
#ifndef VP_COMMANDS_H
#define VP_COMMANDS_H

int cmd_top(int argc, char **argv);	/* cmd/top.c */
int cmd_load(int argc, char **argv);	/* cmd/load.c */
int cmd_testbed(int argc, char **argv); /* cmd/testbed.c */
int cmd_run(int argc, char **argv);	/* cmd/run.c */
int cmd_compare(int argc, char **argv); /* cmd/compare.c */
int cmd_report(int argc, char **argv);	/* cmd/report.c */
int cmd_diff(int argc, char **argv);	/* cmd/diff.c */
int cmd_serve(int argc, char **argv);	/* cmd/serve.c */

#endif
