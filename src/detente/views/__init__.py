"""Views: render results (terminal tables, reports); they never compute a model."""
