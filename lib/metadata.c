typedef int mlv_placeholder_metadata; /* replaced by the real module */
