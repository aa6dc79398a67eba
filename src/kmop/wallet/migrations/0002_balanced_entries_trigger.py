"""PostgreSQL: the entries of a ledger transaction sum to zero (a deferred constraint trigger, checked at
commit, so the lines of one transaction can be inserted one by one), and entries are never changed or
deleted. Other databases rely on ``kmop.wallet.services.book``, the one function that writes entries."""

from django.db import migrations

BALANCED = """
CREATE OR REPLACE FUNCTION wallet_entries_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM wallet_entry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'wallet: the entries of ledger transaction % sum to %, not 0', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER wallet_entry_balanced
    AFTER INSERT ON wallet_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallet_entries_balanced();

CREATE OR REPLACE FUNCTION wallet_entries_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wallet: ledger entries are never changed or deleted (book a correction instead)'
        USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallet_entry_immutable
    BEFORE UPDATE OR DELETE ON wallet_entry
    FOR EACH ROW EXECUTE FUNCTION wallet_entries_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS wallet_entry_immutable ON wallet_entry;
DROP FUNCTION IF EXISTS wallet_entries_immutable();
DROP TRIGGER IF EXISTS wallet_entry_balanced ON wallet_entry;
DROP FUNCTION IF EXISTS wallet_entries_balanced();
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED, params=None)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
