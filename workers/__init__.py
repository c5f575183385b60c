"""Discovery and routing of uploads, Ray jobs, the artifact store and the `teletriage` command."""

__all__: list[str] = []
