"""The e-loket of the enterprises: the ondernemingsfoto, the first use and the application wizard (issue 4
§2–4). Views and forms only: the data and the rules are in ``kmop.projects``, ``kmop.providers`` and
``kmop.schemes``."""
