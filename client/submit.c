typedef int mlv_placeholder_client_submit; /* replaced by the real module */
