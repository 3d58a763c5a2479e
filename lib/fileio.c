typedef int mlv_placeholder_fileio; /* replaced by the real module */
