"""Small reusable widgets: the level badge, countdown label and inline field errors."""
