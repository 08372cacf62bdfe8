"""Qt item models over the core's services: they hold ids or frozen rows, never ORM objects."""
