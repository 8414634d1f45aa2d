/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands; each parses its own options (argv[0] is the subcommand) and returns an exit code. */
#ifndef VP_COMMANDS_H
#define VP_COMMANDS_H

int cmd_top(int argc, char **argv);	/* user/top.c */
int cmd_load(int argc, char **argv);	/* user/load/cli.c */
int cmd_testbed(int argc, char **argv); /* user/testbed.c */
int cmd_run(int argc, char **argv);	/* user/session.c */
int cmd_compare(int argc, char **argv); /* user/compare.c */

#endif
