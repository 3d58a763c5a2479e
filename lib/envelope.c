typedef int mlv_placeholder_envelope; /* replaced by the real module */
