"""TaskQueue implementations: the inline worker and Celery."""
