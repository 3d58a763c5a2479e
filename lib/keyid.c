typedef int mlv_placeholder_keyid; /* replaced by the real module */
