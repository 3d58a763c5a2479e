typedef int mlv_placeholder_keyfile; /* replaced by the real module */
