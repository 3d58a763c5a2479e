typedef int mlv_placeholder_day; /* replaced by the real module */
