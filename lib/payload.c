typedef int mlv_placeholder_payload; /* replaced by the real module */
