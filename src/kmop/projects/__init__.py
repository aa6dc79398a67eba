"""Projects of the kmo-portefeuille (the e-loket's application core): enterprise profiles, the size class and
the budget per calendar year, applications (``application_preview`` / ``application_submit``), the project
life cycle and its daily deadlines (docs/decisions/0012-projects.md)."""
