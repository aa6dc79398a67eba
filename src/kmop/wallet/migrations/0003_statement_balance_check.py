"""PostgreSQL: a bulk import can have the balance of its ledger transactions checked per statement instead of
per entry at commit.

Migration 0002 checks at commit, for every entry inserted, that its transaction sums to zero (a deferred row
trigger: one query per entry). For the camt.053 import's hundreds of thousands of entries that is most of the
commit. A transaction that sets ``SET LOCAL kmop.wallet_statement_check = 'on'`` gets instead one check per
INSERT or COPY statement, over the rows that statement inserted (a transition table): the lines it inserted
for each ledger transaction must sum to zero, so all lines of a transaction go in one statement. The row
trigger skips exactly the rows that the statement check covers (the same setting, read when the row is
inserted), so the database still refuses every unbalanced transaction: lines inserted without the setting
are checked at commit against the transaction's full total, to which the lines inserted with it add zero.
"""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION wallet_entries_balanced_statement() RETURNS trigger AS $$
DECLARE
    bad bigint;
    total numeric;
BEGIN
    IF current_setting('kmop.wallet_statement_check', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    SELECT transaction_id, SUM(amount) INTO bad, total
    FROM wallet_entry_inserted GROUP BY transaction_id HAVING SUM(amount) <> 0 LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'wallet: the entries of ledger transaction % sum to %, not 0', bad, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallet_entry_balanced_statement
    AFTER INSERT ON wallet_entry
    REFERENCING NEW TABLE AS wallet_entry_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_entries_balanced_statement();

DROP TRIGGER wallet_entry_balanced ON wallet_entry;
CREATE CONSTRAINT TRIGGER wallet_entry_balanced
    AFTER INSERT ON wallet_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('kmop.wallet_statement_check', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION wallet_entries_balanced();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS wallet_entry_balanced ON wallet_entry;
CREATE CONSTRAINT TRIGGER wallet_entry_balanced
    AFTER INSERT ON wallet_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallet_entries_balanced();
DROP TRIGGER IF EXISTS wallet_entry_balanced_statement ON wallet_entry;
DROP FUNCTION IF EXISTS wallet_entries_balanced_statement();
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS, params=None)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0002_balanced_entries_trigger")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
