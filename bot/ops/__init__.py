"""What an operator runs besides lessons: start-up (`start`), the health check (`health`),
the learners' figures, a learner's data and backups (`data`). `python -m bot --help` lists them."""
