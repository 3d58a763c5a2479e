typedef int mlv_placeholder_client_tus; /* replaced by the real module */
