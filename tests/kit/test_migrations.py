"""`Database.migrate` on every start: a database at the newest revision costs one query."""

from __future__ import annotations


class TestMigrationHead:
    def test_the_head_named_by_the_files_is_alembics(self, sqlite_db):
        """`upgrade` skips Alembic when the database is at `head()`: the file names must say
        what Alembic would (a migration's file is named after its revision)."""
        from alembic.script import ScriptDirectory

        from sellerkit.migrations import alembic_config, head

        assert ScriptDirectory.from_config(alembic_config(sqlite_db.engine)).get_current_head() == head()

    def test_a_new_database_is_not_at_head_and_a_migrated_one_is(self, tmp_path):
        from sellerkit.kit.db import Database
        from sellerkit.migrations import at_head

        db = Database(f"sqlite:///{tmp_path / 'new.db'}")
        assert not at_head(db.engine)
        db.migrate()
        assert at_head(db.engine)

    def test_migrating_a_database_at_head_does_not_import_alembic(self, tmp_path):
        import subprocess
        import sys

        from sellerkit.kit.db import Database

        url = f"sqlite:///{tmp_path / 'up.db'}"
        Database(url).migrate()
        probe = f"import sys; from sellerkit.kit.db import Database; Database({url!r}).migrate(); print('alembic' in sys.modules)"
        assert subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.strip() == "False"
