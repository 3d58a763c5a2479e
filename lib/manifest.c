typedef int mlv_placeholder_manifest; /* replaced by the real module */
