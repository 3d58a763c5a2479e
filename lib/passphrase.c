typedef int mlv_placeholder_passphrase; /* replaced by the real module */
