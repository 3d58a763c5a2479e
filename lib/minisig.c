typedef int mlv_placeholder_minisig; /* replaced by the real module */
