"""flowc_runtime: the small runtime that generated flow modules run on."""
