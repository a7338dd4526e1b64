START TRANSACTION;
ALTER TABLE operations ADD trace_parent character varying(55);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261220000000_OperationTraceParent', '10.0.0');

COMMIT;

