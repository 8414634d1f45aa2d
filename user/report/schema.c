// SPDX-License-Identifier: GPL-2.0
/* The session JSON's description as data (schema.h): for the test that holds the docs to it. */
#include <string.h>

#include "report/schema.h"

const struct session_key_desc session_keys[SK_N] = {
#define SK_DESC(name_, types_, unit_) [SKI_##name_] = { #name_, types_, unit_ },
	SESSION_KEYS(SK_DESC)
#undef SK_DESC
};

const struct session_key_desc *session_key_find(const char *name)
{
	for (int i = 0; i < SK_N; i++)
		if (!strcmp(session_keys[i].name, name))
			return &session_keys[i];
	return NULL;
}
