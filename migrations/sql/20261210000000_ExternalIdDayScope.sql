START TRANSACTION;
ALTER TABLE operations ADD external_id_date date;

UPDATE operations SET external_id_date = ((created_at AT TIME ZONE 'UTC') + interval '7 hours')::date;

ALTER TABLE operations ALTER COLUMN external_id_date TYPE date;
ALTER TABLE operations ALTER COLUMN external_id_date SET NOT NULL;

DROP INDEX ux_operations_external_id;

CREATE UNIQUE INDEX ux_operations_external_id ON operations (provider, external_id, external_id_date) WHERE state NOT IN ('Rejected');

DROP INDEX ux_attempts_external_id;

CREATE UNIQUE INDEX ux_attempts_operation_external_id ON attempts (operation_id, external_id);

CREATE INDEX ix_attempts_external_id ON attempts (provider, external_id);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261210000000_ExternalIdDayScope', '10.0.0');

COMMIT;

