typedef int mlv_placeholder_pad; /* replaced by the real module */
