// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the module lands; replaced wholesale by its owner. */
#include "commands.h"
#include "util.h"

int cmd_top(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	vp_err("'top' is not built yet");
	return VP_EXIT_FAIL;
}
